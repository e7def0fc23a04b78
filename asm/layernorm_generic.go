package asm

import "math"

// The layer-norm row kernels. The float32(…) conversions round every product before it
// is added, as the vector kernels do with separate multiplies and adds (Go may fuse an
// unconverted x*y + z into one FMA on some architectures).

// LayerNormRowGeneric normalizes one row x (length c = len(x)) into dst and returns its
// mean and 1/std (len(dst), len(w), len(b) ≥ c):
//
//	mean = Σ x / c,  d = x − mean,  var = Σ d² / c,  rstd = 1/√(var + eps) (in float64)
//	dst = d·rstd·w + b
func LayerNormRowGeneric(dst, x, w, b []float32, eps float64) (mean, rstd float32) {
	c := len(x)
	dst, w, b = dst[:c], w[:c], b[:c]
	var s float32
	for _, v := range x {
		s += v
	}
	mean = s / float32(c)
	var q float32
	for i, v := range x {
		d := v - mean
		dst[i] = d
		q += float32(d * d)
	}
	rstd = float32(1 / math.Sqrt(float64(q/float32(c))+eps))
	for i, d := range dst {
		dst[i] = float32(float32(d*rstd)*w[i]) + b[i]
	}
	return mean, rstd
}

// LayerNormBackwardRowGeneric writes the input gradient of one layer-norm row (length
// c = len(x)) from the output gradient dy, given the row's mean and rstd:
//
//	a = dy·w,  x̂ = (x − mean)·rstd,  gm = Σ a / c,  gx = Σ a·x̂ / c
//	dx = res + rstd·(a − gm − x̂·gx)
//
// res may be dx itself (accumulate) or another row (a residual gradient added on the
// way); with len(res) = 0 it is taken as zero (dx is set).
func LayerNormBackwardRowGeneric(dx, dy, x, w, res []float32, mean, rstd float32) {
	c := len(x)
	dx, dy, w = dx[:c], dy[:c], w[:c]
	var g, h float32
	for i, v := range x {
		a := float32(dy[i] * w[i])
		g += a
		h += float32(a * float32(float32(v-mean)*rstd))
	}
	gm, gx := g/float32(c), h/float32(c)
	for i, v := range x {
		xh := float32(float32(v-mean) * rstd)
		t := float32(rstd * (float32(dy[i]*w[i]) - gm - float32(xh*gx)))
		if len(res) > 0 {
			t = res[i] + t
		}
		dx[i] = t
	}
}

// LayerNormParamsGeneric accumulates a layer norm's weight and bias gradients over
// columns [0, len(dw)) of len(mean) rows (dy, x with row stride ld), each column's rows
// in order:
//
//	db[j] += dy[r, j],  dw[j] += dy[r, j]·(x[r, j] − mean[r])·rstd[r]
func LayerNormParamsGeneric(dw, db, dy, x []float32, ld int, mean, rstd []float32) {
	c := len(dw)
	db = db[:c]
	for r, m := range mean {
		s := rstd[r]
		xr, dr := x[r*ld:r*ld+c], dy[r*ld:r*ld+c]
		for j, v := range xr {
			db[j] += dr[j]
			dw[j] += float32(float32(dr[j]*(v-m)) * s)
		}
	}
}
