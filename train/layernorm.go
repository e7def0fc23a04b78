package train

import (
	"math"

	"github.com/kernelmachines/bkm/simd"
)

const layerNormEps = 1e-5 // PyTorch's nn.LayerNorm default

// layerNormForward normalizes each row of inp and saves the row mean and 1/std for
// the backward pass (out may alias inp). The row sums run on simd.Sum and simd.Dot;
// layerNormForwardNaive is the same in plain loops.
//
//	inp, out [n, c]   w, b [c]   mean, rstd [n]
func layerNormForward(out, mean, rstd, inp, w, b []float32, n, c int) {
	w, b = w[:c], b[:c]
	for r := 0; r < n; r++ {
		x := inp[r*c : (r+1)*c]
		o := out[r*c : (r+1)*c]
		m := simd.Sum(x) / float32(c)
		for i, v := range x {
			o[i] = v - m
		}
		v2 := simd.Dot(o, o) / float32(c)
		s := float32(1 / math.Sqrt(float64(v2)+layerNormEps))
		for i, d := range o {
			o[i] = d*s*w[i] + b[i]
		}
		mean[r], rstd[r] = m, s
	}
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
	layerNormBackwardInput(dinp, dout, inp, w, mean, rstd, n, c)
	layerNormBackwardParams(dw, db, dout, inp, mean, rstd, n, c, 0, c)
}

// layerNormBackwardInput is the dinp part of layerNormBackward. Its two row sums keep
// four partial sums each (element i goes to sum i mod 4) so the adds do not wait on
// one another; layerNormBackwardInputNaive keeps one.
func layerNormBackwardInput(dinp, dout, inp, w, mean, rstd []float32, n, c int) {
	if c%4 != 0 {
		layerNormBackwardInputNaive(dinp, dout, inp, w, mean, rstd, n, c)
		return
	}
	w = w[:c]
	for r := 0; r < n; r++ {
		x := inp[r*c : (r+1)*c]
		dy := dout[r*c : (r+1)*c]
		dx := dinp[r*c : (r+1)*c]
		m, s := mean[r], rstd[r]
		var g0, g1, g2, g3, h0, h1, h2, h3 float32
		for i := 0; i < c; i += 4 {
			x4, dy4, w4 := x[i:i+4:i+4], dy[i:i+4:i+4], w[i:i+4:i+4]
			a0, a1, a2, a3 := dy4[0]*w4[0], dy4[1]*w4[1], dy4[2]*w4[2], dy4[3]*w4[3]
			g0, g1, g2, g3 = g0+a0, g1+a1, g2+a2, g3+a3
			h0 += a0 * (x4[0] - m) * s
			h1 += a1 * (x4[1] - m) * s
			h2 += a2 * (x4[2] - m) * s
			h3 += a3 * (x4[3] - m) * s
		}
		gMean := ((g0 + g1) + (g2 + g3)) / float32(c)
		gxMean := ((h0 + h1) + (h2 + h3)) / float32(c)
		for i, v := range x {
			xh := (v - m) * s
			dx[i] += s * (dy[i]*w[i] - gMean - xh*gxMean)
		}
	}
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
// [lo, hi): each column adds its rows in order, so splitting the columns among
// threads gives the serial result bit for bit.
func layerNormBackwardParams(dw, db, dout, inp, mean, rstd []float32, n, c, lo, hi int) {
	dw, db = dw[lo:hi], db[lo:hi]
	for r := 0; r < n; r++ {
		x := inp[r*c+lo : r*c+hi]
		dy := dout[r*c+lo : r*c+hi][:len(x)]
		m, s := mean[r], rstd[r]
		dw, db := dw[:len(x)], db[:len(x)]
		for i, v := range x {
			db[i] += dy[i]
			dw[i] += dy[i] * (v - m) * s
		}
	}
}
