package attention

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// A NaN or ±Inf Scale is a data error of the checked entry points, as their docs
// promise, not the panic of Forward and Backward.
func TestCheckedRejectsNonFiniteScale(t *testing.T) {
	x := []float32{0.5, -0.25, 1, 0.125}
	for _, scale := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		o := &Options{Scale: scale}
		out, stats := make([]float32, 4), make([]float32, 2)
		err := ForwardChecked(o, 1, 1, 2, 2, 2, x, x, x, out, stats, nil)
		require.ErrorContains(t, err, "attention: ForwardChecked: Options.Scale = ")
		require.ErrorContains(t, err, "want a finite scale")
		require.Equal(t, make([]float32, 4), out, "nothing is computed")
		d := make([]float32, 4)
		err = BackwardChecked(o, 1, 1, 2, 2, 2, x, x, x, x, x, stats, d, d, d, nil)
		require.ErrorContains(t, err, "attention: BackwardChecked: Options.Scale = ")
	}
	require.Panics(t, func() { ForwardChecked(nil, 1, 1, 2, 2, 2, x, x, x, make([]float32, 4), make([]float32, 2), nil) })
}
