//go:build !purego

package asm

// Vector-math kernels (vecmath_amd64.s), AVX2+FMA and AVX-512F, documented in
// pairs: the AVX2 kernel carries the reference loop, its AVX-512F sibling below it
// the same contract. The AVX2 kernels process all of dst (or x) in 16- or 8-lane
// steps with a masked tail; the AVX-512F ones run the same per-lane operations on
// 16-lane ZMM registers, 64 elements per step (callers check for AVX-512F with OS
// ZMM support). Callers bound the length (simd passes chunks). The results equal
// the twins' bit for bit; the sums differ by summation order.

// ExpAVX2 computes dst[i] = e^src[i]. len(src) ≥ len(dst). Reference loop:
//
//	for i := range dst { dst[i] = Exp32(src[i]) }
//
//go:noescape
func ExpAVX2(dst, src []float32)

// ExpAVX512 is ExpAVX2 on AVX-512F.
//
//go:noescape
func ExpAVX512(dst, src []float32)

// ExpLargeAVX2 is ExpAVX2 with a software prefetch ahead of src, for arrays larger
// than L2. len(dst) is a multiple of 32 and len(src) ≥ len(dst); the results equal
// ExpAVX2's bit for bit. Reference loop:
//
//	for i := range dst { dst[i] = Exp32(src[i]) }
//
//go:noescape
func ExpLargeAVX2(dst, src []float32)

// ExpLargeAVX512 is ExpLargeAVX2 on AVX-512F: len(dst) is a multiple of 64 and the
// results equal ExpAVX512's bit for bit.
//
//go:noescape
func ExpLargeAVX512(dst, src []float32)

// ExpSubAVX2 computes dst[i] = e^(src[i] − m) and returns their sum, in 16 partial
// sums. len(src) ≥ len(dst). Reference loop:
//
//	for i := range dst { dst[i] = Exp32(src[i] - m); s += dst[i] }
//
//go:noescape
func ExpSubAVX2(dst, src []float32, m float32) float32

// ExpSubAVX512 is ExpSubAVX2 on AVX-512F, with 32 partial sums.
//
//go:noescape
func ExpSubAVX512(dst, src []float32, m float32) float32

// ExpSumAVX2 returns Σ e^(x[i] − m), in 16 partial sums, storing nothing. Reference loop:
//
//	for _, v := range x { s += Exp32(v - m) }
//
//go:noescape
func ExpSumAVX2(x []float32, m float32) float32

// ExpSumAVX512 is ExpSumAVX2 on AVX-512F, with 32 partial sums.
//
//go:noescape
func ExpSumAVX512(x []float32, m float32) float32

// LogAVX2 computes dst[i] = ln src[i]. len(src) ≥ len(dst). Reference loop:
//
//	for i := range dst { dst[i] = Log32(src[i]) }
//
//go:noescape
func LogAVX2(dst, src []float32)

// LogAVX512 is LogAVX2 on AVX-512F.
//
//go:noescape
func LogAVX512(dst, src []float32)

// TanhAVX2 computes dst[i] = tanh src[i]. len(src) ≥ len(dst). Reference loop:
//
//	for i := range dst { dst[i] = Tanh32(src[i]) }
//
//go:noescape
func TanhAVX2(dst, src []float32)

// TanhAVX512 is TanhAVX2 on AVX-512F.
//
//go:noescape
func TanhAVX512(dst, src []float32)

// GeluAVX2 computes dst[i] = gelu(src[i]) (tanh approximation). len(src) ≥ len(dst).
// Reference loop:
//
//	for i := range dst { x := src[i]; x3 := x*x*x; u := k0 * fma(k1, x3, x); dst[i] = 0.5*x * (1 + Tanh32(u)) }
//
//go:noescape
func GeluAVX2(dst, src []float32)

// GeluAVX512 is GeluAVX2 on AVX-512F.
//
//go:noescape
func GeluAVX512(dst, src []float32)

// GeluBackwardAVX2 accumulates dx[i] += gelu'(x[i])·dy[i] (tanh approximation).
// len(x), len(dy) ≥ len(dx); the results equal GeluBackwardGeneric's bit for bit.
// Reference loop (every operation rounded to float32, fma rounded once):
//
//	for i := range dx {
//		v := min(max(x[i], -10), 10); x2 := v*v; t := Tanh32(k0 * fma(k1, x2*v, v))
//		g := fma((0.5*v)*(1-t*t), k0*fma(3*k1, x2, 1), 0.5*(1+t)); dx[i] += g*dy[i]
//	}
//
//go:noescape
func GeluBackwardAVX2(dx, x, dy []float32)

// GeluBackwardAVX512 is GeluBackwardAVX2 on AVX-512F.
//
//go:noescape
func GeluBackwardAVX512(dx, x, dy []float32)
