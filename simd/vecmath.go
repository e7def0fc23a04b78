package simd

import "math"

// Vector math. PLACEHOLDER BODIES: these are correct but slow float64 loops that fix
// the API so that the upper floors can build on it; the vector-math issue replaces
// them with the dispatched assembly kernels and their twins.

// Exp computes dst[i] = exp(src[i]). dst and src must have equal lengths; they may be
// the same slice.
func Exp(dst, src []float32) {
	checkSameLen("Exp", "dst", len(dst), "src", len(src))
	for i, v := range src {
		dst[i] = float32(math.Exp(float64(v)))
	}
}

// Log computes dst[i] = log(src[i]).
func Log(dst, src []float32) {
	checkSameLen("Log", "dst", len(dst), "src", len(src))
	for i, v := range src {
		dst[i] = float32(math.Log(float64(v)))
	}
}

// Tanh computes dst[i] = tanh(src[i]).
func Tanh(dst, src []float32) {
	checkSameLen("Tanh", "dst", len(dst), "src", len(src))
	for i, v := range src {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}

// ExpSub computes dst[i] = exp(src[i] − m) and returns Σ dst[i]: the fused pass of a
// softmax or an online attention row.
func ExpSub(dst, src []float32, m float32) float32 {
	checkSameLen("ExpSub", "dst", len(dst), "src", len(src))
	var s float32
	for i, v := range src {
		e := float32(math.Exp(float64(v - m)))
		dst[i] = e
		s += e
	}
	return s
}

// LogSumExp returns log Σ exp(x[i]), computed stably; -Inf for an empty slice or a
// slice of -Inf.
func LogSumExp(x []float32) float32 {
	m := Max(x)
	if math.IsInf(float64(m), 0) || m != m {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - m))
	}
	return m + float32(math.Log(s))
}

// Softmax computes dst = exp(src − max) / Σ exp(src − max). A row of −Inf with one
// finite entry gives a one-hot row; an all −Inf row gives zeros.
func Softmax(dst, src []float32) {
	checkSameLen("Softmax", "dst", len(dst), "src", len(src))
	m := Max(src)
	if math.IsInf(float64(m), -1) {
		clear(dst)
		return
	}
	s := ExpSub(dst, src, m)
	Scale(1/s, dst)
}

// LogSoftmax computes dst = src − LogSumExp(src).
func LogSoftmax(dst, src []float32) {
	checkSameLen("LogSoftmax", "dst", len(dst), "src", len(src))
	l := LogSumExp(src)
	for i, v := range src {
		dst[i] = v - l
	}
}
