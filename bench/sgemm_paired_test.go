package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/simd"
)

// largePairedShapes are the large products BenchmarkSgemmPaired times.
var largePairedShapes = [][3]int{{1024, 1024, 1024}, {2048, 2048, 2048}}

// BenchmarkSgemmPaired runs the large products on 1 and 2 threads in paired rounds (as
// BenchmarkSmallGemmPaired): each round one call of bkm, of OpenBLAS (tag openblas)
// and of oneDNN (tag dnnl, its OpenMP threads set a call), the order rotating, so that
// all three sample the same moments of a shared machine. One op is one round; it
// reports the percentiles of ns a call and best-peer÷bkm (GFLOP/s = 2mnk ÷ ns). Run
// with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset and -benchtime in rounds (e.g. 20x).
func BenchmarkSgemmPaired(b *testing.B) {
	b.Logf("bkm: %v", simd.Info())
	b.Logf("openblas: %s", openblasInfo())
	b.Logf("onednn: %s", dnnlInfo())
	defer simd.SetThreads(0)
	for _, s := range largePairedShapes {
		m, n, k := s[0], s[1], s[2]
		rng := rand.New(rand.NewPCG(uint64(m), uint64(k)))
		a, bm, c := randomMatrix(rng, m*k), randomMatrix(rng, k*n), make([]float32, m*n)
		for _, threads := range []int{1, 2} {
			libs := []pairedLib{{"bkm", func(reps int) {
				simd.SetThreads(threads)
				for range reps {
					simd.Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
			}}}
			if haveOpenBLAS {
				libs = append(libs, pairedLib{"openblas", func(reps int) {
					openblasSetThreads(threads)
					for range reps {
						openblasSgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
					}
				}})
			}
			if haveDNNL {
				libs = append(libs, pairedLib{"onednn", func(reps int) {
					for range reps {
						dnnlSgemmThreads(threads, m, n, k, a, bm, c)
					}
				}})
			}
			b.Run(fmt.Sprintf("%dx%dx%d/t%d", m, n, k, threads), func(b *testing.B) { pairedRounds(b, libs, 1) })
		}
	}
}
