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
