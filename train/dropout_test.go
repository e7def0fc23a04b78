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
