package simd

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSgemmThreads: SgemmThreads gives Sgemm's bits for any thread count, whatever
// Threads() says, on shapes that take the parallel path (split by rows and by
// columns), and panics on a count below 1.
func TestSgemmThreads(t *testing.T) {
	keepThreads(t)
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(35, 36))
		for _, s := range [][3]int{{300, 200, 160}, {9, 700, 600}, {700, 9, 600}} {
			m, n, k := s[0], s[1], s[2]
			a, b, c0 := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for _, x := range [][]float32{a, b, c0} {
				fillInput(rng, x, 1, 0)
			}
			SetThreads(1)
			want := append([]float32(nil), c0...)
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0.5, want, n)
			for _, threads := range []int{1, 2, 3} {
				SetThreads(4 - threads)
				got := append([]float32(nil), c0...)
				SgemmThreads(threads, false, false, m, n, k, 1, a, k, b, n, 0.5, got, n)
				require.Equal(t, want, got, "%v on %d threads", s, threads)
			}
		}
	})
	require.PanicsWithValue(t, "simd: SgemmThreads: threads = 0 < 1", func() {
		SgemmThreads(0, false, false, 1, 1, 1, 1, []float32{1}, 1, []float32{1}, 1, 0, []float32{0}, 1)
	})
}
