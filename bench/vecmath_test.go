package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/kernelmachines/bkm/simd"
)

// Vector-math throughput in elements/ns (one thread). Run under the lock:
//
//	flock /tmp/bench.lock go test ./bench -run '^$' -bench 'Exp|Log|Tanh|GELU|ReLU|Softmax' -count 5 [-tags sleef]
//
// With -tags sleef the SLEEF u10 AVX2 kernels, and where the CPU has AVX-512F its
// AVX-512F ones, run on the same arrays in the same run (vecmath_sleef_test.go).

var vecmathSizes = []int{1024, 4096, 1 << 20}

// vecmathInput returns the benchmark input for fn: exp and tanh get uniform values
// in [−50, 50] and [−5, 5]; log gets e^U[−40, 40] (positive, many binades).
func vecmathInput(fn string, n int) []float32 {
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	x := make([]float32, n)
	for i := range x {
		u := 2*rng.Float64() - 1
		switch fn {
		case "exp":
			x[i] = float32(50 * u)
		case "log":
			x[i] = float32(math.Exp(40 * u))
		case "tanh":
			x[i] = float32(5 * u)
		default:
			x[i] = float32(10 * u)
		}
	}
	return x
}

func reportElements(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "elements/ns")
}

func benchElementwise(b *testing.B, fn string, kernel func(dst, src []float32)) {
	for _, n := range vecmathSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			src := vecmathInput(fn, n)
			dst := make([]float32, n)
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				kernel(dst, src)
			}
			reportElements(b, n)
		})
	}
}

func BenchmarkExp(b *testing.B) { benchElementwise(b, "exp", simd.Exp) }

// BenchmarkExpGoMath is the plain Go loop over math.Exp (float64) for reference.
func BenchmarkExpGoMath(b *testing.B) {
	benchElementwise(b, "exp", func(dst, src []float32) {
		for i, v := range src {
			dst[i] = float32(math.Exp(float64(v)))
		}
	})
}

// BenchmarkCopy is the memory reference for the element-wise kernels: Go's copy on
// the same arrays as BenchmarkExp, in chunks of 16384 floats as simd hands them to
// its kernels (a single Go copy of 1 MiB or more switches to non-temporal stores,
// slower on this machine). At n = 1M src and dst (4 MiB each) stream from L3, and an
// element-wise kernel moves the same bytes as this copy.
func BenchmarkCopy(b *testing.B) {
	benchElementwise(b, "exp", func(dst, src []float32) {
		for len(dst) > 0 {
			n := min(len(dst), 1<<14)
			copy(dst[:n], src[:n])
			dst, src = dst[n:], src[n:]
		}
	})
}

func BenchmarkLog(b *testing.B)  { benchElementwise(b, "log", simd.Log) }
func BenchmarkTanh(b *testing.B) { benchElementwise(b, "tanh", simd.Tanh) }
func BenchmarkGELU(b *testing.B) { benchElementwise(b, "tanh", simd.GELU) }

// BenchmarkGELUBackward: dx += gelu'(x)·dy with x uniform in [−10, 10] and dy in
// [−5, 5]; elements/ns counts elements of dx. "simd" is simd.GELUBackward (the
// dispatched kernel: AVX2 here), "generic" the pure-Go twin asm.GeluBackwardGeneric
// that simd.GELUBackward ran before the vector kernels existed.
func BenchmarkGELUBackward(b *testing.B) {
	benchGradient(b, vecmathSizes, namedGradient{"simd", simd.GELUBackward}, namedGradient{"generic", asm.GeluBackwardGeneric})
}

// BenchmarkReLUBackward: dx += dy where x > 0, x uniform in [−10, 10] (a random sign
// per element, as the FFN pre-activations of a training step) and dy in [−5, 5];
// elements/ns counts elements of dx. "simd" is simd.ReLUBackward (the dispatched
// kernel), "generic" the twin asm.ReluBackwardGeneric: the scalar loop, branching on
// the sign of x, that train ran before. n = 512Ki is a quarter of one FFN activation
// of BenchmarkTrainStep's batch (8·256·1024): 6 MiB over the three vectors, from L3.
func BenchmarkReLUBackward(b *testing.B) {
	benchGradient(b, []int{4096, 512 << 10}, namedGradient{"simd", simd.ReLUBackward}, namedGradient{"generic", asm.ReluBackwardGeneric})
}

type namedGradient struct {
	name string
	fn   func(dx, x, dy []float32)
}

// benchGradient runs each gradient kernel dx += f(x, dy) at each size n, x uniform in
// [−10, 10] and dy in [−5, 5], reporting elements of dx per ns.
func benchGradient(b *testing.B, sizes []int, kernels ...namedGradient) {
	for _, k := range kernels {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/n=%d", k.name, n), func(b *testing.B) {
				x, dy := vecmathInput("gelu", n), vecmathInput("tanh", n)
				dx := make([]float32, n)
				b.SetBytes(int64(16 * n)) // x, dy and dx read, dx written
				for b.Loop() {
					k.fn(dx, x, dy)
				}
				reportElements(b, n)
			})
		}
	}
}

// BenchmarkSoftmax: one row of n logits, Softmax out of place (max pass, fused
// exp-and-sum pass, scale pass).
func BenchmarkSoftmax(b *testing.B) {
	for _, n := range []int{1024, 4096, 1 << 20} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			src := vecmathInput("softmax", n)
			dst := make([]float32, n)
			for b.Loop() {
				simd.Softmax(dst, src)
			}
			reportElements(b, n)
		})
	}
}

func BenchmarkLogSumExp(b *testing.B) {
	for _, n := range []int{1024, 1 << 20} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			src := vecmathInput("softmax", n)
			var s float32
			for b.Loop() {
				s += simd.LogSumExp(src)
			}
			reportElements(b, n)
			_ = s
		})
	}
}
