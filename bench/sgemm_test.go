package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/simd"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sgemmShapes are the benchmarked m×n×k: square sizes, and the attention shapes
// (scores = Q·Kᵀ with head dimension 64).
var sgemmShapes = [][3]int{
	{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048},
	{512, 512, 64}, {1024, 1024, 64},
}

// gonumMaxSize skips gonum above this size: it runs at a few GFLOP/s and 2048³ would
// dominate the whole run.
const gonumMaxSize = 1024

type sgemmFunc func(m, n, k int, a, b, c []float32)

func randomMatrix(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return x
}

// BenchmarkSgemm runs C = A·B (row-major, no transposes, alpha = 1, beta = 0) for
// every shape and thread count with bkm, gonum and (tag openblas) OpenBLAS, and
// reports GFLOP/s = 2mnk / time.
func BenchmarkSgemm(b *testing.B) {
	b.Logf("bkm: %v", simd.Info())
	b.Logf("openblas: %s", openblasInfo())
	impls := []struct {
		name string
		run  sgemmFunc
		skip func(s [3]int) bool
	}{
		{"bkm", func(m, n, k int, a, bb, c []float32) {
			simd.Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
		}, nil},
		{"openblas", func(m, n, k int, a, bb, c []float32) {
			openblasSgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
		}, func([3]int) bool { return !haveOpenBLAS }},
		{"gonum", func(m, n, k int, a, bb, c []float32) {
			gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
		}, func(s [3]int) bool { return max(s[0], s[1], s[2]) > gonumMaxSize }},
	}
	for _, s := range sgemmShapes {
		m, n, k := s[0], s[1], s[2]
		rng := rand.New(rand.NewPCG(uint64(m), uint64(k)))
		a, bm, c := randomMatrix(rng, m*k), randomMatrix(rng, k*n), make([]float32, m*n)
		for _, threads := range []int{1, 2} {
			for _, im := range impls {
				if im.skip != nil && im.skip(s) {
					continue
				}
				b.Run(fmt.Sprintf("%dx%dx%d/t%d/%s", m, n, k, threads, im.name), func(b *testing.B) {
					// bkm obeys SetThreads; gonum's BLAS uses GOMAXPROCS goroutines.
					simd.SetThreads(threads)
					old := runtime.GOMAXPROCS(0)
					switch im.name {
					case "gonum":
						runtime.GOMAXPROCS(threads)
					case "openblas":
						openblasSetThreads(threads)
					}
					defer func() { simd.SetThreads(0); runtime.GOMAXPROCS(old) }()
					im.run(m, n, k, a, bm, c) // warm up buffers and pools
					b.ReportAllocs()
					b.ResetTimer()
					calls := 0
					for b.Loop() {
						im.run(m, n, k, a, bm, c)
						calls++
					}
					b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(calls)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// sgemmTrainShapes are the products of a training step of bench/torch_train.py's
// model (d_model 256, FFN 1024, 2,048 tokens a batch) as train's profile names them:
// op(A) N or T, op(B) N or T, m×n×k. The TN rows are the weight gradients
// dW = Xᵀ·dY, each beside the forward (NN) and input-gradient (NT) products of
// the same layer.
var sgemmTrainShapes = []struct {
	transA, transB bool
	m, n, k        int
}{
	{false, false, 2048, 1024, 256}, {false, true, 2048, 256, 1024}, {true, false, 1024, 256, 2048}, // fc1
	{false, false, 2048, 256, 1024}, {false, true, 2048, 1024, 256}, {true, false, 256, 1024, 2048}, // fc2
	{false, false, 2048, 768, 256}, {false, true, 2048, 256, 768}, {true, false, 256, 768, 2048}, // qkv
	{true, false, 256, 256, 2048}, {true, false, 259, 256, 2048}, // output projection, logits
	// The weight gradients of a step cut into two 1,024-token halves (train's halves).
	{true, false, 1024, 256, 1024}, {true, false, 256, 1024, 1024}, {true, false, 768, 256, 1024},
	{true, false, 256, 256, 1024}, {true, false, 259, 256, 1024},
}

// runTrainShapes runs bench for every shape of sgemmTrainShapes on 1 thread, with bkm
// and (tag openblas) OpenBLAS, as sub-benchmarks op/m×n×k/library: run is one call
// C = op(A)·op(B) + beta·C on random operands with dense leading dimensions, flops
// its FLOP count.
func runTrainShapes(b *testing.B, beta float32, bench func(b *testing.B, run func(), c []float32, flops float64)) {
	defer simd.SetThreads(0)
	simd.SetThreads(1)
	if haveOpenBLAS {
		openblasSetThreads(1)
	}
	nt := map[bool]string{false: "N", true: "T"}
	for _, s := range sgemmTrainShapes {
		rng := rand.New(rand.NewPCG(uint64(s.m), uint64(s.k)))
		a, bm, c := randomMatrix(rng, s.m*s.k), randomMatrix(rng, s.k*s.n), make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		for _, impl := range []string{"bkm", "openblas"} {
			if impl == "openblas" && !haveOpenBLAS {
				continue
			}
			run := func() { simd.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, beta, c, s.n) }
			if impl == "openblas" {
				run = func() { openblasSgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, beta, c, s.n) }
			}
			b.Run(fmt.Sprintf("%s%s/%dx%dx%d/%s", nt[s.transA], nt[s.transB], s.m, s.n, s.k, impl), func(b *testing.B) {
				bench(b, run, c, 2*float64(s.m)*float64(s.n)*float64(s.k))
			})
		}
	}
}

// BenchmarkSgemmTrain runs sgemmTrainShapes (alpha = 1, beta = 0, dense leading
// dimensions) on 1 thread with bkm and (tag openblas) OpenBLAS and reports GFLOP/s
// by wall time and by the process's CPU time (cpu-GFLOP/s: what a busy machine still
// lets one compare). The operands stay in cache between calls (at most 8 MiB each).
func BenchmarkSgemmTrain(b *testing.B) {
	runTrainShapes(b, 0, func(b *testing.B, run func(), _ []float32, flops float64) {
		run()
		calls, cpu0 := 0, processCPU()
		for b.Loop() {
			run()
			calls++
		}
		flops *= float64(calls)
		b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		b.ReportMetric(flops/(processCPU()-cpu0).Seconds()/1e9, "cpu-GFLOP/s")
	})
}

// evictBytes is the size of the buffer BenchmarkSgemmTrainCold writes between calls:
// twice the largest L3 of a CCD we run on (32 MiB), so that the operands, C included,
// come from memory as in a training step, where each product's operands were written
// by passes over other, larger data.
const evictBytes = 64 << 20

// BenchmarkSgemmTrainCold runs sgemmTrainShapes as a training step does: beta = 1
// (gradients and outputs accumulate into C) and every operand evicted from the caches
// before each call (by writing evictBytes). GFLOP/s and cpu-GFLOP/s count only the
// calls' wall and process CPU time, not the eviction.
func BenchmarkSgemmTrainCold(b *testing.B) {
	evict := make([]float32, evictBytes/4)
	runTrainShapes(b, 1, func(b *testing.B, run func(), c []float32, flops float64) {
		run()
		clear(c) // beta = 1 adds up: start every run from zeros
		var wall, cpu time.Duration
		calls := 0
		for b.Loop() {
			for i := range evict {
				evict[i]++
			}
			t0, cpu0 := time.Now(), processCPU()
			run()
			wall += time.Since(t0)
			cpu += processCPU() - cpu0
			calls++
		}
		flops *= float64(calls)
		b.ReportMetric(flops/wall.Seconds()/1e9, "GFLOP/s")
		b.ReportMetric(flops/cpu.Seconds()/1e9, "cpu-GFLOP/s")
	})
}
