package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forEachPackedImpl runs body with every implementation of forEachImpl, plus the
// generic table stripped of its small-product kernels: the layout and path SgemmPacked
// takes for a table without them (neon).
func forEachPackedImpl(t *testing.T, body func(t *testing.T, im *impl)) {
	forEachImpl(t, body)
	tiled := *genericImpl
	tiled.name, tiled.small = "generic-without-small", nil
	t.Run(tiled.name, func(t *testing.T) {
		useImpl(t, &tiled)
		body(t, &tiled)
	})
}

// packedShapes (m, n, k) cross the tiles (mr = 4, 8; nr = 16, 32), the panel widths
// (32, 64), the one-row path (m = 1), the kc = 256 block (k = 257, 520) and the
// parallel threshold (m·n·k ≥ 2²¹), plus the decoder's shapes (96→288, 384→96, 96→1000).
var packedShapes = [][3]int{
	{1, 1, 1}, {1, 7, 3}, {1, 33, 17}, {1, 64, 96}, {1, 65, 257}, {1, 1000, 96}, {1, 96, 384},
	{2, 16, 8}, {3, 31, 5}, {4, 32, 64}, {7, 63, 255}, {8, 64, 256}, {9, 65, 257}, {13, 100, 33},
	{32, 288, 96}, {33, 96, 384}, {128, 1000, 96}, {17, 129, 520}, {300, 40, 200}, {5, 2000, 128},
}

// TestSgemmPacked: SgemmPacked against the float64 reference (guards around C and
// between its rows) and bit for bit against Sgemm on the same product, except where
// Sgemm's one-row GEMV path sums in another order; 1 and 2 threads, both storages
// of B, several alpha and beta.
func TestSgemmPacked(t *testing.T) {
	keepThreads(t)
	forEachPackedImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, sh := range packedShapes {
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}} {
					p := newGemmProblem(rng, false, tB, sh[0], sh[1], sh[2], 1+sh[0]%2, ab[0], ab[1])
					pb := NewPackedB(tB, p.k, p.n, p.b, p.ldb)
					require.Equal(t, p.k, pb.K())
					require.Equal(t, p.n, pb.N())
					for _, threads := range []int{1, 2} {
						SetThreads(threads)
						what := fmt.Sprintf("%s threads=%d", im.name, threads)
						buf, c := guarded(len(p.c0), 3)
						for i := 0; i < p.m; i++ {
							copy(c[i*p.ldc:i*p.ldc+p.n], p.c0[i*p.ldc:i*p.ldc+p.n])
						}
						SgemmPacked(p.m, p.alpha, p.a, p.lda, pb, p.beta, c, p.ldc)
						p.compare(t, buf, c, "SgemmPacked "+what)
						if p.m == 1 && tB && takesSmall(1, p.n, p.k) && im.small != nil {
							continue // Sgemm's GEMV dot path (rowSplitKnownGap)
						}
						want := make([]float32, len(p.c0))
						copy(want, p.c0)
						Sgemm(false, tB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, want, p.ldc)
						if i, j, ok := firstBitDifference(want, c, p.m, p.n, p.ldc); !ok {
							require.Failf(t, "SgemmPacked differs from Sgemm", "%s tB=%v m=%d n=%d k=%d alpha=%v beta=%v: C[%d,%d] = %v, Sgemm %v",
								what, tB, p.m, p.n, p.k, p.alpha, p.beta, i, j, c[i*p.ldc+j], want[i*p.ldc+j])
						}
					}
				}
			}
		}
	})
}

// TestSgemmPackedRowIndependence: every row of C is bit-identical whatever the height
// of the call it is computed in (one row included) and the number of threads. This is
// what lets train.Translator decode a batch exactly as each sentence alone.
func TestSgemmPackedRowIndependence(t *testing.T) {
	keepThreads(t)
	// (A table without small kernels runs Sgemm's tiled path, whose rows
	// TestSgemmRowIndependence covers.)
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, shape := range rowSplitShapes {
			n, k := shape[0], shape[1]
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}} {
					p := newGemmProblem(rng, false, tB, rowSplitRows, n, k, 1, ab[0], ab[1])
					pb := NewPackedB(tB, k, n, p.b, p.ldb)
					SetThreads(1)
					whole := packedRows(p, pb, p.m)
					for _, threads := range []int{1, 2} {
						SetThreads(threads)
						for _, h := range rowSplitHeights {
							got := packedRows(p, pb, h)
							if i, j, ok := firstBitDifference(whole, got, p.m, p.n, p.ldc); !ok {
								assert.Failf(t, "row depends on its neighbours", "%s tB=%v n=%d k=%d threads=%d height=%d: C[%d,%d] = %v, %v in one %d-row call",
									im.name, tB, n, k, threads, h, i, j, got[i*p.ldc+j], whole[i*p.ldc+j], p.m)
							}
						}
					}
				}
			}
		}
	})
}

