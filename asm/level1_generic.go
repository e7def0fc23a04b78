package asm

import "math"

// Level-1 twins. Each one is the reference loop quoted in its assembly stub's doc
// comment; the vector versions must agree with it (bit for bit for element-wise
// routines, within rounding of a different summation order for reductions).

// DotGeneric returns Σ x[i]·y[i] for i < len(x). len(y) ≥ len(x).
func DotGeneric(x, y []float32) float32 {
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// AxpyGeneric computes y[i] += alpha·x[i] for i < len(x), with a fused
// multiply-add (one rounding), as the vector versions do. len(y) ≥ len(x).
func AxpyGeneric(alpha float32, x, y []float32) {
	for i, v := range x {
		y[i] = FMA32(alpha, v, y[i])
	}
}

// ScaleGeneric computes x[i] *= alpha.
func ScaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// AddGeneric computes dst[i] = x[i] + y[i] for i < len(dst). len(x), len(y) ≥ len(dst).
func AddGeneric(dst, x, y []float32) {
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// ReluGeneric computes dst[i] = max(x[i], 0) for i < len(dst), with Go's max: a NaN
// stays NaN and −0 becomes +0. len(x) ≥ len(dst).
func ReluGeneric(dst, x []float32) {
	for i := range dst {
		dst[i] = max(x[i], 0)
	}
}

// ReluBackwardGeneric accumulates the ReLU gradient: dx[i] += dy[i] where x[i] > 0,
// for i < len(dx). Where x[i] ≤ 0 or x[i] is NaN, dx[i] keeps its bits (no +0 is
// added: −0 stays −0, a NaN's payload stays, a NaN dy does not reach it).
// len(x), len(dy) ≥ len(dx).
func ReluBackwardGeneric(dx, x, dy []float32) {
	for i := range dx {
		if x[i] > 0 {
			dx[i] += dy[i]
		}
	}
}

// MulGeneric computes dst[i] = x[i] · y[i] for i < len(dst). len(x), len(y) ≥ len(dst).
func MulGeneric(dst, x, y []float32) {
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

// SumGeneric returns Σ x[i].
func SumGeneric(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += v
	}
	return s
}

// MaxGeneric returns max x[i], or -Inf for an empty slice. A NaN anywhere in x
// makes the result NaN (the vector versions propagate NaN the same way).
func MaxGeneric(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

// FMA32 returns a·b + c. The product of two float32 values is exact in float64,
// so the only difference from a single-rounding float32 FMA is a double rounding
// of the sum, which can differ by one unit in the last place in rare ties; tests
// allow that one ULP.
func FMA32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}
