package simd

import (
	"fmt"
	"math"
	"unsafe"
)

// Vector math: element-wise exp, log, tanh and GELU, and the row passes of softmax
// and attention. Accuracy (every implementation, against float64 math, see
// vecmath_accuracy_test.go): exp ≤ 1 ULP, log ≤ 1 ULP, tanh ≤ 2 ULP; GELU's derivative
// within 10·2⁻²⁴ absolute. All implementations run the same algorithm (package asm)
// and agree bit for bit on element-wise results; sums differ only by summation order.
//
// dst and src may be the same slice; any other overlap panics. Nothing allocates.

// checkAlias panics if dst and src share memory without being the same slice.
func checkAlias(fn string, dst, src []float32) {
	if len(dst) == 0 || len(src) == 0 {
		return
	}
	d := uintptr(unsafe.Pointer(unsafe.SliceData(dst)))
	s := uintptr(unsafe.Pointer(unsafe.SliceData(src)))
	if d == s && len(dst) == len(src) {
		return
	}
	if d < s+uintptr(len(src))*4 && s < d+uintptr(len(dst))*4 {
		panic(fmt.Sprintf("simd: %s: dst and src overlap without being the same slice", fn))
	}
}

// mapChunks runs an element-wise kernel over bounded chunks.
func mapChunks(fn string, k func(dst, src []float32), dst, src []float32) {
	checkSameLen(fn, "dst", len(dst), "src", len(src))
	checkAlias(fn, dst, src)
	for len(dst) > 0 {
		n := min(len(dst), chunk)
		k(dst[:n], src[:n])
		dst, src = dst[n:], src[n:]
	}
}

// Exp computes dst[i] = e^src[i], within 1 ULP of the correctly rounded result.
// exp(NaN) = NaN, exp(+Inf) = +Inf, exp(−Inf) = 0, src[i] > 88.7228 gives +Inf;
// results below the normal range (src[i] < −87.34) are subnormal or +0, within one
// subnormal spacing. It panics if len(dst) != len(src).
func Exp(dst, src []float32) {
	if active.expLarge == nil || len(dst)*4 < largeArrayBytes {
		mapChunks("Exp", active.exp, dst, src)
		return
	}
	checkSameLen("Exp", "dst", len(dst), "src", len(src))
	checkAlias("Exp", dst, src)
	expLargeArray(active, dst, src)
}

// largeArrayBytes: outputs at least this large (the per-core L2 size, from cpuid)
// take the element-wise kernels' variants for arrays that stream from L3 or memory.
var largeArrayBytes = l2Bytes()

// expLargeArray runs im.expLarge over the multiple-of-64 body of dst, in chunks,
// and im.exp over the tail.
func expLargeArray(im *impl, dst, src []float32) {
	body := len(dst) &^ 63
	for done := 0; done < body; {
		n := min(body-done, chunk) // chunk is a multiple of 64
		im.expLarge(dst[done:done+n], src[done:done+n])
		done += n
	}
	im.exp(dst[body:], src[body:])
}

// Log computes dst[i] = ln src[i], within 1 ULP of the correctly rounded result for
// every positive input, subnormals included. log(±0) = −Inf, log(x < 0) = NaN,
// log(+Inf) = +Inf, log(NaN) = NaN. It panics if len(dst) != len(src).
func Log(dst, src []float32) { mapChunks("Log", active.log, dst, src) }

// Tanh computes dst[i] = tanh src[i], within 2 ULP. It is odd (tanh(−0) = −0),
// returns x for tiny x and exactly ±1 for |x| > 9.01 (and ±Inf); NaN gives NaN.
// It panics if len(dst) != len(src).
func Tanh(dst, src []float32) { mapChunks("Tanh", active.tanh, dst, src) }

// GELU computes dst[i] = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), x = src[i]: the
// tanh approximation of GELU used by GPT-2, evaluated as x/(1 + e^{−2u}) (one exp and
// one division; u = √(2/π)·(x + 0.044715·x³)). Accuracy: within
// 4e-7·(1 + |u|)·|gelu(x)| + 2e-37 for every float32 x (relative error at most 1.11e-5,
// at x = −9.0278, where |gelu(x)| ≥ 1e-30, over all 2³² inputs: go test ./simd -run
// Exhaustive/gelu -long; e^{−2u} amplifies u's rounding by |2u|); gelu(x ≤ −10) lies
// within 1.3e-37 of 0, gelu(+Inf) = +Inf, NaN gives NaN.
// It panics if len(dst) != len(src).
func GELU(dst, src []float32) { mapChunks("GELU", active.gelu, dst, src) }

// GELUBackward accumulates the GELU gradient: dx[i] += gelu'(x[i])·dy[i], with the
// derivative of the same tanh approximation GELU computes,
//
//	gelu'(x) = ½(1 + tanh u) + ½x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²),
//
// evaluated as s·(1 + 2x·(1 − s)·√(2/π)·(1 + 3·0.044715·x²)), s = 1/(1 + e^{−2u}).
// Accuracy: gelu'(x) is within 10·2⁻²⁴ ≈ 6.0e-7 (absolute; gelu' lies in
// [−0.17, 1.13]) of the float64 derivative for every float32 x (max 4.31·2⁻²⁴, at
// x = 1.2835, over all 2³² inputs: go test ./simd -run Exhaustive/geluBackward -long);
// the product with dy and the sum into dx are each rounded once more.
// gelu'(+Inf) = 1, gelu'(−Inf) = 0 (exactly 1 and 0 for |x| > 10 already); NaN in x, dy
// or dx gives NaN. Every implementation gives the same bits. It panics if the three
// lengths differ; dx may not overlap x or dy.
func GELUBackward(dx, x, dy []float32) { accumulate("GELUBackward", active.geluBackward, dx, x, dy) }

