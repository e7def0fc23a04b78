package train

import "github.com/kernelmachines/bkm/simd"

// linearForward computes out = inp·wᵀ + b (b may be nil).
//
//	inp [n, in]   w [outDim, in] (PyTorch layout)   b [outDim]   out [n, outDim]
func linearForward(out, inp, w, b []float32, n, in, outDim int) {
	if n == 0 {
		return
	}
	beta := float32(0)
	if b != nil {
		for r := 0; r < n; r++ {
			copy(out[r*outDim:(r+1)*outDim], b[:outDim])
		}
		beta = 1
	}
	simd.Sgemm(false, true, n, outDim, in, 1, inp, in, w, in, beta, out, outDim)
}

// linearBackward accumulates the gradients of linearForward:
//
//	dinp [n, in] += dout·w      (skipped when dinp is nil)
//	dw [outDim, in] += doutᵀ·inp
//	db [outDim] += Σ_rows dout  (skipped when db is nil)
func linearBackward(dinp, dw, db, dout, inp, w []float32, n, in, outDim int) {
	if n == 0 {
		return
	}
	if dinp != nil {
		simd.Sgemm(false, false, n, in, outDim, 1, dout, outDim, w, in, 1, dinp, in)
	}
	simd.Sgemm(true, false, outDim, in, n, 1, dout, outDim, inp, in, 1, dw, in)
	if db != nil {
		for r := 0; r < n; r++ {
			simd.Add(db[:outDim], db[:outDim], dout[r*outDim:(r+1)*outDim])
		}
	}
}
