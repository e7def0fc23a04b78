package train

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDropoutChunkMatchesNaive: the branch-free mask and the simd apply give the naive
// loop's mask and output bit for bit, for probabilities at and between the ends and a
// last chunk that is not a multiple of 4 long.
func TestDropoutChunkMatchesNaive(t *testing.T) {
	rng := newRNG(17)
	n := 2*dropChunk + 7
	x := randSlice(rng, n, 2)
	for _, p := range []float32{0, 1.0 / 65536, 0.1, 0.5, 0.9} {
		t.Run(fmt.Sprint("p=", p), func(t *testing.T) {
			out, mask := make([]float32, n), make([]float32, n)
			outN, maskN := make([]float32, n), make([]float32, n)
			for c := 0; c < dropChunks(n); c++ {
				dropoutChunk(out, mask, x, p, 5, 3, 2, c)
				dropoutChunkNaive(outN, maskN, x, p, 5, 3, 2, c)
			}
			for i := range mask {
				require.Equal(t, math.Float32bits(maskN[i]), math.Float32bits(mask[i]), "mask[%d]", i)
				require.Equal(t, math.Float32bits(outN[i]), math.Float32bits(out[i]), "out[%d]", i)
			}
		})
	}
}

// TestBiasDropResidualChunk: the fused output stage is dropoutChunk followed by the
// residual's add bit for bit without a bias, and x + (f + bias) ⊙ mask with one (rows
// of a width that does not divide the chunk, so rows straddle chunk boundaries), the
// same mask either way.
func TestBiasDropResidualChunk(t *testing.T) {
	rng := newRNG(18)
	const cols = 300
	n := 2*dropChunk + 7*cols
	x, f0, bias := randSlice(rng, n, 2), randSlice(rng, n, 1), randSlice(rng, cols, 1)
	for _, p := range []float32{0, 0.1, 0.5} {
		t.Run(fmt.Sprint("p=", p), func(t *testing.T) {
			mask, maskRef := make([]float32, n), make([]float32, n)
			dropped, want := make([]float32, n), make([]float32, n)
			f, out := append([]float32(nil), f0...), make([]float32, n)
			for c := 0; c < dropChunks(n); c++ {
				if p > 0 {
					dropoutChunk(dropped, maskRef, f0, p, 5, 3, 2, c)
				} else {
					copy(dropped, f0)
				}
				biasDropResidualChunk(out, mask, x, f, nil, cols, p, 5, 3, 2, c)
			}
			residualForward(want, x, dropped)
			require.Equal(t, maskRef, mask)
			for i := range out {
				require.Equal(t, math.Float32bits(want[i]), math.Float32bits(out[i]), "out[%d] without bias", i)
			}
			f = append(f[:0], f0...)
			for c := 0; c < dropChunks(n); c++ {
				biasDropResidualChunk(out, mask, x, f, bias, cols, p, 5, 3, 2, c)
			}
			require.Equal(t, maskRef, mask)
			for i := range out {
				m := float32(1)
				if p > 0 {
					m = maskRef[i]
				}
				w := x[i] + float32((f0[i]+bias[i%cols])*m)
				require.Equal(t, math.Float32bits(w), math.Float32bits(out[i]), "out[%d] with bias", i)
			}
		})
	}
}