// packedRows computes p's C with SgemmPacked in calls of h rows each.
func packedRows(p *gemmProblem, pb *PackedB, h int) []float32 {
	c := make([]float32, len(p.c0))
	copy(c, p.c0)
	for i0 := 0; i0 < p.m; i0 += h {
		SgemmPacked(min(h, p.m-i0), p.alpha, p.a[i0*p.lda:], p.lda, pb, p.beta, c[i0*p.ldc:], p.ldc)
	}
	return c
}

// TestSgemmPackedEmptyAndScale: empty products touch nothing; alpha = 0 or k = 0
// only scales C (beta = 0 clears it, NaN included).
func TestSgemmPackedEmptyAndScale(t *testing.T) {
	pb := NewPackedB(false, 0, 3, nil, 3)
	c := []float32{float32(math.NaN()), 2, 3}
	SgemmPacked(1, 1, nil, 1, pb, 0, c, 3)
	require.Equal(t, []float32{0, 0, 0}, c)
	b := []float32{1, 2, 3, 4}
	pb = NewPackedB(false, 2, 2, b, 2)
	c = []float32{1, 2}
	SgemmPacked(1, 0, []float32{5, 6}, 2, pb, 2, c, 2)
	require.Equal(t, []float32{2, 4}, c)
	SgemmPacked(0, 1, nil, 2, pb, 2, nil, 2) // m = 0: nothing to read or write
	b[0] = 100                               // the packed copy does not see it
	SgemmPacked(1, 1, []float32{1, 0}, 2, pb, 0, c, 2)
	require.Equal(t, []float32{1, 2}, c)
}

func TestSgemmPackedPanics(t *testing.T) {
	b := make([]float32, 12)
	pb := NewPackedB(false, 3, 4, b, 4)
	a, c := make([]float32, 12), make([]float32, 12)
	for _, tc := range []struct {
		msg string
		f   func()
	}{
		{"simd: NewPackedB: k = -1, n = 4: must be ≥ 0", func() { NewPackedB(false, -1, 4, b, 4) }},
		{"simd: NewPackedB: ldb = 3 < max(1, 4)", func() { NewPackedB(false, 3, 4, b, 3) }},
		{"simd: NewPackedB: len(b) = 12 < 15 needed for a 5×3 matrix with ldb = 3", func() { NewPackedB(true, 3, 5, b, 3) }},
		{"simd: SgemmPacked: pb is nil", func() { SgemmPacked(1, 1, a, 3, nil, 0, c, 4) }},
		{"simd: SgemmPacked: m = -1 < 0", func() { SgemmPacked(-1, 1, a, 3, pb, 0, c, 4) }},
		{"simd: SgemmPacked: lda = 2 < max(1, 3)", func() { SgemmPacked(1, 1, a, 2, pb, 0, c, 4) }},
		{"simd: SgemmPacked: ldc = 3 < max(1, 4)", func() { SgemmPacked(1, 1, a, 3, pb, 0, c, 3) }},
		{"simd: SgemmPacked: len(a) = 5 < 6 needed for a 2×3 matrix with lda = 3", func() { SgemmPacked(2, 1, a[:5], 3, pb, 0, c, 4) }},
		{"simd: SgemmPacked: len(c) = 7 < 8 needed for a 2×4 matrix with ldc = 4", func() { SgemmPacked(2, 1, a, 3, pb, 0, c[:7], 4) }},
		{"simd: SgemmPacked: c aliases a (C shares elements with the part of A the product reads)", func() { SgemmPacked(2, 1, a, 4, pb, 0, a[2:], 4) }},
	} {
		require.PanicsWithValue(t, tc.msg, tc.f)
	}
	// C beside A in one array (disjoint elements) is allowed.
	x := make([]float32, 16)
	SgemmPacked(2, 1, x, 8, pb, 0, x[4:], 8)
}

// TestSgemmPackedNoAllocs: steady-state calls allocate nothing, serial or parallel.
func TestSgemmPackedNoAllocs(t *testing.T) {
	keepThreads(t)
	rng := rand.New(rand.NewPCG(25, 26))
	for _, sh := range [][3]int{{1, 1000, 96}, {32, 288, 96}, {128, 1000, 96}} {
		p := newGemmProblem(rng, false, true, sh[0], sh[1], sh[2], 0, 1, 1)
		pb := NewPackedB(true, p.k, p.n, p.b, p.ldb)
		c := make([]float32, len(p.c0))
		for _, threads := range []int{1, 2} {
			SetThreads(threads)
			SgemmPacked(p.m, 1, p.a, p.lda, pb, 1, c, p.ldc)
			allocs := testing.AllocsPerRun(20, func() { SgemmPacked(p.m, 1, p.a, p.lda, pb, 1, c, p.ldc) })
			require.Zero(t, allocs, "m=%d n=%d k=%d threads=%d", p.m, p.n, p.k, threads)
		}
	}
}
