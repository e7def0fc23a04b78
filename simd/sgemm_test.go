package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// sgemmReference is the naive float64 reference: C = alpha·op(A)·op(B) + beta·C,
// with beta = 0 ignoring C. It is the oracle of every GEMM test.
func sgemmReference(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			s *= float64(alpha)
			if beta != 0 {
				s += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*n+j] = s
		}
	}
	return out
}

// gemmCase runs one Sgemm through the active implementation and checks it against
// the float64 reference, including the guard band around C and the untouched
// padding between rows (ldc > n).
func gemmCase(t *testing.T, rng *rand.Rand, transA, transB bool, m, n, k, pad int, alpha, beta float32) {
	t.Helper()
	newGemmProblem(rng, transA, transB, m, n, k, pad, alpha, beta).check(t, active.name)
}

// gemmSizes straddle the register tiles (mr = 4, 6, 8; nr = 4, 12, 16, 32, and two
// tiles of each) and the narrow-n hand-off (n ≤ nr/2), plus primes; the blocks (kc,
// mc, nc) are straddled by TestSgemmBlockEdges.
var gemmSizes = []int{0, 1, 2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 31, 32, 33, 47, 63, 65}

func TestSgemmShapes(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, m := range gemmSizes {
					for _, n := range gemmSizes {
						k := gemmSizes[(m*7+n*3)%len(gemmSizes)]
						gemmCase(t, rng, tA, tB, m, n, k, (m+n)%3, 1, 0)
					}
				}
			}
		}
	})
}

func TestSgemmBlockEdges(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][3]int{
			{im.mc - 1, im.nr + 1, im.kc + 1},
			{im.mc + 1, 2*im.nr - 1, im.kc - 1},
			{2*im.mc + im.mr + 1, im.nr*3 + 1, 2*im.kc + 3},
			{im.mr, im.nc + 1, 7},
			{im.mr + 1, im.nc - 1, im.nr - 1},
			{im.mr - 1, 2*im.nr + 1, im.kc},
			{131, 257, 2*im.kc + 1},
		} {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					gemmCase(t, rng, tA, tB, s[0], s[1], s[2], 1, 1, 0.5)
				}
			}
		}
	})
}

func TestSgemmAlphaBeta(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-2, 0.5}, {0, 0}, {0, 3}, {0.5, -1}, {3, 0}} {
			for _, s := range [][3]int{{17, 19, 23}, {im.mr, im.nr, 5}, {64, 64, 64}, {5, 3, 0}} {
				gemmCase(t, rng, false, true, s[0], s[1], s[2], 2, ab[0], ab[1])
				gemmCase(t, rng, true, false, s[0], s[1], s[2], 0, ab[0], ab[1])
				gemmCase(t, rng, false, false, s[0], s[1], s[2], 1, ab[0], ab[1])
			}
		}
	})
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 12)
	require.PanicsWithValue(t, "simd: Sgemm: m = -1 < 0", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) })
	require.PanicsWithValue(t, "simd: Sgemm: lda = 1 < max(1, 2)", func() { Sgemm(false, false, 2, 2, 2, 1, a, 1, a, 2, 0, a, 2) })
	require.PanicsWithValue(t, "simd: Sgemm: ldb = 2 < max(1, 3)", func() { Sgemm(false, false, 2, 3, 2, 1, a, 2, a, 2, 0, a, 3) })
	require.PanicsWithValue(t, "simd: Sgemm: len(c) = 5 < 6 needed for a 2×3 matrix with ldc = 3",
		func() { Sgemm(false, false, 2, 3, 2, 1, a, 2, a, 3, 0, a[:5], 3) })
	require.PanicsWithValue(t, "simd: Dot: len(x) = 2 != len(y) = 3", func() { Dot(a[:2], a[:3]) })
}

// TestSgemmDirectPanels runs products that take sgemmDirectPanels (B's rows a large
// power of two apart, so its column panels are copied while the previous ones are
// multiplied): one to directCopyMaxTiles row tiles with and without bottom rows,
// panels with and without right columns, k across the copy kernel's unroll and up to
// directCopyMaxK, padded A and C, and the alpha/beta cases, against the float64
// reference.
func TestSgemmDirectPanels(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		skipWithout(t, im, im.gemmDirectCopy != nil, "direct-copy kernel")
		rng := rand.New(rand.NewPCG(9, 10))
		mr, nr := im.mr, im.nr
		count := 0
		for _, m := range []int{mr + 1, 2*mr - 1, 2 * mr, 2*mr + 3, directCopyMaxTiles * mr} {
			for _, n := range []int{nr, 2 * nr, 3*nr + 5, 9*nr - 1} {
				for _, k := range []int{17, 22, 33, 64, directCopyMaxK} {
					ab := smallAlphaBeta[count%len(smallAlphaBeta)]
					count++
					ldb := 1024
					require.Equal(t, directPanels, directPath(im, false, false, m, n, k, ldb), "m=%d n=%d k=%d", m, n, k)
					p := &gemmProblem{m: m, n: n, k: k, alpha: ab[0], beta: ab[1], lda: k + count%3, ldb: ldb, ldc: n + count%2}
					p.a = make([]float32, (m-1)*p.lda+k)
					p.b = make([]float32, (k-1)*p.ldb+n)
					p.c0 = make([]float32, (m-1)*p.ldc+n)
					fillInput(rng, p.a, 1, 0)
					fillInput(rng, p.b, 1, 0)
					fillInput(rng, p.c0, 1, 0)
					p.c0[0] = float32(math.NaN()) // beta = 0 must ignore it
					if p.beta != 0 {
						p.c0[0] = 1
					}
					p.want = sgemmReference(false, false, m, n, k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c0, p.ldc)
					p.check(t, im.name)
				}
			}
		}
	})
}
