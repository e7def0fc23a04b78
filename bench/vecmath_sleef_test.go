//go:build sleef && cgo && amd64

package bench

import (
	"math"
	"testing"
)

func BenchmarkExpSLEEFu10AVX2(b *testing.B)  { benchElementwise(b, "exp", SleefExp) }
func BenchmarkLogSLEEFu10AVX2(b *testing.B)  { benchElementwise(b, "log", SleefLog) }
func BenchmarkTanhSLEEFu10AVX2(b *testing.B) { benchElementwise(b, "tanh", SleefTanh) }

// The AVX-512F entry points, where the CPU has AVX-512F (skipped otherwise).
func BenchmarkExpSLEEFu10AVX512(b *testing.B)  { benchSleefAVX512(b, "exp", SleefExpAVX512) }
func BenchmarkLogSLEEFu10AVX512(b *testing.B)  { benchSleefAVX512(b, "log", SleefLogAVX512) }
func BenchmarkTanhSLEEFu10AVX512(b *testing.B) { benchSleefAVX512(b, "tanh", SleefTanhAVX512) }

func benchSleefAVX512(b *testing.B, fn string, kernel func(dst, src []float32)) {
	if !HaveSleefAVX512() {
		b.Skip("no AVX-512F on this CPU (or no OS ZMM support)")
	}
	benchElementwise(b, fn, kernel)
}

// TestSleefAVX512MatchesAVX2: the AVX-512F wrappers compute the same functions as the
// AVX2 ones (both u10: within 2 ULP of each other) on every lane and on the scalar
// tail, so the benchmarks compare like with like.
func TestSleefAVX512MatchesAVX2(t *testing.T) {
	if !HaveSleefAVX512() {
		t.Skip("no AVX-512F on this CPU (or no OS ZMM support)")
	}
	for _, c := range []struct {
		fn         string
		avx2, avx5 func(dst, src []float32)
	}{{"exp", SleefExp, SleefExpAVX512}, {"log", SleefLog, SleefLogAVX512}, {"tanh", SleefTanh, SleefTanhAVX512}} {
		src := vecmathInput(c.fn, 1000+13)
		want, got := make([]float32, len(src)), make([]float32, len(src))
		c.avx2(want, src)
		c.avx5(got, src)
		for i := range src {
			w, g := float64(want[i]), float64(got[i])
			ulp := math.Abs(float64(math.Nextafter32(want[i], float32(math.Inf(1)))) - w)
			if math.Abs(w-g) > 2*ulp {
				t.Fatalf("%s(%v): AVX-512F %v, AVX2 %v", c.fn, src[i], g, w)
			}
		}
	}
}
