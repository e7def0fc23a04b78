package simd

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/kernelmachines/bkm/asm"
)

// Fuzz targets: every implementation against the twin. The fuzzed value is placed
// in every lane of vectors of several lengths, next to scaled neighbours, so that
// both the full-width path and the tails see it.

func fuzzVecElementwise(t *testing.T, x float32, kern func(im *impl) func(dst, src []float32), twin func(float32) float32) {
	src := make([]float32, 87)
	for i := range src {
		src[i] = x * float32(1+i%5) / 3
		if i%4 == 0 {
			src[i] = x
		}
	}
	dst := make([]float32, len(src))
	for _, im := range available {
		for _, n := range []int{1, 7, 8, 9, 16, 23, 64, 87} { // 87 = a 64-lane block, a 16-lane step and a tail
			kern(im)(dst[:n], src[:n])
			for i, v := range src[:n] {
				w := twin(v)
				if math.Float32bits(w) != math.Float32bits(dst[i]) && !(w != w && dst[i] != dst[i]) {
					t.Fatalf("%s: input %g [%#08x] (n=%d lane %d): got %g [%#08x], twin %g [%#08x]",
						im.name, v, math.Float32bits(v), n, i, dst[i], math.Float32bits(dst[i]), w, math.Float32bits(w))
				}
			}
		}
	}
}

func addFloatSeeds(f *testing.F) {
	for _, v := range specials {
		f.Add(v)
	}
	for _, v := range []float32{0.5, -0.5625, 0.5625, 9.01, 88.72283, -87.33654, -103.97, 1e-30, 0.70710677, 1.4142135} {
		f.Add(v)
	}
}

func FuzzExp(f *testing.F) {
	fuzzVecTarget(f, func(im *impl) func(dst, src []float32) { return im.exp }, asm.Exp32)
}

func FuzzLog(f *testing.F) {
	fuzzVecTarget(f, func(im *impl) func(dst, src []float32) { return im.log }, asm.Log32)
}

func FuzzTanh(f *testing.F) {
	fuzzVecTarget(f, func(im *impl) func(dst, src []float32) { return im.tanh }, asm.Tanh32)
}

func FuzzGELU(f *testing.F) {
	for _, v := range []float32{-0.75, 10, -10, 6.9e12, 7e12, -7e12, 2e19, -2e19} {
		f.Add(v)
	}
	fuzzVecTarget(f, func(im *impl) func(dst, src []float32) { return im.gelu }, gelu32)
}

// FuzzReLU: ReLU through every implementation against Go's max(x, 0), bit for bit
// (NaN stays NaN, −0 becomes +0).
func FuzzReLU(f *testing.F) {
	f.Add(float32(-1e-45))
	fuzzVecTarget(f, reluOf, func(x float32) float32 { return max(x, 0) })
}

// fuzzVecTarget is the fuzz target of one element-wise routine (picked from each
// table) against its scalar reference ref, seeded with addFloatSeeds.
func fuzzVecTarget(f *testing.F, pick func(*impl) func(dst, src []float32), ref func(float32) float32) {
	addFloatSeeds(f)
	f.Fuzz(func(t *testing.T, x float32) { fuzzVecElementwise(t, x, pick, ref) })
}

// gelu32 is GeluGeneric for one element.
func gelu32(x float32) float32 {
	var y [1]float32
	asm.GeluGeneric(y[:], []float32{x})
	return y[0]
}

// FuzzGELUBackward: dx += gelu'(x)·dy through every implementation against the twin,
// bit for bit. The fuzzed x, dy and dx are placed in every lane of vectors of several
// lengths (up to a 64-lane block, a 16-lane step and a tail), next to scaled neighbours.
func FuzzGELUBackward(f *testing.F) {
	for _, v := range specials {
		f.Add(v, float32(1), float32(0))
		f.Add(v, float32(-0.5), float32(2))
	}
	for _, v := range []float32{0.5, -0.7, 0.7, -0.75, 4.88, -5.16, 5.2, 9.99, 10, 10.01, -10, 1e-30, 1.8e19, 2e19} {
		f.Add(v, float32(1), float32(0))
	}
	f.Add(float32(1), float32(math.Inf(1)), float32(0))
	f.Add(float32(1), float32(1), float32(math.NaN()))
	f.Fuzz(func(t *testing.T, x, dy, dx float32) {
		fuzzAccumulate(t, x, dy, dx, func(im *impl) func(dx, x, dy []float32) { return im.geluBackward }, asm.GeluBackwardGeneric, nil)
	})
}

