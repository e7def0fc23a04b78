package train

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHalvesMatchWholeBatch: steps cut into halves (two micro-batches a step, rows of
// unequal lengths) end with the parameters and losses of steps on the whole batches,
// up to the order of float32 sums (dpTolerance), and leave the replica's gradients
// cleared.
func TestHalvesMatchWholeBatch(t *testing.T) {
	run := func(off bool) (*Session, []float64) {
		halvesOff = off
		defer func() { halvesOff = false }()
		s := newDPSession(t)
		var losses []float64
		require.NoError(t, steps(8, &losses)(s))
		return s, losses
	}
	halved, want := run(false)
	whole, got := run(true)
	require.Positive(t, halved.Trainer.halves.loss[1], "the steps were cut: the replica ran a half")
	require.Nil(t, whole.Trainer.halves.second, "no step was cut: no replica")
	require.LessOrEqual(t, maxAbsDiff(halved.Trainer.Model.Params, whole.Trainer.Model.Params), dpTolerance)
	require.InDeltaSlice(t, want, got, 1e-5)
	require.Equal(t, make([]float32, len(halved.Trainer.Model.Grads)), halved.Trainer.halves.second.Grads)
}
