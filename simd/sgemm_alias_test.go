package simd

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSgemmAliasPanics: a C that shares elements with the A or B the product reads
// panics naming the arguments (it used to compute garbage silently).
func TestSgemmAliasPanics(t *testing.T) {
	x := make([]float32, 64)
	const aliasA = "simd: Sgemm: c aliases a (C shares elements with the part of A the product reads)"
	const aliasB = "simd: Sgemm: c aliases b (C shares elements with the part of B the product reads)"
	other := make([]float32, 64)
	require.PanicsWithValue(t, aliasA, func() { Sgemm(false, false, 4, 4, 4, 1, x, 4, other, 4, 0, x, 4) })
	require.PanicsWithValue(t, aliasB, func() { Sgemm(false, false, 4, 4, 4, 1, other, 4, x, 4, 0, x, 4) })
	require.PanicsWithValue(t, aliasA, func() { Sgemm(true, false, 4, 4, 4, 1, x[3:], 4, other, 4, 0, x, 4) })
	require.PanicsWithValue(t, aliasB, func() { Sgemm(false, true, 4, 4, 4, 1, other, 4, x[10:], 4, 1, x, 8) })
	require.PanicsWithValue(t, aliasA, func() { MatMul(2, 2, 2, x[:4], other, x[3:7]) })
}

// TestSgemmDisjointBlocksOfOneArray: C may share a backing array with A or B when
// the elements are disjoint — side-by-side column blocks of one matrix — and then
// computes the right product.
func TestSgemmDisjointBlocksOfOneArray(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	const m, k, n, ld = 5, 3, 4, 8 // A is columns 0..2, C columns 3..6 of one m×ld matrix
	x := make([]float32, m*ld)
	fillInput(rng, x, 1, 0)
	b := make([]float32, k*n)
	fillInput(rng, b, 1, 0)
	want := sgemmReference(false, false, m, n, k, 1, x, ld, b, n, 0, nil, ld)
	Sgemm(false, false, m, n, k, 1, x, ld, b, n, 0, x[k:], ld)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			require.InDelta(t, want[i*n+j], float64(x[i*ld+k+j]), 1e-5, "C[%d,%d]", i, j)
		}
	}
}

// TestSharesElement checks the strided overlap test against brute force: mark the
// elements each operand covers and look for a common one.
func TestSharesElement(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	buf := make([]float32, 256)
	for range 20000 {
		xr, xc := 1+rng.IntN(5), 1+rng.IntN(5)
		ldx := xc + rng.IntN(4)
		m, n := 1+rng.IntN(5), 1+rng.IntN(5)
		ldc := n + rng.IntN(4)
		ox, oc := rng.IntN(60), rng.IntN(60)
		covered := make(map[int]bool)
		for r := 0; r < xr; r++ {
			for j := 0; j < xc; j++ {
				covered[ox+r*ldx+j] = true
			}
		}
		want := false
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				want = want || covered[oc+i*ldc+j]
			}
		}
		got := sharesElement(buf[ox:], ldx, false, xr, xc, buf[oc:], ldc, m, n)
		require.Equal(t, want, got, "x %d×%d ld %d at %d, c %d×%d ld %d at %d", xr, xc, ldx, ox, m, n, ldc, oc)
	}
}

// TestSetThreadsClamps: counts past MaxThreads are clamped (1<<31 used to make
// Threads negative); n ≤ 0 restores GOMAXPROCS.
func TestSetThreadsClamps(t *testing.T) {
	t.Cleanup(func() { SetThreads(0) })
	SetThreads(1 << 31)
	require.Equal(t, MaxThreads, Threads())
	SetThreads(MaxThreads + 1)
	require.Equal(t, MaxThreads, Threads())
	SetThreads(7)
	require.Equal(t, 7, Threads())
	SetThreads(-5)
	require.Equal(t, min(runtime.GOMAXPROCS(0), MaxThreads), Threads())
}