// FuzzReLUBackward: dx += dy where x > 0 through every implementation against the
// twin, bit for bit, as FuzzGELUBackward; where x ≤ 0 or x is NaN, dx must keep its
// exact bits (NaN payloads and −0 included) whatever dy holds.
func FuzzReLUBackward(f *testing.F) {
	negZero := float32(math.Copysign(0, -1))
	for _, v := range specials {
		f.Add(v, float32(1), negZero)
		f.Add(float32(-1), v, negZero)
		f.Add(float32(2), float32(-0.5), v)
	}
	f.Add(negZero, float32(math.NaN()), math.Float32frombits(0x7f800001)) // a signaling NaN dx kept
	f.Add(float32(1), negZero, negZero)
	f.Fuzz(func(t *testing.T, x, dy, dx float32) {
		fuzzAccumulate(t, x, dy, dx, func(im *impl) func(dx, x, dy []float32) { return im.reluBackward }, asm.ReluBackwardGeneric,
			func(x float32) bool { return !(x > 0) })
	})
}

// fuzzAccumulate is the body of the fuzz targets of the gradient kernels dx += f(x, dy):
// the fuzzed x, dy and dx are placed in every fourth lane of vectors of several lengths
// (up to a 64-lane block, a 16-lane step and a tail), next to scaled neighbours, and
// every implementation's kernel (pick) must give twin's bits, any NaN matching any
// NaN. Past the length, and where keep (if not nil) holds for x, dx must keep its
// exact bits.
func fuzzAccumulate(t *testing.T, x, dy, dx float32, pick func(*impl) func(dx, x, dy []float32), twin func(dx, x, dy []float32), keep func(x float32) bool) {
	const n = 87
	xs, dys, dx0 := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range xs {
		xs[i], dys[i], dx0[i] = x*float32(1+i%5)/3, dy*float32(1+i%3), dx*float32(i%4)
		if i%4 == 0 {
			xs[i], dys[i], dx0[i] = x, dy, dx
		}
	}
	want := append([]float32(nil), dx0...)
	twin(want, xs, dys)
	got := make([]float32, n)
	for _, im := range available {
		for _, m := range []int{1, 7, 8, 9, 16, 23, 64, 87} {
			copy(got, dx0)
			pick(im)(got[:m], xs[:m], dys[:m])
			for i := range got {
				w, exact := want[i], false
				if i >= m || keep != nil && keep(xs[i]) {
					w, exact = dx0[i], true // past the length or a kept lane: untouched
				}
				if math.Float32bits(w) != math.Float32bits(got[i]) && (exact || !(w != w && got[i] != got[i])) {
					t.Fatalf("%s: x %g [%#08x] dy %g dx %g (n=%d lane %d): got %g [%#08x], twin %g [%#08x]",
						im.name, xs[i], math.Float32bits(xs[i]), dys[i], dx0[i], m, i, got[i], math.Float32bits(got[i]), w, math.Float32bits(w))
				}
			}
		}
	}
}

// FuzzSoftmax runs Softmax through every implementation on a row decoded from the
// fuzz bytes (4 bytes per float32) and checks it against the generic result and the
// documented invariants: finite input gives entries in [0, 1] summing to 1.
func FuzzSoftmax(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64})
	f.Add(make([]byte, 40))
	f.Add([]byte{0xff, 0xff, 0x7f, 0x7f, 0xff, 0xff, 0x7f, 0xff, 0, 0, 0x80, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 4
		src := make([]float32, n)
		finite := true
		for i := range src {
			src[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			if math.IsNaN(float64(src[i])) || math.IsInf(float64(src[i]), 0) {
				finite = false
			}
		}
		old := active
		defer func() { active = old }()
		active = genericImpl
		want := make([]float32, n)
		Softmax(want, src)
		got := make([]float32, n)
		for _, im := range available {
			active = im
			Softmax(got, src)
			var sum float64
			for i := range got {
				w, g := float64(want[i]), float64(got[i])
				if w != w || g != g {
					if (w != w) != (g != g) {
						t.Fatalf("%s: index %d: got %v, generic %v", im.name, i, g, w)
					}
					continue
				}
				if math.Abs(w-g) > float64(n+4)*0x1p-23*w+1e-44 {
					t.Fatalf("%s: index %d: got %v, generic %v", im.name, i, g, w)
				}
				sum += g
			}
			if finite && n > 0 {
				for i, g := range got {
					if g != g || g < 0 || g > 1 {
						t.Fatalf("%s: finite input gives %v at %d", im.name, g, i)
					}
				}
				if math.Abs(sum-1) > float64(n+2)*0x1p-23 {
					t.Fatalf("%s: sum %v", im.name, sum)
				}
			}
		}
	})
}
