package simd

import "fmt"

// Layer normalization over the rows of a row-major matrix, on the layer-norm row
// kernels of the dispatch table (asm.LayerNormRowGeneric and its vector versions).

// lnParamRows is how many rows one layer-norm parameter kernel call adds up (a short,
// bounded assembly call).
const lnParamRows = 256

func checkLN(fn string, n, c int) {
	if n < 0 || c < 1 {
		panic(fmt.Sprintf("simd: %s: n = %d, c = %d: want n ≥ 0, c ≥ 1", fn, n, c))
	}
}

func checkLNLen(fn, name string, x []float32, n int) {
	if len(x) < n {
		panic(fmt.Sprintf("simd: %s: len(%s) = %d < %d", fn, name, len(x), n))
	}
}

// LayerNorm normalizes each of the n rows of x [n, c] into dst [n, c] (dst may be x)
// with weights w [c] and biases b [c], and saves each row's mean and 1/std (rstd [n])
// for LayerNormBackward:
//
//	mean = Σ x / c,  rstd = 1/√(Σ (x − mean)² / c + eps),  dst = (x − mean)·rstd·w + b
//
// The variance plus eps and its root are taken in float64.
func LayerNorm(dst, mean, rstd, x, w, b []float32, n, c int, eps float64) {
	const fn = "LayerNorm"
	checkLN(fn, n, c)
	checkLNLen(fn, "dst", dst, n*c)
	checkLNLen(fn, "x", x, n*c)
	checkLNLen(fn, "mean", mean, n)
	checkLNLen(fn, "rstd", rstd, n)
	checkLNLen(fn, "w", w, c)
	checkLNLen(fn, "b", b, c)
	for r := range n {
		mean[r], rstd[r] = active.layerNormRow(dst[r*c:(r+1)*c], x[r*c:(r+1)*c], w[:c], b[:c], eps)
	}
}

// LayerNormBackward writes the input gradient of LayerNorm's n rows, given the output
// gradient dy [n, c], the input x, the weights w and the saved mean and rstd [n]:
//
//	a = dy·w,  x̂ = (x − mean)·rstd,  dx = res + rstd·(a − Σa/c − x̂·Σ(a·x̂)/c)
//
// res [n, c] may be dx (accumulate), another gradient to add (a residual branch's), or
// nil (dx is set).
func LayerNormBackward(dx, res, dy, x, w, mean, rstd []float32, n, c int) {
	const fn = "LayerNormBackward"
	checkLN(fn, n, c)
	checkLNLen(fn, "dx", dx, n*c)
	checkLNLen(fn, "dy", dy, n*c)
	checkLNLen(fn, "x", x, n*c)
	checkLNLen(fn, "w", w, c)
	checkLNLen(fn, "mean", mean, n)
	checkLNLen(fn, "rstd", rstd, n)
	if res != nil {
		checkLNLen(fn, "res", res, n*c)
	}
	for r := range n {
		var rr []float32
		if res != nil {
			rr = res[r*c : (r+1)*c]
		}
		active.layerNormBackwardRow(dx[r*c:(r+1)*c], dy[r*c:(r+1)*c], x[r*c:(r+1)*c], w[:c], rr, mean[r], rstd[r])
	}
}

// LayerNormParams accumulates LayerNorm's weight and bias gradients for the columns
// [0, len(dw)) of n = len(mean) rows of dy and x (row stride ld), each column's rows in
// order, so splitting the columns among goroutines gives the same bits:
//
//	db[j] += Σ_r dy[r, j],  dw[j] += Σ_r dy[r, j]·(x[r, j] − mean[r])·rstd[r]
func LayerNormParams(dw, db, dy, x []float32, ld int, mean, rstd []float32) {
	const fn = "LayerNormParams"
	n, c := len(mean), len(dw)
	checkLNLen(fn, "db", db, c)
	checkLNLen(fn, "rstd", rstd, n)
	if n == 0 || c == 0 {
		return
	}
	checkRows(fn, "dy", n, c, ld, len(dy))
	checkRows(fn, "x", n, c, ld, len(x))
	for r0 := 0; r0 < n; r0 += lnParamRows {
		r1 := min(n, r0+lnParamRows)
		active.layerNormParams(dw, db[:c], dy[r0*ld:], x[r0*ld:], ld, mean[r0:r1], rstd[r0:r1])
	}
}
