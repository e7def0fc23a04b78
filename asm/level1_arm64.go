//go:build !purego

package asm

// Level-1 NEON kernels (level1_arm64.s). Each doc comment gives the reference loop;
// the twin of the same name with the Generic suffix is that loop. Lengths are the
// caller's job: the kernels trust len(y) ≥ len(x) and len(x), len(y) ≥ len(dst).
// Every kernel walks 16 floats per iteration (four Q registers per stream), then
// 4 at a time, then one at a time.

// DotNEON returns Σ x[i]·y[i] for i < len(x), summed in four vector accumulators
// (sixteen partial sums) and reduced pairwise, so the rounding differs from the
// sequential loop within the bound of any summation order:
//
//	var s float32
//	for i, v := range x {
//		s += v * y[i]
//	}
//	return s
//
//go:noescape
func DotNEON(x, y []float32) float32

// AxpyNEON computes y[i] += alpha·x[i] for i < len(x) with one fused multiply-add
// per element (FMLA; FMADD in the tail):
//
//	for i, v := range x {
//		y[i] = fma(alpha, v, y[i])
//	}
//
//go:noescape
func AxpyNEON(alpha float32, x, y []float32)

// ScaleNEON computes x[i] *= alpha, bit for bit as the scalar loop:
//
//	for i := range x {
//		x[i] *= alpha
//	}
//
//go:noescape
func ScaleNEON(alpha float32, x []float32)

// AddNEON computes dst[i] = x[i] + y[i] for i < len(dst), bit for bit as the scalar
// loop; dst may alias x or y exactly:
//
//	for i := range dst {
//		dst[i] = x[i] + y[i]
//	}
//
//go:noescape
func AddNEON(dst, x, y []float32)

// MulNEON computes dst[i] = x[i]·y[i] for i < len(dst), bit for bit as the scalar
// loop; dst may alias x or y exactly:
//
//	for i := range dst {
//		dst[i] = x[i] * y[i]
//	}
//
//go:noescape
func MulNEON(dst, x, y []float32)

// ReluBackwardNEON accumulates the ReLU gradient dx[i] += dy[i] where x[i] > 0, for
// i < len(dx), bit for bit as the scalar loop; len(x), len(dy) ≥ len(dx):
//
//	for i := range dx {
//		if x[i] > 0 {
//			dx[i] += dy[i]
//		}
//	}
//
// Branch-free: FCMGT x, 0 (false for NaN) selects dx + dy into dx (BIT), so where
// x ≤ 0 or x is NaN, dx keeps its bits exactly and dy is not added.
//
//go:noescape
func ReluBackwardNEON(dx, x, dy []float32)

// SumNEON returns Σ x[i], summed in four vector accumulators and reduced pairwise
// (the rounding differs from the sequential loop within the bound of any order):
//
//	var s float32
//	for _, v := range x {
//		s += v
//	}
//	return s
//
//go:noescape
func SumNEON(x []float32) float32

// MaxNEON returns max x[i], or -Inf for an empty slice, with exactly the result of
// the scalar loop, bits included:
//
//	m := float32(math.Inf(-1))
//	for _, v := range x {
//		if v != v {
//			return v // the first NaN, payload untouched
//		}
//		if v > m {
//			m = v // ties keep the first: the first zero wins over a later -0 or +0
//		}
//	}
//	return m
//
// The vector pass (FMAX, which propagates NaN) finds the value; when it is a NaN or
// a zero, a second scalar pass returns the first NaN or the first zero of x, so the
// payload and the sign of zero match the loop above.
//
//go:noescape
func MaxNEON(x []float32) float32
