package simd

import (
	"fmt"
	"testing"

	"github.com/kernelmachines/bkm/internal/cpuclock"
)

// BenchmarkSgemmSmallCall measures the per-call cost of small products (the per-call
// cost model in bench/RESULTS.md comes from it): "sgemm" is the public call, "sgemmNT" the
// public call with op(B) = Bᵀ, "tiled"
// the packed/tiled path it took before the small path existed, "small" the small
// path without the argument checks and dispatch. cpu-ns/op counts
// only the time the benchmark's thread ran (the machine is shared).
func BenchmarkSgemmSmallCall(b *testing.B) {
	for _, s := range [][3]int{{8, 8, 8}, {16, 16, 16}, {7, 13, 5}, {1, 256, 256}, {256, 1, 256}, {32, 32, 32}, {64, 64, 64}, {96, 96, 64}, {16, 1024, 64}, {128, 128, 128}} {
		m, n, k := s[0], s[1], s[2]
		a, bm, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		for i := range bm {
			bm[i] = float32(i%5) - 2
		}
		paths := []string{"sgemm", "sgemmNT", "tiled"}
		if k <= smallMaxK && smallFor(active) != nil {
			paths = append(paths, "small")
		}
		for _, path := range paths {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, path), func(b *testing.B) {
				b.ReportAllocs()
				clock := cpuclock.Start()
				if path == "sgemm" {
					for b.Loop() {
						Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
					}
				} else if path == "sgemmNT" {
					// op(B) = Bᵀ, stored n×k (B's values reread as n×k): the small path's
					// transposing copy.
					for b.Loop() {
						Sgemm(false, true, m, n, k, 1, a, k, bm, k, 0, c, n)
					}
				} else if path == "small" {
					// The small path without Sgemm's checks and dispatch.
					s := smallFor(active)
					for b.Loop() {
						sgemmSmall(s, false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
					}
				} else {
					for b.Loop() {
						sgemm(active, 1, false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
					}
				}
				clock.Report(b, 2*float64(m*n*k))
			})
		}
	}
}
