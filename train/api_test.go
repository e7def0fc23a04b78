package train

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// tinyModel is an untrained model of the given arch, small enough to build in
// milliseconds; the decoding entry points only need its shapes.
func tinyModel(t *testing.T, arch string) *Model {
	cfg := DefaultConfig()
	cfg.Model = ModelConfig{Arch: arch, Vocab: 259, DModel: 16, Heads: 2, FFN: 32, DecLayers: 1, MaxLen: 16,
		Positions: "learned", Activation: "gelu", PreLN: true, Kernel: "edp",
		Pad: BytePad, BOS: ByteBOS, EOS: ByteEOS}
	if arch == "encdec" {
		cfg.Model.EncLayers = 1
	}
	cfg.Data = DataConfig{Batch: 1, Context: 16, MaxTokens: 64}
	cfg.Seed = 1
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	return tr.Model
}

// TestAPIBadInput: counts and sizes come from users, so the public decoding entry
// points return errors naming them instead of panicking inside NewDecoder.
func TestAPIBadInput(t *testing.T) {
	tok := ByteTokenizer{}
	lm, mt := tinyModel(t, "decoder"), tinyModel(t, "encdec")
	for _, n := range []int{-1, -100} {
		var err error
		require.NotPanics(t, func() { _, err = Generate(lm, tok, "ab", n) })
		require.ErrorContains(t, err, "tokens")
	}
	// n tokens, not n+1; a prompt of L tokens (BOS for an empty one, the last max_len−1
	// of a long one) leaves room for max_len−L+1. The seeded untrained model never
	// emits EOS within these lengths, so the counts are exact.
	for _, c := range []struct {
		prompt string
		room   int
	}{{"", 16}, {"ab", 15}, {"a long prompt, longer than max_len", 2}} {
		for _, n := range []int{0, 1, 2, 5, 1000} {
			out, err := Generate(lm, tok, c.prompt, n)
			require.NoError(t, err, "%q n = %d", c.prompt, n)
			require.Len(t, out, min(n, c.room), "%q n = %d: %q", c.prompt, n, out)
		}
	}
	for _, beam := range []int{0, -1} {
		var err error
		require.NotPanics(t, func() { _, err = Translate(mt, tok, "ab", beam, 1) })
		require.ErrorContains(t, err, "beam")
		require.NotPanics(t, func() { _, _, err = EvalBLEU(mt, tok, []string{"ab"}, []string{"ab"}, beam, 1) })
		require.ErrorContains(t, err, "beam")
	}
	for _, src := range []string{"", "ab"} {
		_, err := Translate(mt, tok, src, 2, 1)
		require.NoError(t, err, "%q", src)
	}
	_, _, err := EvalBLEU(mt, tok, nil, nil, 1, 1)
	require.NoError(t, err)
}
