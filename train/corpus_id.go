package train

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
)

// CorpusID identifies a corpus in a checkpoint: its name (for messages) and the
// SHA-256 of its training and of its validation examples as parsed (so a CRLF copy of
// a file is the same corpus).
type CorpusID struct {
	Name  string `json:"name"`
	Train string `json:"train_sha256"`
	Valid string `json:"valid_sha256"`
}

// ErrOtherCorpus is wrapped by ResumeSession's error when the corpus is not the one the
// checkpoint was trained on: the data position would then point into other data.
var ErrOtherCorpus = errors.New("not the corpus the checkpoint was trained on")

// identify returns c's CorpusID.
func (c *Corpus) identify() *CorpusID {
	return &CorpusID{Name: c.Name, Train: examplesHash(c.Train, c.TrainText), Valid: examplesHash(c.Valid, c.ValidText)}
}

// examplesHash is the hex SHA-256 of pairs and lines, each field length-prefixed so
// that no two lists hash alike by moving text between fields.
func examplesHash(pairs []TextPair, lines []string) string {
	h := sha256.New()
	field := func(h hash.Hash, s string) { fmt.Fprintf(h, "%d:%s", len(s), s) }
	fmt.Fprintf(h, "pairs %d\n", len(pairs))
	for _, p := range pairs {
		field(h, p.Src)
		field(h, p.Tgt)
	}
	fmt.Fprintf(h, "lines %d\n", len(lines))
	for _, l := range lines {
		field(h, l)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sameCorpus checks that c is the corpus saved in a checkpoint (saved nil: a checkpoint
// from before corpora were recorded, taken on trust).
func sameCorpus(saved, c *CorpusID) error {
	if saved == nil {
		return nil
	}
	var which string
	switch {
	case saved.Train != c.Train:
		which = "training"
	case saved.Valid != c.Valid:
		which = "validation"
	default:
		return nil
	}
	return fmt.Errorf("%w: it was trained on %s, and the %s examples of %s differ", ErrOtherCorpus, saved.Name, which, c.Name)
}
