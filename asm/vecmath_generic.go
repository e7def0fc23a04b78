package asm

import "math"

// Vector-math twins: exp, log, tanh and the fused softmax passes. Each is the exact
// scalar algorithm the AVX2 and NEON kernels run lane by lane (same reduction, same
// float32 polynomial, same fused multiply-adds, same order of operations), so the
// vector kernels agree with them bit for bit; the accuracy tests measure these
// algorithms against float64 math.
//
// Every multiply-add written fmaf below is one fused, singly rounded float32
// operation (VFMADD231PS, FMLA). Products that must be rounded on their own are
// wrapped in float32(...) so that the Go compiler cannot fuse them (it may on arm64).
//
// The constants (exp8Log2e, logC0, tanhMax, …) are generated into vecmath_consts.go
// from the one table in asm/_gen/consts.go, which also writes the bit patterns the
// .s files use; the table says how each was derived.

// fmaf returns a·b + c rounded once to float32, as the hardware FMA does. The
// product is exact in float64 and the sum is rounded to odd in float64 (nearest,
// then the last bit forced to 1 when inexact), which makes the final rounding to
// float32 correct: 53 ≥ 2·24 + 2 bits.
func fmaf(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	if math.IsInf(s, 0) || math.IsNaN(s) || s == 0 {
		return float32(s)
	}
	// TwoSum: e is exactly (p + c) − s.
	bv := s - p
	e := (p - (s - bv)) + (float64(c) - bv)
	if e != 0 {
		bits := math.Float64bits(s)
		if bits&1 == 0 {
			if (e > 0) == (s > 0) {
				bits++ // the exact value lies farther from zero
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}

// expParts returns p ≈ e^x/2^n in [0.95, 1.92] and n, for x already clamped to
// [expMin, expMax] (or NaN, which makes p NaN): k = round(8x·log2e),
// r = x − k·ln2/8 (r1 exact, then the low part), T = T[k&7],
// p = Thi + (Thi·(r + r²·q(r)) + Tlo), n = k >> 3.
func expParts(x float32) (p float32, n int32) {
	z := fmaf(x, exp8Log2e, expShifter)
	kf := z - expShifter
	r := fmaf(kf, -exp8Ln2Hi, x)
	r = fmaf(kf, -exp8Ln2Lo, r)
	r2 := float32(r * r)
	q := fmaf(expC2, r, expC1)
	q = fmaf(q, r, 0.5)
	u := fmaf(q, r2, r)
	k := int32(math.Float32bits(z)) - 0x4b400000
	thi, tlo := expTabHi[k&7], expTabLo[k&7]
	p = thi + fmaf(thi, u, tlo)
	return p, k >> 3
}

// Exp32 returns e^x, the per-element body of ExpGeneric.
func Exp32(x float32) float32 {
	if x > expMax {
		x = expMax
	}
	if x < expMin {
		x = expMin
	}
	p, n := expParts(x)
	// 2^n in two factors, each a normal float32 for n in [−150, 128]: the first
	// product is exact, the second rounds once (to +Inf, a subnormal or 0 as needed).
	// When the result is normal both are exact, and the vector kernels add n to the
	// exponent field of p instead.
	n1 := n >> 1
	n2 := n - n1
	s1 := math.Float32frombits(uint32(n1+127) << 23)
	s2 := math.Float32frombits(uint32(n2+127) << 23)
	return float32(p*s1) * s2
}

// ExpGeneric computes dst[i] = e^src[i] for i < len(dst). len(src) ≥ len(dst).
// Max error 1 ULP on normal results; exp(NaN) = NaN, exp(+Inf) = +Inf,
// exp(−Inf) = +0, x > 88.7228 gives +Inf; results below the normal range are the
// product p·2^n rounded once to a subnormal or +0 (within 1 subnormal spacing).
func ExpGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = Exp32(v)
	}
}

// ExpSubGeneric computes dst[i] = e^(src[i] − m) for i < len(dst) and returns
// their sum, accumulated in order in float32. len(src) ≥ len(dst).
func ExpSubGeneric(dst, src []float32, m float32) float32 {
	src = src[:len(dst)]
	var s float32
	for i, v := range src {
		e := Exp32(v - m)
		dst[i] = e
		s += e
	}
	return s
}

// ExpSumGeneric returns Σ e^(x[i] − m), accumulated in order in float32, without
// storing the terms (the first pass of LogSumExp).
func ExpSumGeneric(x []float32, m float32) float32 {
	var s float32
	for _, v := range x {
		s += Exp32(v - m)
	}
	return s
}

// Log32 returns the natural logarithm of x, the per-element body of LogGeneric.
func Log32(x float32) float32 {
	b := int32(math.Float32bits(x))
	var eb int32
	if b <= 0x7fffff || b >= 0x7f800000 { // not a positive normal number
		switch {
		case x != x:
			return x
		case x < 0:
			return float32(math.NaN())
		case x == 0:
			return float32(math.Inf(-1))
		case x > math.MaxFloat32:
			return x
		}
		// Positive subnormal: scale into the normal range.
		x *= logTwo23
		b = int32(math.Float32bits(x))
		eb = -23
	}
	ix := b - logSqrtHalfBits
	e := ix >> 23
	m := math.Float32frombits(uint32(ix&0x7fffff + logSqrtHalfBits))
	f := m - 1 // exact: m is in [√½, √2)
	ef := float32(e + eb)
	q := fmaf(logC8, f, logC7)
	q = fmaf(q, f, logC6)
	q = fmaf(q, f, logC5)
	q = fmaf(q, f, logC4)
	q = fmaf(q, f, logC3)
	q = fmaf(q, f, logC2)
	q = fmaf(q, f, logC1)
	q = fmaf(q, f, logC0)
	// e·ln2hi + f with its rounding error recovered (Fast2Sum, |e·ln2hi| ≥ |f| or e = 0),
	// then the small terms f²·Q + e·ln2lo + err are added in one final rounding.
	hi := float32(ef * logLn2Hi) // exact
	s := hi + f
	err := f - (s - hi)
	d := fmaf(ef, logLn2Lo, err)
	c := fmaf(f, float32(f*q), d)
	return s + c
}

// LogGeneric computes dst[i] = log(src[i]) for i < len(dst). len(src) ≥ len(dst).
// Max error 1 ULP; log(±0) = −Inf, log(x < 0) = NaN, log(+Inf) = +Inf,
// log(NaN) = NaN; subnormal inputs are handled exactly like normal ones.
func LogGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = Log32(v)
	}
}

