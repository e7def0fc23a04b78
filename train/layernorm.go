package train

import "math"

const layerNormEps = 1e-5 // PyTorch's nn.LayerNorm default

// layerNormForward normalizes each row of inp and saves the row mean and 1/std for
// the backward pass.
//
//	inp, out [n, c]   w, b [c]   mean, rstd [n]
func layerNormForward(out, mean, rstd, inp, w, b []float32, n, c int) {
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
	layerNormBackwardParams(dw, db, dout, inp, mean, rstd, n, c)
}

// layerNormBackwardInput is the dinp part of layerNormBackward.
func layerNormBackwardInput(dinp, dout, inp, w, mean, rstd []float32, n, c int) {
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

// layerNormBackwardParams is the dw, db part of layerNormBackward.
func layerNormBackwardParams(dw, db, dout, inp, mean, rstd []float32, n, c int) {
	for r := 0; r < n; r++ {
		x := inp[r*c : (r+1)*c]
		dy := dout[r*c : (r+1)*c]
		m, s := mean[r], rstd[r]
		for i, v := range x {
			db[i] += dy[i]
			dw[i] += dy[i] * (v - m) * s
		}
	}
}
