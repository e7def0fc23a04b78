package train

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// unigramEntropy is the entropy (nats) of the byte distribution of s: the loss of the
// best model that ignores context.
func unigramEntropy(tokens []int32) float64 {
	var counts [512]float64
	for _, t := range tokens {
		counts[t]++
	}
	var h float64
	n := float64(len(tokens))
	for _, c := range counts {
		if c > 0 {
			h -= c / n * math.Log(c/n)
		}
	}
	return h
}

// learnRun trains a small byte-level decoder-only model (edit adjusts the config) for
// steps updates on a synthetic text corpus and returns the unigram entropy of the
// training bytes, the validation loss before and after, and the trainer.
func learnRun(t *testing.T, steps int, edit func(*Config)) (h, v0, v1 float64, tr *Trainer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corpus.txt")
	require.NoError(t, os.WriteFile(path, []byte(syntheticCorpus(3000, 7)), 0o644))
	text, err := ReadText(path)
	require.NoError(t, err)
	tok := ByteTokenizer{}
	all := tok.Encode(text)
	cut := len(all) * 9 / 10
	trainTok, validTok := all[:cut], all[cut:]
	h = unigramEntropy(trainTok)

	cfg := DefaultConfig()
	cfg.Model = ModelConfig{Arch: "decoder", Vocab: 259, DModel: 64, Heads: 4, FFN: 256, DecLayers: 2, MaxLen: 64,
		Positions: "learned", Activation: "gelu", PreLN: true, ShareDecoderEmbeddings: true, Kernel: "edp",
		Pad: BytePad, BOS: ByteBOS, EOS: ByteEOS}
	cfg.Optim = OptimConfig{LR: 3e-3, Beta1: 0.9, Beta2: 0.98, Eps: 1e-8, WeightDecay: 0.01, ClipNorm: 1, Accumulate: 1}
	cfg.Schedule = ScheduleConfig{Kind: "cosine", Warmup: 20, Steps: 300, MinLR: 3e-4}
	cfg.Data = DataConfig{Batch: 8, Context: 64}
	cfg.Seed = 1
	if edit != nil {
		edit(&cfg)
	}
	tr, err = NewTrainer(cfg)
	require.NoError(t, err)
	train, err := NewLMLoader(trainTok, 8, 64, 1)
	require.NoError(t, err)
	valid, err := NewLMLoader(validTok, 8, 64, 1)
	require.NoError(t, err)
	start := time.Now()
	v0, _ = tr.Eval(valid.Batches())
	for i := 0; i < steps; i++ {
		_, err := tr.Step(train.Next())
		require.NoError(t, err)
	}
	v1, ppl := tr.Eval(valid.Batches())
	t.Logf("unigram entropy %.3f nats; validation loss %.3f → %.3f (ppl %.2f) after %d steps in %v",
		h, v0, v1, ppl, steps, time.Since(start))
	return h, v0, v1, tr
}

// TestDecoderLearns trains a small byte-level decoder-only model on a text corpus and
// asserts that validation loss (on held-out text) falls well below the unigram entropy.
func TestDecoderLearns(t *testing.T) {
	steps := 300
	if testing.Short() {
		steps = 150
	}
	h, v0, v1, tr := learnRun(t, steps, nil)
	gen, err := Generate(tr.Model, ByteTokenizer{}, "The quick", 40)
	require.NoError(t, err)
	t.Logf("generated: %q", gen)
	require.Greater(t, v0, h, "an untrained model is worse than unigram")
	require.Less(t, v1, h-0.6, "validation loss must fall well below the unigram entropy")
}

// TestDecoderLearnsWithAttentionDropout: the same model trained with attention dropout
// 0.1 (and residual dropout 0.1) still learns: its validation loss, measured without
// dropout, falls well below the unigram entropy.
func TestDecoderLearnsWithAttentionDropout(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds")
	}
	h, v0, v1, _ := learnRun(t, 150, func(c *Config) {
		c.Model.AttentionDropout, c.Model.Dropout = 0.1, 0.1
		c.Schedule.Steps = 150
	})
	require.Greater(t, v0, h, "an untrained model is worse than unigram")
	require.Less(t, v1, h-0.6, "validation loss must fall well below the unigram entropy")
}
