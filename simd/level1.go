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

// ReLUBackward accumulates the ReLU gradient: dx[i] += dy[i] where x[i] > 0, x the
// input of the forward ReLU (its derivative taken as 0 at x = 0). Where x[i] ≤ 0 or
// x[i] is NaN, dx[i] keeps its bits exactly (no +0 is added: −0 stays −0, a NaN dy
// does not reach dx); elsewhere it becomes the float32 sum dx[i] + dy[i]. The kernels
// select instead of branching on the sign of x, and every implementation gives the
// scalar loop's bits. It panics if the three lengths differ; dx may not overlap x or dy.
func ReLUBackward(dx, x, dy []float32) { accumulate("ReLUBackward", active.reluBackward, dx, x, dy) }

// Add computes dst[i] = x[i] + y[i]. All three lengths must be equal; dst may be x or y.
func Add(dst, x, y []float32) { elementwise2("Add", active.add, dst, x, y) }

// Mul computes dst[i] = x[i] · y[i]. All three lengths must be equal; dst may be x or y.
func Mul(dst, x, y []float32) { elementwise2("Mul", active.mul, dst, x, y) }

// elementwise2 checks the lengths of fn's arguments and runs kernel in bounded chunks.
func elementwise2(fn string, kernel func(dst, x, y []float32), dst, x, y []float32) {
	checkSameLen(fn, "dst", len(dst), "x", len(x))
	checkSameLen(fn, "dst", len(dst), "y", len(y))
	inChunks3(kernel, dst, x, y)
}

// inChunks3 runs kernel over a, b and c (of len(a) or more) at most chunk elements
// per call.
func inChunks3(kernel func(a, b, c []float32), a, b, c []float32) {
	for len(a) > 0 {
		n := min(len(a), chunk)
		kernel(a[:n], b[:n], c[:n])
		a, b, c = a[n:], b[n:], c[n:]
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
