package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/bkm"
	"github.com/kernelmachines/bkm/simd"
)

// bkmSize is the n = m of the matrix-free benchmarks: 20,000 by default,
// BKM_BENCH_N overrides (for quick trial runs).
func bkmSize() int {
	if v, err := strconv.Atoi(os.Getenv("BKM_BENCH_N")); err == nil && v > 0 {
		return v
	}
	return 20000
}

func bkmPoints(seed uint64, n, d int, scale float64) []float32 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

// bkmEDPProblem: n target and n source points in d = 64 dimensions, identity
// projections, edp kernel with γ = 1/√d, one response per target.
func bkmEDPProblem(n, d int) *bkm.Problem {
	t := bkmPoints(1, n, d, 0.5)
	s := bkmPoints(2, n, d, 0.5)
	y := make([]float32, n)
	for i := range y {
		y[i] = float32(math.Sin(float64(t[i*d])) + 0.5*float64(t[i*d+1]))
	}
	return &bkm.Problem{T: t, N: n, DT: d, S: s, M: n, DS: d, Kernel: attention.EDP(), Y: y, P: 1}
}

// BenchmarkBKMKx is the matrix-free product y = K·x with the edp kernel at
// n = m = 20,000, d = 64: tiles of K are formed by a logits GEMM and exp and
// multiplied into x, never holding the n×m matrix. GFLOP/s counts 2·n·m·d for the
// logits GEMM plus 2·n·m for the product with x (exp is not counted).
func BenchmarkBKMKx(b *testing.B) {
	const d = 64
	n := bkmSize()
	p := bkmEDPProblem(n, d)
	b.Logf("%v", simd.Info())
	for _, threads := range []int{1, 2} {
		for _, dir := range []string{"Kx", "KTy"} {
			b.Run(fmt.Sprintf("n%d/d%d/%s/t%d", n, d, dir, threads), func(b *testing.B) {
				simd.SetThreads(threads)
				defer simd.SetThreads(0)
				op, err := bkm.NewOperator(p, threads)
				if err != nil {
					b.Fatal(err)
				}
				x := make([]float64, n)
				for i := range x {
					x[i] = 1
				}
				y := make([]float64, n)
				run := func() {
					if dir == "Kx" {
						op.Mul(y, x, 1)
					} else {
						op.MulT(y, x, 1)
					}
				}
				run()
				b.ReportAllocs()
				b.ResetTimer()
				calls := 0
				for b.Loop() {
					run()
					calls++
				}
				flops := (2*float64(n)*float64(n)*d + 2*float64(n)*float64(n)) * float64(calls)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkBKMSgemmPeer is simd.Sgemm on the GEMMs the matrix-free product is made
// of, in the same run: the logits GEMM C = α A·Bᵀ with k = 64 at the product's tile
// shape (128×512×64, C in L2) and at 2048×2048×64. GFLOP/s = 2mnk / time.
func BenchmarkBKMSgemmPeer(b *testing.B) {
	for _, s := range [][3]int{{128, 512, 64}, {2048, 2048, 64}} {
		m, n, k := s[0], s[1], s[2]
		a, bm, c := bkmPoints(3, m, k, 1), bkmPoints(4, n, k, 1), make([]float32, m*n)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/t%d", m, n, k, threads), func(b *testing.B) {
				simd.SetThreads(threads)
				defer simd.SetThreads(0)
				simd.Sgemm(false, true, m, n, k, 0.125, a, k, bm, k, 0, c, n)
				b.ResetTimer()
				calls := 0
				for b.Loop() {
					simd.Sgemm(false, true, m, n, k, 0.125, a, k, bm, k, 0, c, n)
					calls++
				}
				b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(calls)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkBKMCGP1 solves P1 by matrix-free CG at n = m = 20,000, d = 64 (edp,
// Tikhonov norm so each iteration is one K and one Kᵀ product; λ = 1e3, tol 1e-4,
// at most 100 iterations) and reports iterations and the final relative residual.
func BenchmarkBKMCGP1(b *testing.B) {
	const d = 64
	n := bkmSize()
	p := bkmEDPProblem(n, d)
	for _, threads := range []int{2} {
		b.Run(fmt.Sprintf("n%d/d%d/t%d", n, d, threads), func(b *testing.B) {
			simd.SetThreads(threads)
			defer simd.SetThreads(0)
			for b.Loop() {
				_, rep, err := bkm.SolveP1CG(p, bkm.Options{Lambda: 1e3, Regularizer: bkm.RegTikhonov, Tol: 1e-4, MaxIter: 100, Threads: threads})
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("%v", rep)
				b.ReportMetric(float64(rep.Iterations), "iterations")
				b.ReportMetric(rep.Residual, "residual")
			}
		})
	}
}

// BenchmarkBKMDenseP2 solves full-mask P2 exactly (two generalized eigendecompositions
// in gonum float64) at n = m = 1,000, d = 16, rbf kernel, RKBS norm.
func BenchmarkBKMDenseP2(b *testing.B) {
	const n, d = 1000, 16
	t := bkmPoints(5, n, d, 1)
	s := bkmPoints(6, n, d, 1)
	r := bkmPoints(7, n, n, 1)
	p := &bkm.Problem{T: t, N: n, DT: d, S: s, M: n, DS: d, Kernel: attention.RBF(), R: r}
	for b.Loop() {
		_, rep, err := bkm.SolveP2Dense(p, bkm.Options{Lambda: 0.1})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%v", rep)
	}
}
