package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

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
