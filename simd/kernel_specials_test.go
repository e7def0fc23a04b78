package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// TestGemmKernelSpecialInputs drives each implementation's micro-kernel directly and
// compares it with SgemmKernelGeneric of the same mr×nr when the panels and C hold
// NaN, ±Inf, denormals and values near overflow (NaN must stay NaN, ±Inf must match),
// as well as plain random values: k across the kernels' unroll factors, ldc = nr (the
// driver's scratch tile) and ldc > nr (row padding must stay untouched), C at random
// offsets into a guarded buffer, α/β cases including β = ±0 over NaN in C. Both sides
// accumulate in the same order, so the only difference is the twin's double rounding
// of each FMA (through float64): the bound is a few ulps of the terms' magnitudes per
// step.
func TestGemmKernelSpecialInputs(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(13, 14))
		mr, nr := im.mr, im.nr
		for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33} {
			for _, ldc := range []int{nr, nr + 3} {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0}, {0, 1.5}, {2, float32(math.Copysign(0, -1))}} {
					for _, specials := range []int{0, 9} {
						alpha, beta := ab[0], ab[1]
						a := make([]float32, k*mr)
						b := make([]float32, k*nr)
						fillInput(rng, a, 1, specials)
						fillInput(rng, b, 1, specials)
						off := rng.IntN(16)
						cbuf, c := guarded((mr-1)*ldc+nr, off)
						for i := 0; i < mr; i++ {
							fillInput(rng, c[i*ldc:i*ldc+nr], 1, specials)
							if beta == 0 && i%3 == 1 {
								c[i*ldc+i%nr] = float32(math.NaN()) // β = 0 must not read C
							}
						}
						want := append([]float32(nil), c...)
						asm.SgemmKernelGeneric(mr, nr, k, a, b, want, ldc, alpha, beta)
						cold := append([]float32(nil), c...)
						im.gemmKernel(k, a, b, c, ldc, alpha, beta)
						what := fmt.Sprintf("k=%d ldc=%d alpha=%v beta=%v specials=%d", k, ldc, alpha, beta, specials)
						for i := 0; i < mr; i++ {
							for j := 0; j < nr; j++ {
								w, g := want[i*ldc+j], c[i*ldc+j]
								if w != w || g != g || math.IsInf(float64(w), 0) {
									require.Equal(t, w != w, g != g, "%s: C[%d,%d] = %v, want %v", what, i, j, g, w)
									if w == w {
										require.Equal(t, w, g, "%s: C[%d,%d]", what, i, j)
									}
									continue
								}
								var mag float64 // Σ|terms| of the element
								for p := 0; p < k; p++ {
									mag += math.Abs(float64(a[p*mr+i]) * float64(b[p*nr+j]))
								}
								mag *= math.Abs(float64(alpha))
								if beta != 0 {
									mag += math.Abs(float64(beta) * float64(cold[i*ldc+j]))
								}
								tol := float64(k+2)*0x1p-23*mag + 0x1p-126
								require.InDelta(t, float64(w), float64(g), tol, "%s: C[%d,%d]", what, i, j)
							}
							for j := nr; j < ldc && i < mr-1; j++ {
								require.Equal(t, uint32(guardBits), math.Float32bits(c[i*ldc+j]), "%s: padding C[%d,%d] written", what, i, j)
							}
						}
						requireGuards(t, cbuf, off, len(c), what)
					}
				}
			}
		}
	})
}
