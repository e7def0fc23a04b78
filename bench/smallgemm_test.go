package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/internal/cpuclock"
	"github.com/kernelmachines/bkm/simd"
)

// smallGemmShapes are issue 13's small and odd m×n×k.
var smallGemmShapes = [][3]int{
	{8, 8, 8}, {16, 16, 16}, {32, 32, 32}, {64, 64, 64}, {7, 13, 5}, {1, 256, 256}, {256, 1, 256},
	{96, 96, 64}, {16, 1024, 64}, {128, 128, 128},
}

// peerLoop runs a row-major C = A·B (dense, alpha = 1, beta = 0) reps times in one
// cgo call.
type peerLoop func(reps, m, n, k int, a, b, c []float32)

// smallPeers are the libraries linked into this build, beside bkm.
func smallPeers() []struct {
	name string
	run  peerLoop
} {
	var peers []struct {
		name string
		run  peerLoop
	}
	add := func(name string, ok bool, f func(reps int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
		if ok {
			peers = append(peers, struct {
				name string
				run  peerLoop
			}{name, func(reps, m, n, k int, a, b, c []float32) { f(reps, false, false, m, n, k, 1, a, k, b, n, 0, c, n) }})
		}
	}
	add("libxsmm", haveLibxsmm, libxsmmSgemmLoop)
	add("openblas", haveOpenBLAS, openblasSgemmLoop)
	add("onednn", haveDNNL, dnnlSgemmLoop)
	return peers
}

// oneThread puts bkm and OpenBLAS on one thread; the function it returns gives bkm
// its default back.
func oneThread() func() {
	simd.SetThreads(1)
	if haveOpenBLAS {
		openblasSetThreads(1)
	}
	return func() { simd.SetThreads(0) }
}

// smallOperands returns the dimensions of shape s and its seeded operands.
func smallOperands(s [3]int) (m, n, k int, a, bm, c []float32) {
	m, n, k = s[0], s[1], s[2]
	rng := rand.New(rand.NewPCG(uint64(m), uint64(n)))
	return m, n, k, randomMatrix(rng, m*k), randomMatrix(rng, k*n), make([]float32, m*n)
}

// peerChunk is how many products one cgo call of a peer runs: the cgo call (tens of
// ns) then costs the peer under 0.1 ns a product.
const peerChunk = 1000

// BenchmarkSmallGemm runs C = A·B (row-major, alpha = 1, beta = 0) on one thread for
// every shape with bkm (simd.Sgemm, a Go loop of calls) and every peer linked in
// (build tags libxsmm, openblas, dnnl; a C loop of calls), reporting GFLOP/s, ns/op and
// cpu-ns/op (the benchmark thread's CPU time: the machine may be shared). Run the
// peers with OMP_NUM_THREADS=1 and OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset.
func BenchmarkSmallGemm(b *testing.B) {
	b.Logf("bkm: %v", simd.Info())
	b.Logf("openblas: %s", openblasInfo())
	b.Logf("libxsmm: %s", libxsmmInfo())
	b.Logf("onednn: %s", dnnlInfo())
	defer oneThread()()
	for _, s := range smallGemmShapes {
		m, n, k, a, bm, c := smallOperands(s)
		flops := 2 * float64(m*n*k)
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run(fmt.Sprintf("%dx%dx%d/bkm", m, n, k), func(b *testing.B) {
			simd.Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
			b.ReportAllocs()
			b.ResetTimer()
			clock := cpuclock.Start()
			for i := 0; i < b.N; i++ {
				simd.Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
			}
			clock.Report(b, flops)
			report(b)
		})
		for _, p := range smallPeers() {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, p.name), func(b *testing.B) {
				p.run(1, m, n, k, a, bm, c) // JIT, buffers
				b.ResetTimer()
				clock := cpuclock.Start()
				for i := 0; i < b.N; i += peerChunk {
					p.run(min(peerChunk, b.N-i), m, n, k, a, bm, c)
				}
				clock.Report(b, flops)
				report(b)
			})
		}
	}
}

// BenchmarkSgemmBatch runs batches of same-shape products (10,000 of 16³, 1,000 of
// 64³; dense operands back to back) on 1 and 2 threads: bkm's SgemmBatchStrided, a Go
// loop of single simd.Sgemm calls, and (tag libxsmm) one dispatched libxsmm kernel
// called in a C loop over the batch (one thread). One op is the whole batch.
func BenchmarkSgemmBatch(b *testing.B) {
	b.Logf("bkm: %v", simd.Info())
	b.Logf("libxsmm: %s", libxsmmInfo())
	defer simd.SetThreads(0)
	for _, s := range [][4]int{{16, 16, 16, 10000}, {64, 64, 64, 1000}} {
		m, n, k, batch := s[0], s[1], s[2], s[3]
		rng := rand.New(rand.NewPCG(uint64(m), uint64(batch)))
		sa, sb, sc := m*k, k*n, m*n
		a, bm, c := randomMatrix(rng, batch*sa), randomMatrix(rng, batch*sb), make([]float32, batch*sc)
		flops := 2 * float64(m*n*k) * float64(batch)
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("%dx%dx%dx%d/t%d", m, n, k, batch, threads)
			b.Run(name+"/bkm-batch", func(b *testing.B) {
				simd.SetThreads(threads)
				b.ReportAllocs()
				clock := cpuclock.Start() // the caller's thread only: meaningful at t1
				for b.Loop() {
					simd.SgemmBatchStrided(false, false, m, n, k, 1, a, k, sa, bm, n, sb, 0, c, n, sc, batch)
				}
				clock.Report(b, flops)
				report(b)
			})
			if threads == 1 {
				b.Run(name+"/bkm-loop", func(b *testing.B) {
					simd.SetThreads(1)
					b.ReportAllocs()
					clock := cpuclock.Start()
					for b.Loop() {
						for i := 0; i < batch; i++ {
							simd.Sgemm(false, false, m, n, k, 1, a[i*sa:], k, bm[i*sb:], n, 0, c[i*sc:], n)
						}
					}
					clock.Report(b, flops)
					report(b)
				})
				if haveLibxsmm {
					b.Run(name+"/libxsmm", func(b *testing.B) {
						if err := libxsmmBatchLoop(1, m, n, k, a, sa, bm, sb, c, sc, batch); err != nil {
							b.Skip(err)
						}
						b.ResetTimer()
						clock := cpuclock.Start()
						for b.Loop() {
							if err := libxsmmBatchLoop(1, m, n, k, a, sa, bm, sb, c, sc, batch); err != nil {
								b.Fatal(err)
							}
						}
						clock.Report(b, flops)
						report(b)
					})
				}
			}
		}
	}
}

