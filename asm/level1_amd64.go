//go:build !purego

package asm

// Level-1 kernels, AVX2+FMA and AVX-512F, documented in pairs: the AVX2 kernel
// carries the reference loop, its AVX-512F sibling below it the same contract. The
// AVX2 kernels loop over their slices in four 8-wide YMM registers (32 floats per
// iteration), then 8 floats at a time, then a scalar tail; the AVX-512F ones in four
// 16-wide ZMM registers (64 floats), then 16 at a time, then one masked step for the
// last len mod 16 (masked loads and stores touch nothing past the end). The
// element-wise kernels run the same instructions lane by lane, so both widths equal
// each other bit for bit. Length checks are the caller's: the kernels trust
// len(y) ≥ len(x) and the like.

// DotAVX2 returns Σ x[i]·y[i] for i < len(x); len(y) ≥ len(x). Reference loop:
//
//	var s float32
//	for i, v := range x {
//		s += v * y[i]
//	}
//	return s
//
// The vector version keeps 32 partial sums (fused multiply-adds) and adds them at
// the end, so it agrees with the loop within rounding of the summation order.
//
//go:noescape
func DotAVX2(x, y []float32) float32

// DotAVX512 is DotAVX2 on AVX-512F, with 64 partial sums.
//
//go:noescape
func DotAVX512(x, y []float32) float32

// AxpyAVX2 computes y[i] += alpha·x[i] for i < len(x) with one rounding; len(y) ≥ len(x).
// Reference loop:
//
//	for i, v := range x {
//		y[i] = fma(alpha, v, y[i])
//	}
//
//go:noescape
func AxpyAVX2(alpha float32, x, y []float32)

// AxpyAVX512 is AxpyAVX2 on AVX-512F.
//
//go:noescape
func AxpyAVX512(alpha float32, x, y []float32)

// ScaleAVX2 computes x[i] *= alpha. Reference loop:
//
//	for i := range x {
//		x[i] *= alpha
//	}
//
//go:noescape
func ScaleAVX2(alpha float32, x []float32)

// ScaleAVX512 is ScaleAVX2 on AVX-512F.
//
//go:noescape
func ScaleAVX512(alpha float32, x []float32)

// AddAVX2 computes dst[i] = x[i] + y[i] for i < len(dst); len(x), len(y) ≥ len(dst).
// Reference loop:
//
//	for i := range dst {
//		dst[i] = x[i] + y[i]
//	}
//
//go:noescape
func AddAVX2(dst, x, y []float32)

// AddAVX512 is AddAVX2 on AVX-512F.
//
//go:noescape
func AddAVX512(dst, x, y []float32)

// ReluAVX2 computes dst[i] = max(x[i], 0) for i < len(dst), with Go's max (a NaN
// stays NaN, −0 becomes +0); len(x) ≥ len(dst). Reference loop:
//
//	for i := range dst {
//		dst[i] = max(x[i], 0)
//	}
//
//go:noescape
func ReluAVX2(dst, x []float32)

// ReluAVX512 is ReluAVX2 on AVX-512F.
//
//go:noescape
func ReluAVX512(dst, x []float32)

// ReluBackwardAVX2 accumulates the ReLU gradient dx[i] += dy[i] where x[i] > 0, for
// i < len(dx); len(x), len(dy) ≥ len(dx). Reference loop:
//
//	for i := range dx {
//		if x[i] > 0 {
//			dx[i] += dy[i]
//		}
//	}
//
// Branch-free: the compare 0 < x (false for NaN) selects dx + dy or dx's own bits
// lane by lane (a blend; a masked add on AVX-512F), so where x ≤ 0 or x is NaN, dx
// keeps its bits exactly (−0 and NaN payloads included) and dy is not added.
//
//go:noescape
func ReluBackwardAVX2(dx, x, dy []float32)

// ReluBackwardAVX512 is ReluBackwardAVX2 on AVX-512F.
//
//go:noescape
func ReluBackwardAVX512(dx, x, dy []float32)

// MulAVX2 computes dst[i] = x[i]·y[i] for i < len(dst); len(x), len(y) ≥ len(dst).
// Reference loop:
//
//	for i := range dst {
//		dst[i] = x[i] * y[i]
//	}
//
//go:noescape
func MulAVX2(dst, x, y []float32)

// MulAVX512 is MulAVX2 on AVX-512F.
//
//go:noescape
func MulAVX512(dst, x, y []float32)

// SumAVX2 returns Σ x[i]. Reference loop:
//
//	var s float32
//	for _, v := range x {
//		s += v
//	}
//	return s
//
// The vector version keeps 32 partial sums, so it agrees with the loop within
// rounding of the summation order.
//
//go:noescape
func SumAVX2(x []float32) float32

// SumAVX512 is SumAVX2 on AVX-512F, with 64 partial sums.
//
//go:noescape
func SumAVX512(x []float32) float32

// MaxAVX2 returns max x[i], -Inf for an empty slice, and the first NaN of x if x
// holds one. Reference loop:
//
//	m := float32(math.Inf(-1))
//	for _, v := range x {
//		if v != v {
//			return v
//		}
//		if v > m {
//			m = v
//		}
//	}
//	return m
//
// The result is bit-identical to the loop: when the vector pass sees a NaN, or its
// maximum is ±0 (whose sign depends on which zero came first), it reruns the loop.
//
//go:noescape
func MaxAVX2(x []float32) float32

// MaxAVX512 is MaxAVX2 on AVX-512F, bit-identical to the loop in the same way.
//
//go:noescape
func MaxAVX512(x []float32) float32
