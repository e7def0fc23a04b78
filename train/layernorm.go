package train

import (
	"math"

	"github.com/kernelmachines/bkm/simd"
)

const layerNormEps = 1e-5 // PyTorch's nn.LayerNorm default

// layerNormForward normalizes each row of inp and saves the row mean and 1/std for
// the backward pass (out may alias inp), on simd.LayerNorm's row kernel;
// layerNormForwardNaive is the same in plain loops.
//
//	inp, out [n, c]   w, b [c]   mean, rstd [n]
func layerNormForward(out, mean, rstd, inp, w, b []float32, n, c int) {
	simd.LayerNorm(out, mean, rstd, inp, w, b, n, c, layerNormEps)
}

// layerNormForwardNaive is layerNormForward's reference: one accumulator per sum.
func layerNormForwardNaive(out, mean, rstd, inp, w, b []float32, n, c int) {
	for r := 0; r < n; r++ {
		x := inp[r*c : (r+1)*c]
		var m float32
		for _, v := range x {
			m += v
		}
		m /= float32(c)
		var v2 float32
		for _, v := range x {
			d := v - m
			v2 += d * d
		}
		v2 /= float32(c)
		s := float32(1 / math.Sqrt(float64(v2)+layerNormEps))
		o := out[r*c : (r+1)*c]
		for i, v := range x {
			o[i] = (v-m)*s*w[i] + b[i]
		}
		mean[r], rstd[r] = m, s
	}
}

// layerNormBackward accumulates dinp [n, c], dw [c], db [c] from dout [n, c]:
//
//	x̂ = (x − mean)·rstd,  g = dout ⊙ w
//	dx += rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))
func layerNormBackward(dinp, dw, db, dout, inp, w, mean, rstd []float32, n, c int) {
	layerNormBackwardInput(dinp, dinp, dout, inp, w, mean, rstd, n, c)
	layerNormBackwardParams(dw, db, dout, inp, mean, rstd, n, c, 0, c)
}

// layerNormBackwardInput writes dinp = res + the dinp part of layerNormBackward, on
// simd.LayerNormBackward's row kernel: res = dinp accumulates, res = nil sets, and
// another res adds a residual branch's gradient on the way (sparing a copy of it).
func layerNormBackwardInput(dinp, res, dout, inp, w, mean, rstd []float32, n, c int) {
	simd.LayerNormBackward(dinp[:n*c], res, dout, inp, w, mean, rstd, n, c)
}

// layerNormBackwardInputNaive is layerNormBackwardInput's reference.
func layerNormBackwardInputNaive(dinp, dout, inp, w, mean, rstd []float32, n, c int) {
	for r := 0; r < n; r++ {
		x := inp[r*c : (r+1)*c]
		dy := dout[r*c : (r+1)*c]
		dx := dinp[r*c : (r+1)*c]
		m, s := mean[r], rstd[r]
		var gMean, gxMean float32
		for i, v := range x {
			g := dy[i] * w[i]
			gMean += g
			gxMean += g * (v - m) * s
		}
		gMean /= float32(c)
		gxMean /= float32(c)
		for i, v := range x {
			xh := (v - m) * s
			dx[i] += s * (dy[i]*w[i] - gMean - xh*gxMean)
		}
	}
}

// layerNormBackwardParams is the dw, db part of layerNormBackward for the columns
// [lo, hi): each column adds its rows in order (simd.LayerNormParams), so splitting the
// columns among threads gives the serial result bit for bit.
func layerNormBackwardParams(dw, db, dout, inp, mean, rstd []float32, n, c, lo, hi int) {
	if n == 0 || lo >= hi {
		return
	}
	simd.LayerNormParams(dw[lo:hi], db[lo:hi], dout[lo:], inp[lo:], c, mean[:n], rstd[:n])
}