// accumulate checks the arguments of the gradient routine fn (dx[i] += f(x[i], dy[i])):
// the three lengths equal, dx overlapping neither x nor dy (the kernels read x and dy
// ahead of the dx they write). Then it runs kernel in bounded chunks.
func accumulate(fn string, kernel func(dx, x, dy []float32), dx, x, dy []float32) {
	checkSameLen(fn, "dx", len(dx), "x", len(x))
	checkSameLen(fn, "dx", len(dx), "dy", len(dy))
	if len(dx) > 0 && (overlaps(dx, x) || overlaps(dx, dy)) {
		panic("simd: " + fn + ": dx overlaps x or dy")
	}
	inChunks3(kernel, dx, x, dy)
}

func overlaps(a, b []float32) bool {
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b))*4 && pb < pa+uintptr(len(a))*4
}

// ExpSub computes dst[i] = e^(src[i] − m) and returns Σ dst[i] (accumulated in
// float32): the fused exponentiation pass of a softmax or of an online attention
// row, one read and one write of memory. It panics if len(dst) != len(src).
func ExpSub(dst, src []float32, m float32) float32 {
	checkSameLen("ExpSub", "dst", len(dst), "src", len(src))
	checkAlias("ExpSub", dst, src)
	var s float32
	for len(dst) > 0 {
		n := min(len(dst), chunk)
		s += active.expSub(dst[:n], src[:n], m)
		dst, src = dst[n:], src[n:]
	}
	return s
}

// expSum returns Σ e^(x[i] − m) without storing the terms.
func expSum(x []float32, m float32) float32 {
	var s float32
	for len(x) > 0 {
		n := min(len(x), chunk)
		s += active.expSum(x[:n], m)
		x = x[n:]
	}
	return s
}

// LogSumExp returns log Σ e^x[i], computed stably as m + log Σ e^(x[i] − m) with
// m = max x. It returns −Inf for an empty slice or a slice of −Inf, +Inf if x holds
// +Inf, and NaN if x holds a NaN. Finite input never gives NaN.
func LogSumExp(x []float32) float32 {
	m := Max(x)
	if math.IsInf(float64(m), 0) || m != m {
		return m
	}
	return m + float32(math.Log(float64(expSum(x, m))))
}

// Softmax computes dst[i] = e^(src[i] − m) / Σ_j e^(src[j] − m), m = max src: the
// largest term is exactly e^0 = 1, so the sum is in [1, len(src)] and finite input,
// however large, never overflows or gives NaN. Defined results for the edge cases:
//   - a row of −Inf with some finite entries: the −Inf entries get exactly 0 (a row
//     with one finite entry is one-hot);
//   - an all −Inf row (a fully masked attention row): all zeros;
//   - entries equal to +Inf share the mass equally (1/k each for k of them), every
//     other entry gets 0;
//   - a NaN anywhere: all NaN.
//
// dst may be src. It panics if len(dst) != len(src).
func Softmax(dst, src []float32) {
	m, done := softmaxEdges("Softmax", dst, src, false)
	if done {
		return
	}
	s := ExpSub(dst, src, m)
	Scale(1/s, dst)
}

// LogSoftmax computes dst[i] = (src[i] − m) − log Σ_j e^(src[j] − m), m = max src
// (the log of Softmax, without its rounding). Edge cases mirror Softmax: an all −Inf
// row gives all −Inf (log 0); with +Inf entries those get −log k and the others −Inf;
// a NaN gives all NaN. dst may be src. It panics if len(dst) != len(src).
func LogSoftmax(dst, src []float32) {
	m, done := softmaxEdges("LogSoftmax", dst, src, true)
	if done {
		return
	}
	l := float32(math.Log(float64(expSum(src, m))))
	for i, v := range src {
		dst[i] = (v - m) - l
	}
}

// softmaxEdges checks the arguments of fn (Softmax, or LogSoftmax when log) and writes
// the rows the two define case by case: empty; a NaN (all NaN); all −Inf (every entry
// 0, or its log −Inf); +Inf entries (1/k, or −log k, for each of the k of them and 0,
// or −Inf, for the others). It returns the row's max and whether dst is written.
func softmaxEdges(fn string, dst, src []float32, log bool) (m float32, done bool) {
	checkSameLen(fn, "dst", len(dst), "src", len(src))
	checkAlias(fn, dst, src)
	if len(src) == 0 {
		return 0, true
	}
	var off float32 // the value of an entry with no mass
	if log {
		off = float32(math.Inf(-1))
	}
	m = Max(src)
	switch {
	case m != m:
		nan := float32(math.NaN())
		for i := range dst {
			dst[i] = nan
		}
	case math.IsInf(float64(m), -1):
		for i := range dst {
			dst[i] = off
		}
	case math.IsInf(float64(m), 1):
		k := 0
		for _, v := range src {
			if v == m {
				k++
			}
		}
		on := 1 / float32(k)
		if log {
			on = -float32(math.Log(float64(k)))
		}
		for i, v := range src {
			if v == m {
				dst[i] = on
			} else {
				dst[i] = off
			}
		}
	default:
		return m, false
	}
	return m, true
}
