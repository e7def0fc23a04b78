package train

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResumeRefusesOtherCorpus: a checkpoint records the corpus it was trained on, and
// ResumeSession refuses other training or validation examples (its data position would
// point into other data) but takes the same examples under another name, and a
// checkpoint that recorded no corpus (written before corpora were recorded).
func TestResumeRefusesOtherCorpus(t *testing.T) {
	cfg := dpConfig()
	s, err := NewSession(cfg, ByteTokenizer{})
	require.NoError(t, err)
	require.NoError(t, s.SetData(dpCorpus()))
	_, err = s.Step()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ck.bkm")
	require.NoError(t, s.Save(path))
	hdr, _, _, err := ReadCheckpoint(path)
	require.NoError(t, err)
	require.NotNil(t, hdr.Data.Corpus)
	require.Equal(t, "synthetic", hdr.Data.Corpus.Name)

	renamed := dpCorpus()
	renamed.Name = "the same pairs, from a CRLF copy"
	_, err = ResumeSession(path, cfg, renamed)
	require.NoError(t, err)

	otherTrain := dpCorpus()
	otherTrain.Name = "other.tsv"
	otherTrain.Train[3].Tgt += "!"
	_, err = ResumeSession(path, cfg, otherTrain)
	require.ErrorIs(t, err, ErrOtherCorpus)
	require.ErrorContains(t, err, "trained on synthetic, and the training examples of other.tsv differ")

	otherValid := dpCorpus()
	otherValid.Valid = otherValid.Valid[1:]
	_, err = ResumeSession(path, cfg, otherValid)
	require.ErrorIs(t, err, ErrOtherCorpus)
	require.ErrorContains(t, err, "validation examples")

	// A checkpoint without a recorded corpus resumes on any.
	s.corpusID = nil
	require.NoError(t, s.Save(path))
	_, err = ResumeSession(path, cfg, otherTrain)
	require.NoError(t, err)
}

// TestExamplesHashSeparatesFields: text moved between a pair's sides, or between
// pairs and lines, is another corpus.
func TestExamplesHashSeparatesFields(t *testing.T) {
	a := examplesHash([]TextPair{{Src: "ab", Tgt: "c"}}, nil)
	require.NotEqual(t, a, examplesHash([]TextPair{{Src: "a", Tgt: "bc"}}, nil))
	require.NotEqual(t, a, examplesHash(nil, []string{"ab", "c"}))
	require.Equal(t, a, examplesHash([]TextPair{{Src: "ab", Tgt: "c"}}, nil))
}