// Tanh32 returns tanh x, the per-element body of TanhGeneric.
func Tanh32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	var y float32
	if a < tanhSmall {
		t := float32(a * a)
		q := fmaf(tanhC4, t, tanhC3)
		q = fmaf(q, t, tanhC2)
		q = fmaf(q, t, tanhC1)
		q = fmaf(q, t, tanhC0)
		y = fmaf(float32(a*t), q, a)
	} else {
		if a > tanhMax {
			a = tanhMax
		}
		p, n := expParts(a + a)
		e := float32(p * math.Float32frombits(uint32(n+127)<<23)) // e^{2|x|}, n ≤ 29
		y = 1 - 2/(e+1)
	}
	return math.Float32frombits(math.Float32bits(y) | math.Float32bits(x)&(1<<31))
}

// TanhGeneric computes dst[i] = tanh(src[i]) for i < len(dst). len(src) ≥ len(dst).
// Max error 2 ULP; odd (tanh(−0) = −0), tanh(±Inf) = ±1, tiny x gives x.
func TanhGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = Tanh32(v)
	}
}

// GELU, tanh approximation (Hendrycks & Gimpel; the form GPT-2 and llm.c use):
//
//	gelu(x) = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³)
//	gelu'(x) = ½·(1 + tanh u) + ½·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²)
//
// The kernels use ½(1 + tanh u) = s = 1/(1 + e^{−2u}), the logistic of 2u, so that one
// exp and one division replace tanh's two paths (a polynomial and an exp with a
// division, both computed and blended in a vector): with e = e^{−2u}, ½(1 − tanh² u)
// = 2s(1 − s) and 1 − s = e·s, so
//
//	gelu(x) = x·s,  gelu'(x) = s·(1 + 2x·(1 − s)·√(2/π)·(1 + 3·0.044715·x²)).
//
// x is clamped to [−10, 10] inside u (|2u| ≤ 87.32, so e^{−2u} is a normal number and
// p·2^n needs no second factor); beyond ±10 s is 1 or below 1.3e-38. geluK1 and
// geluK1x3 are 0.044715 and 3·0.044715 rounded to float32, geluM2K0 is −2·float32(√(2/π)).

