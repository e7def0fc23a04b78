// Package corpus holds the small Spanish→English corpus embedded in bkmtrain:
// the verse pairs of the Bible corpus built by scripts/bible-corpus.sh
// (Reina-Valera 1909 → World English Bible, both public domain) whose two
// sides are at most 80 bytes long, from its train and valid splits. It is
// what `bkmtrain train` uses when no data flag is given.
//
// Regenerate with: scripts/bible-corpus.sh /tmp/bible --embed
package corpus

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
)

//go:embed train.tsv.gz
var trainGz []byte

//go:embed valid.tsv.gz
var validGz []byte

// Train returns the embedded training pairs as TSV text (source⇥target per line).
func Train() []byte { return gunzip(trainGz) }

// Valid returns the embedded validation pairs as TSV text.
func Valid() []byte { return gunzip(validGz) }

func gunzip(b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		panic("corpus: embedded file is not gzip: " + err.Error())
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		panic("corpus: embedded file is corrupt: " + err.Error())
	}
	return out
}
