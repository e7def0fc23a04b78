package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// relayout copies the rows×cols matrix x (stride ld) into a new one of stride newLd.
func relayout(x []float32, rows, cols, ld, newLd int) []float32 {
	y := make([]float32, (rows-1)*newLd+cols)
	for i := range y {
		y[i] = float32(math.NaN()) // padding the product must not read
	}
	for i := 0; i < rows; i++ {
		copy(y[i*newLd:i*newLd+cols], x[i*ld:i*ld+cols])
	}
	return y
}

// TestSgemmIndependentOfLeadingDimensions: the same product stored with different
// leading dimensions gives the same bits. The kernel a shape takes, and so the order
// it sums in, depends on m, n, k and the transposes only: a caller that views one
// matrix as a strided block of a larger one (attention's ForwardStrided at D = 1, a
// one-column B with ldb > 1) gets what the dense call gives. Every implementation,
// every transpose, GEMV shapes (m = 1, n = 1, both), shallow and deep products, small
// and tiled ones; strides 1 (where the shape allows) up to well past the width.
func TestSgemmIndependentOfLeadingDimensions(t *testing.T) {
	shapes := [][3]int{ // m, n, k
		{1, 1, 1}, {1, 1, 7}, {1, 1, 300},
		{1, 5, 1}, {1, 17, 9}, {1, 256, 256}, {1, 40, 300},
		{5, 1, 1}, {17, 1, 9}, {256, 1, 256}, {40, 1, 300},
		{2, 3, 1}, {7, 13, 2}, {8, 8, 8}, {16, 16, 16}, {33, 31, 17}, {64, 64, 64},
		{3, 200, 5}, {200, 3, 5}, {70, 70, 70}, {100, 40, 300},
	}
	pads := [][3]int{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {3, 5, 2}, {16, 16, 16}, {61, 129, 7}}
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(31, 32))
		for si, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			for tr := 0; tr < 4; tr++ {
				transA, transB := tr&1 == 1, tr&2 == 2
				ab := smallAlphaBeta[(si+tr)%len(smallAlphaBeta)]
				ar, ac, br, bc := opDims(transA, transB, m, n, k)
				a := make([]float32, ar*ac)
				b := make([]float32, br*bc)
				c0 := make([]float32, m*n)
				fillInput(rng, a, 1, 0)
				fillInput(rng, b, 1, 0)
				fillInput(rng, c0, 1, 0)
				want := append([]float32(nil), c0...)
				Sgemm(transA, transB, m, n, k, ab[0], a, ac, b, bc, ab[1], want, n)
				for _, pad := range pads {
					lda, ldb, ldc := ac+pad[0], bc+pad[1], n+pad[2]
					c := relayout(c0, m, n, n, ldc)
					Sgemm(transA, transB, m, n, k, ab[0], relayout(a, ar, ac, ac, lda), lda,
						relayout(b, br, bc, bc, ldb), ldb, ab[1], c, ldc)
					what := fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d", transA, transB, m, n, k, lda, ldb, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							if got, w := math.Float32bits(c[i*ldc+j]), math.Float32bits(want[i*n+j]); got != w {
								require.Failf(t, "leading dimensions changed the result", "%s: C[%d,%d] = %#08x, dense %#08x", what, i, j, got, w)
							}
						}
						for j := n; j < ldc && i < m-1; j++ {
							require.True(t, math.IsNaN(float64(c[i*ldc+j])), "%s: padding C[%d,%d] written", what, i, j)
						}
					}
				}
			}
		}
	})
}
