package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBatchPrefetchSameBits: on every implementation that prefetches (TestPrefetchRows
// runs the prefetch itself), a batch that prefetches gives the same bits as the same
// batch without it.
func TestBatchPrefetchSameBits(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		s := smallOrSkip(t, im)
		skipWithout(t, im, s.prefetch != nil, "prefetch kernel")
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
