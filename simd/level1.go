package simd

import (
	"fmt"

	"github.com/kernelmachines/bkm/asm"
)

// chunk bounds the work of one assembly call so that the goroutine running it can
// be preempted between calls (assembly is not preemptible).
const chunk = 1 << 14

func checkSameLen(fn, xn string, x int, yn string, y int) {
	if x != y {
		panic(fmt.Sprintf("simd: %s: len(%s) = %d != len(%s) = %d", fn, xn, x, yn, y))
	}
}

// Dot returns Σ x[i]·y[i]. It panics if len(x) != len(y).
func Dot(x, y []float32) float32 {
	checkSameLen("Dot", "x", len(x), "y", len(y))
	var s float32
	for len(x) > chunk {
		s += active.dot(x[:chunk], y[:chunk])
		x, y = x[chunk:], y[chunk:]
	}
	return s + active.dot(x, y)
}

// Axpy computes y[i] += alpha·x[i]. It panics if len(x) != len(y).
func Axpy(alpha float32, x, y []float32) {
	checkSameLen("Axpy", "x", len(x), "y", len(y))
	for len(x) > 0 {
		n := min(len(x), chunk)
		active.axpy(alpha, x[:n], y[:n])
		x, y = x[n:], y[n:]
	}
}

// Scale computes x[i] *= alpha.
func Scale(alpha float32, x []float32) {
	for len(x) > 0 {
		n := min(len(x), chunk)
		active.scale(alpha, x[:n])
		x = x[n:]
	}
}

// ReLU computes dst[i] = max(src[i], 0), with Go's max: a NaN stays NaN and −0
// becomes +0. dst may be src; it panics if the lengths differ or dst and src overlap
// otherwise.
func ReLU(dst, src []float32) {
	k := active.relu
	if k == nil {
		k = asm.ReluGeneric
	}
	mapChunks("ReLU", k, dst, src)
}

// Add computes dst[i] = x[i] + y[i]. All three lengths must be equal; dst may be x or y.
func Add(dst, x, y []float32) { elementwise2("Add", active.add, dst, x, y) }

// Mul computes dst[i] = x[i] · y[i]. All three lengths must be equal; dst may be x or y.
func Mul(dst, x, y []float32) { elementwise2("Mul", active.mul, dst, x, y) }

// elementwise2 checks the lengths of fn's arguments and runs kernel in bounded chunks.
func elementwise2(fn string, kernel func(dst, x, y []float32), dst, x, y []float32) {
	checkSameLen(fn, "dst", len(dst), "x", len(x))
	checkSameLen(fn, "dst", len(dst), "y", len(y))
	for len(dst) > 0 {
		n := min(len(dst), chunk)
		kernel(dst[:n], x[:n], y[:n])
		dst, x, y = dst[n:], x[n:], y[n:]
	}
}

// Sum returns Σ x[i].
func Sum(x []float32) float32 {
	var s float32
	for len(x) > chunk {
		s += active.sum(x[:chunk])
		x = x[chunk:]
	}
	return s + active.sum(x)
}

// Max returns the largest element of x, -Inf for an empty slice, NaN if x holds a NaN.
func Max(x []float32) float32 {
	m := active.max(x[:min(len(x), chunk)])
	for x = x[min(len(x), chunk):]; len(x) > 0 && m == m; x = x[min(len(x), chunk):] {
		// Stop at the first NaN, as the reference loop does (its payload is the result).
		v := active.max(x[:min(len(x), chunk)])
		if v > m || v != v {
			m = v
		}
	}
	return m
}
