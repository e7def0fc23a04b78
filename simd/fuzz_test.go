package simd

// Native fuzz targets: each decodes its input into float32 vectors (every bit pattern,
// NaN and ±Inf included) or a GEMM problem, runs every implementation available on
// this machine and compares it with the pure-Go twin (level 1) or the float64
// reference (GEMM). `go test` runs only the small seed corpus; `go test -fuzz FuzzX`
// explores.

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// floatsFrom decodes little-endian float32 values from data, at most 300 of them.
func floatsFrom(data []byte) []float32 {
	n := min(len(data)/4, 300)
	x := make([]float32, n)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return x
}

// seedFloats adds a few seeds of increasing length with special values mixed in. The
// long ones give the two-vector routines (which halve the input) 75 and 150 elements:
// past the 64-lane AVX-512 step, its 16-lane loop and its masked tail.
func seedFloats(f *testing.F, extra ...any) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 7, 8, 33, 70, 150, 300} {
		x := make([]float32, n)
		fillInput(rng, x, 10, 6)
		data := make([]byte, 4*n)
		for i, v := range x {
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
		}
		f.Add(append([]any{data}, extra...)...)
	}
}

// withEachImpl runs body with the dispatch table switched to every implementation.
func withEachImpl(body func(im *impl)) {
	old := active
	defer func() { active = old }()
	for _, im := range available {
		active = im
		body(im)
	}
}

// halves splits x into two equal-length vectors.
func halves(x []float32) (a, b []float32) {
	h := len(x) / 2
	return x[:h], x[h : 2*h]
}

// requireReduction compares a reduction with the twin's value: a NaN input must give
// NaN; otherwise, when Σ|terms| is finite and far from overflow, the values must agree
// within the summation-order bound n·eps·Σ|terms|. (With infinite or huge terms a
// different order may overflow or not, or meet +Inf and -Inf or not: no comparison.)
func requireReduction(t *testing.T, name string, want, got float32, n int, absTerms float64, inputs ...[]float32) {
	t.Helper()
	for _, x := range inputs {
		for _, v := range x {
			if v != v {
				require.True(t, got != got, "%s: NaN input, got %v", name, got)
				return
			}
		}
	}
	if math.IsInf(absTerms, 0) || absTerms > math.MaxFloat32/2 {
		return
	}
	require.InDelta(t, float64(want), float64(got), float64(n+1)*0x1p-23*absTerms, name)
}

func FuzzDot(f *testing.F) {
	seedFloats(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		x, y := halves(floatsFrom(data))
		var terms float64
		for i := range x {
			terms += math.Abs(float64(x[i]) * float64(y[i]))
		}
		want := genericImpl.dot(x, y)
		withEachImpl(func(im *impl) { requireReduction(t, im.name+" dot", want, Dot(x, y), len(x), terms, x, y) })
	})
}

func FuzzSum(f *testing.F) {
	seedFloats(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		x := floatsFrom(data)
		var terms float64
		for _, v := range x {
			terms += math.Abs(float64(v))
		}
		want := genericImpl.sum(x)
		withEachImpl(func(im *impl) { requireReduction(t, im.name+" sum", want, Sum(x), len(x), terms, x) })
	})
}

func FuzzMax(f *testing.F) {
	seedFloats(f)
	f.Add([]byte{0, 0, 0, 0x80, 0, 0, 0, 0}) // -0 then +0: the first zero wins
	f.Fuzz(func(t *testing.T, data []byte) {
		x := floatsFrom(data)
		want := genericImpl.max(x)
		withEachImpl(func(im *impl) {
			require.Equal(t, math.Float32bits(want), math.Float32bits(Max(x)), "%s max of %v", im.name, x)
		})
	})
}

// fuzzElementwise runs an element-wise routine through every implementation into a
// guarded output and requires agreement with the twin within maxULP.
func fuzzElementwise(t *testing.T, n int, maxULP uint32, run func(dst []float32)) {
	want := make([]float32, n)
	old := active
	active = genericImpl
	run(want)
	active = old
	withEachImpl(func(im *impl) {
		buf, got := guarded(n, 3)
		run(got)
		requireGuards(t, buf, 3, n, im.name)
		requireULP(t, want, got, maxULP, im.name)
	})
}

func FuzzAdd(f *testing.F) {
	seedFloats(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		x, y := halves(floatsFrom(data))
		fuzzElementwise(t, len(x), 0, func(dst []float32) { Add(dst, x, y) })
	})
}

func FuzzMul(f *testing.F) {
	seedFloats(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		x, y := halves(floatsFrom(data))
		fuzzElementwise(t, len(x), 0, func(dst []float32) { Mul(dst, x, y) })
	})
}

func FuzzScale(f *testing.F) {
	seedFloats(f, float32(-1.5))
	f.Fuzz(func(t *testing.T, data []byte, alpha float32) {
		x := floatsFrom(data)
		fuzzElementwise(t, len(x), 0, func(dst []float32) { copy(dst, x); Scale(alpha, dst) })
	})
}

func FuzzAxpy(f *testing.F) {
	seedFloats(f, float32(0.25))
	f.Fuzz(func(t *testing.T, data []byte, alpha float32) {
		x, y := halves(floatsFrom(data))
		// The twin's FMA rounds twice (through float64): allow the rare 1-ULP tie.
		fuzzElementwise(t, len(x), 1, func(dst []float32) { copy(dst, y); Axpy(alpha, x, dst) })
	})
}

// FuzzSgemm draws a GEMM problem (shape up to 80 in each dimension, so that it
// straddles the register tiles; transposes; row padding; alpha and beta folded into
// [-4, 4]) and checks every implementation against the float64 reference.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(7), uint8(17), uint8(5), false, true, uint8(1), float32(1), float32(0), uint64(1))
	f.Add(uint8(13), uint8(33), uint8(64), true, false, uint8(0), float32(-2), float32(0.5), uint64(2))
	f.Add(uint8(64), uint8(64), uint8(64), false, false, uint8(2), float32(1), float32(1), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k uint8, transA, transB bool, pad uint8, alpha, beta float32, seed uint64) {
		fold := func(v float32) float32 {
			if v != v || math.IsInf(float64(v), 0) {
				return 1
			}
			return float32(math.Mod(float64(v), 4))
		}
		alpha, beta = fold(alpha), fold(beta)
		withEachImpl(func(im *impl) {
			rng := rand.New(rand.NewPCG(seed, uint64(m)))
			gemmCase(t, rng, transA, transB, int(m%81), int(n%81), int(k%81), int(pad%4), alpha, beta)
		})
	})
}
