package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSmallPrefetch checks the batch's prefetch on every implementation that has one:
// it reads and writes nothing a caller can see (rows past the slice's end included), and
// a batch that prefetches gives the same bits as the same batch without it.
func TestSmallPrefetch(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		s := smallOrSkip(t, im)
		if s.prefetch == nil {
			t.Skipf("%s prefetches nothing", im.name)
		}
		buf := make([]float32, 4096)
		for i := range buf {
			buf[i] = float32(i) * 0.5
		}
		want := append([]float32(nil), buf...)
		for _, c := range []struct{ lo, hi, rows, cols, ld int }{
			{0, 4096, 16, 16, 16}, {100, 200, 16, 64, 64}, // rows past the slice's end
			{4000, 4096, 3, 1, 1000}, {0, 1, 1, 1, 1}, {0, 4096, 0, 16, 16}, {0, 4096, 16, 0, 16},
		} {
			s.prefetch(buf[c.lo:c.hi], c.rows, c.cols, c.ld)
		}
		require.Equal(t, want, buf, "prefetch changed memory")

		without := *s
		without.prefetch = nil
		noPrefetch := *im
		noPrefetch.small = &without
		const m, n, k, batch = 16, 16, 16, 9
		rng := rand.New(rand.NewPCG(7, 8))
		a, b := make([]float32, m*k*batch), make([]float32, k*n*batch)
		for i := range a {
			a[i], b[i] = rng.Float32()-0.5, rng.Float32()-0.5
		}
		got, ref := make([]float32, m*n*batch), make([]float32, m*n*batch)
		for i := range got {
			got[i], ref[i] = float32(math.NaN()), float32(math.NaN())
		}
		SgemmBatchStrided(false, true, m, n, k, 1.5, a, k, m*k, b, k, k*n, 0, got, n, m*n, batch)
		useImpl(t, &noPrefetch)
		SgemmBatchStrided(false, true, m, n, k, 1.5, a, k, m*k, b, k, k*n, 0, ref, n, m*n, batch)
		requireBits(t, ref, got, "batch with prefetch")
	})
}