// geluExp returns e^{−2u} for c = x clamped to [−10, 10]: −2u = geluM2K0·fma(k1, c³, c),
// then p·2^n with 2^n built from n's bits (a normal number: n ≥ −126).
func geluExp(c float32) float32 {
	x2 := float32(c * c)
	w := float32(geluM2K0 * fmaf(geluK1, float32(x2*c), c))
	p, n := expParts(w)
	return float32(p * math.Float32frombits(uint32(n+127)<<23))
}

// GeluGeneric computes dst[i] = gelu(src[i]) for i < len(dst): x/(1 + e^{−2u}) with x
// clamped to [−10, 10] in u and to [−10, +Inf) in the numerator (gelu(x) for x ≤ −10 is
// below 1.3e-37 in magnitude, and so is the result; gelu(+Inf) = +Inf, NaN gives NaN).
// Within 4e-7·|gelu(x)| + 1e-7 of float64 math. dst may be src.
func GeluGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		c := min(max(x, geluBwdMin), tanhMax)
		dst[i] = max(x, geluBwdMin) / (1 + geluExp(c))
	}
}

// GeluBackwardGeneric computes dx[i] += gelu'(x[i])·dy[i] for i < len(dx) (the
// gradient accumulates, as in llm.c). len(x), len(dy) ≥ len(dx). Per element, with x
// clamped to [−10, 10] (NaN passes) and every operation rounded to float32:
//
//	e = geluExp(x); s = 1/(1 + e); es = e·s (= 1 − s); q = geluM2K0·fma(3·k1, x², 1)
//	g = s·fma(−(x·q), es, 1), and g = 0 where x ≤ −10; dx += g·dy
//
// (x·q = −2x·√(2/π)·(1 + 3·0.044715·x²)). Beyond ±10 gelu'(x) is exactly 1 or 0 (the
// zero is set, as the formula leaves ~1e-35 there), and the clamp keeps x² finite.
// The fused multiply-add is written as fmaf, so that the twin means the same on every
// build (Go fuses an unconverted a·b + c on arm64 and on amd64 with GOAMD64=v3, not
// with v1) and the vector kernels match it bit for bit.
// gelu'(+Inf) = 1, gelu'(−Inf) = 0, NaN in x or dy gives NaN.
func GeluBackwardGeneric(dx, x, dy []float32) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	for i, v := range x {
		v = min(max(v, geluBwdMin), tanhMax)
		e := geluExp(v)
		s := 1 / (1 + e)
		es := float32(e * s)
		q := float32(geluM2K0 * fmaf(geluK1x3, float32(v*v), 1))
		g := float32(s * fmaf(-float32(v*q), es, 1))
		if v == geluBwdMin {
			g = 0
		}
		dx[i] += float32(g * dy[i])
	}
}

// ExpLargeGeneric is the twin of the large-array exp kernels (ExpLargeAVX2): the
// same loop as ExpGeneric; only the prefetching differs.
func ExpLargeGeneric(dst, src []float32) {
	for i := range dst {
		dst[i] = Exp32(src[i])
	}
}
