package train

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStepAllocations: a training step (forward, backward, clipping, AdamW, dropout on)
// allocates nothing once the arenas fit the batch shape, for both architectures.
func TestStepAllocations(t *testing.T) {
	for _, arch := range []string{"encdec", "decoder"} {
		cfg := DefaultConfig()
		cfg.Model = tinyModelConfig(arch)
		cfg.Model.Dropout, cfg.Model.ActivationDropout, cfg.Model.LabelSmoothing = 0.1, 0.1, 0.1
		cfg.Data = DataConfig{MaxTokens: 64, Batch: 2, Context: 8}
		tr, err := NewTrainer(cfg)
		require.NoError(t, err)
		bt := tinyBatch(arch)
		_, err = tr.Step(bt) // warm-up: sizes the activation arena and the pools
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := tr.Step(bt); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, arch)
	}
}