// pairedChunkFlops sizes one timed chunk of BenchmarkSmallGemmPaired: about 2 MFLOP
// (10–50 µs), long against the clock's ~20 ns and short against a scheduler slice.
const pairedChunkFlops = 2 << 20

// BenchmarkSmallGemmPaired runs the small shapes in rounds: each round times one chunk
// of calls of bkm and of every peer linked in, back to back, the order rotating from
// round to round, so that all libraries sample the same moments of a shared or noisy
// machine (BenchmarkSmallGemm runs each library's samples one after another, seconds
// apart). One op is one round. It reports, per library, the 10th, 50th and 90th
// percentile of ns a call over the rounds, and best-peer÷bkm: the median over rounds of
// the fastest peer's time over bkm's in the same round. The deciles are logged. Run it
// like BenchmarkSmallGemm, with -benchtime in rounds (e.g. 400x).
func BenchmarkSmallGemmPaired(b *testing.B) {
	defer oneThread()()
	for _, s := range smallGemmShapes {
		m, n, k, a, bm, c := smallOperands(s)
		reps := max(1, pairedChunkFlops/(2*m*n*k))
		libs := []pairedLib{{"bkm", func(reps int) {
			for range reps {
				simd.Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
			}
		}}}
		for _, p := range smallPeers() {
			libs = append(libs, pairedLib{p.name, func(reps int) { p.run(reps, m, n, k, a, bm, c) }})
		}
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) { pairedRounds(b, libs, reps) })
	}
}

// pairedLib is one library of a paired benchmark: run times reps calls of its product.
type pairedLib struct {
	name string
	run  func(reps int)
}

// pairedRounds runs b.N rounds of one chunk of reps calls of every library, back to
// back, the order rotating from round to round, and reports the 10th, 50th and 90th
// percentile of ns a call of each and best-peer÷bkm, the median over rounds of the
// fastest peer's time over libs[0]'s (bkm) in the same round; the deciles are logged.
// With more than one peer it also reports each peer's median ratio to bkm in the same
// round (name÷bkm).
func pairedRounds(b *testing.B, libs []pairedLib, reps int) {
	samples := make([][]float64, len(libs))
	for l := range libs {
		libs[l].run(reps) // JIT, buffers, caches
		samples[l] = make([]float64, 0, b.N)
	}
	ratios := make([]float64, 0, b.N)
	b.ResetTimer()
	for r := 0; r < b.N; r++ {
		for i := range libs {
			l := (i + r) % len(libs)
			t0 := time.Now()
			libs[l].run(reps)
			samples[l] = append(samples[l], float64(time.Since(t0).Nanoseconds())/float64(reps))
		}
		if len(libs) > 1 {
			best := slices.Min(pickRound(samples[1:], r))
			ratios = append(ratios, best/samples[0][r])
		}
	}
	b.StopTimer()
	for l, lib := range libs {
		x := slices.Clone(samples[l])
		slices.Sort(x)
		b.ReportMetric(quantile(x, 0.1), lib.name+"-p10-ns")
		b.ReportMetric(quantile(x, 0.5), lib.name+"-p50-ns")
		b.ReportMetric(quantile(x, 0.9), lib.name+"-p90-ns")
		b.Logf("%s deciles (ns/call, %d rounds of %d calls): %s", lib.name, b.N, reps, deciles(x))
	}
	for l := 1; len(libs) > 2 && l < len(libs); l++ {
		own := make([]float64, b.N)
		for r := range own {
			own[r] = samples[l][r] / samples[0][r]
		}
		slices.Sort(own)
		b.ReportMetric(quantile(own, 0.5), libs[l].name+"÷bkm")
		b.Logf("%s÷bkm deciles: %s", libs[l].name, deciles(own))
	}
	if len(ratios) > 0 {
		slices.Sort(ratios)
		b.ReportMetric(quantile(ratios, 0.5), "best-peer÷bkm")
		b.Logf("best-peer÷bkm deciles: %s", deciles(ratios))
	}
}

// pickRound returns round r's sample of every library in samples.
func pickRound(samples [][]float64, r int) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = s[r]
	}
	return out
}

// quantile returns the q-quantile of sorted x (nearest rank).
func quantile(x []float64, q float64) float64 {
	return x[min(len(x)-1, int(q*float64(len(x))))]
}

// deciles formats the minimum, the nine deciles and the maximum of sorted x.
func deciles(x []float64) string {
	var sb strings.Builder
	for d := 0; d <= 10; d++ {
		fmt.Fprintf(&sb, " %.3g", quantile(x, float64(d)/10))
	}
	return sb.String()
}
