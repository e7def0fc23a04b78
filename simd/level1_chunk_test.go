package simd

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMaxAcrossChunks: the public Max splits long slices into chunks for the
// assembly; the first NaN (by position, payload included) must still be the result,
// and a -0 before a +0 must still win, as in the reference loop.
func TestMaxAcrossChunks(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		x := make([]float32, 3*chunk+5)
		for i := range x {
			x[i] = float32(i%1000) - 2000
		}
		first, second := math.Float32frombits(0x7fc00001), math.Float32frombits(0x7fc00002)
		x[chunk+7] = first
		x[2*chunk+3] = second
		require.Equal(t, math.Float32bits(referenceMax(x)), math.Float32bits(Max(x)))
		require.Equal(t, uint32(0x7fc00001), math.Float32bits(Max(x)))

		z := make([]float32, 2*chunk+1)
		for i := range z {
			z[i] = -1
		}
		z[5] = float32(math.Copysign(0, -1))
		z[chunk+5] = 0
		require.Equal(t, math.Float32bits(referenceMax(z)), math.Float32bits(Max(z)), "signed zeros")
	})
}

func referenceMax(x []float32) float32 { return genericImpl.max(x) }
