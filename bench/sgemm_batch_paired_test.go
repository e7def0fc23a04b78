package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/internal/par"
	"github.com/kernelmachines/bkm/simd"
)

// batchShapes are issue 13's batches: m, n, k and the number of products.
var batchShapes = [][4]int{{16, 16, 16, 10000}, {64, 64, 64, 1000}}

// BenchmarkSgemmBatchPaired runs the batches of BenchmarkSgemmBatch in paired rounds
// (as BenchmarkSmallGemmPaired): each round one batch of bkm's SgemmBatchStrided
// ("bkm"), of a Go loop of single simd.Sgemm calls ("loop") and (tag libxsmm) of one
// dispatched libxsmm kernel called in a C loop ("libxsmm"), back to back in rotating
// order, on the same operands. At t2 libxsmm runs half of the products on each of two
// goroutines of bkm's worker pool (internal/par, as SgemmBatchStrided's two workers),
// so that both start their second thread the same way, and so does a second loop of
// Sgemm calls ("loop-split"); "loop" stays one goroutine's loop of Sgemm calls with
// SetThreads(2) (these products are below Sgemm's parallel threshold: what a caller
// looping over Sgemm gets). One op is one round; it reports the percentiles of ns a
// batch and, for each peer, the median over rounds of its time ÷ bkm's in the same
// round (loop÷bkm, libxsmm÷bkm, ...). Run with -benchtime in rounds (e.g. 200x).
func BenchmarkSgemmBatchPaired(b *testing.B) {
	b.Logf("bkm: %v", simd.Info())
	b.Logf("libxsmm: %s", libxsmmInfo())
	defer simd.SetThreads(0)
	for _, s := range batchShapes {
		m, n, k, batch := s[0], s[1], s[2], s[3]
		rng := rand.New(rand.NewPCG(uint64(m), uint64(batch)))
		sa, sb, sc := m*k, k*n, m*n
		a, bm, c := randomMatrix(rng, batch*sa), randomMatrix(rng, batch*sb), make([]float32, batch*sc)
		// loop and xsmm run products [lo, hi) on the calling goroutine.
		loop := func(lo, hi int) {
			for i := lo; i < hi; i++ {
				simd.Sgemm(false, false, m, n, k, 1, a[i*sa:], k, bm[i*sb:], n, 0, c[i*sc:], n)
			}
		}
		xsmm := func(lo, hi int) {
			if err := libxsmmBatchLoop(1, m, n, k, a[lo*sa:], sa, bm[lo*sb:], sb, c[lo*sc:], sc, hi-lo); err != nil {
				panic(err)
			}
		}
		for _, threads := range []int{1, 2} {
			libs := []pairedLib{
				{"bkm", func(int) {
					simd.SetThreads(threads)
					simd.SgemmBatchStrided(false, false, m, n, k, 1, a, k, sa, bm, n, sb, 0, c, n, sc, batch)
				}},
				{"loop", func(int) { simd.SetThreads(threads); loop(0, batch) }},
			}
			if threads > 1 {
				libs = append(libs, pairedLib{"loop-split", func(int) { simd.SetThreads(threads); split(threads, batch, loop) }})
			}
			if haveLibxsmm {
				libs = append(libs, pairedLib{"libxsmm", func(int) { split(threads, batch, xsmm) }})
			}
			b.Run(fmt.Sprintf("%dx%dx%dx%d/t%d", m, n, k, batch, threads), func(b *testing.B) {
				pairedRounds(b, libs, 1)
			})
		}
	}
}

// split runs products [0, batch) with run on threads workers of bkm's pool, each
// taking one contiguous share.
func split(threads, batch int, run func(lo, hi int)) {
	job := splitJob{run: run, batch: batch, share: (batch + threads - 1) / threads}
	par.Run(threads, threads, &job)
}

// splitJob is one split call: task t runs products [t·share, (t+1)·share).
type splitJob struct {
	run          func(lo, hi int)
	batch, share int
}

func (j *splitJob) Task(_, t int) { j.run(min(j.batch, t*j.share), min(j.batch, (t+1)*j.share)) }
