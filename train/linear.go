package train

import "github.com/kernelmachines/bkm/simd"

// linearForward computes out = inp·wᵀ + b (b may be nil).
//
//	inp [n, in]   w [outDim, in] (PyTorch layout)   b [outDim]   out [n, outDim]
func linearForward(out, inp, w, b []float32, n, in, outDim int) {
	gemmSite{}.linearForward(out, inp, w, b, n, in, outDim)
}

// linearBackward accumulates the gradients of linearForward:
//
//	dinp [n, in] += dout·w      (skipped when dinp is nil)
//	dw [outDim, in] += doutᵀ·inp
//	db [outDim] += Σ_rows dout  (skipped when db is nil)
func linearBackward(dinp, dw, db, dout, inp, w []float32, n, in, outDim int) {
	gemmSite{}.linearBackward(dinp, dw, db, dout, inp, w, n, in, outDim)
}

// linear is linearForward by l's weight, or by its packed copy l.pk when a Decoder
// has installed one (encodePacked).
func (s gemmSite) linear(out, inp []float32, l *linParams, b []float32, n int) {
	if l.pk != nil {
		packedLinear(out, inp, l.pk, b, n)
		return
	}
	s.linearForward(out, inp, l.w, b, n, l.in, l.out)
}

// linearForward is the package function, its GEMM timed under s.
func (s gemmSite) linearForward(out, inp, w, b []float32, n, in, outDim int) {
	if n == 0 {
		return
	}
	beta := float32(0)
	switch {
	case b == nil:
	case s.m != nil:
		s.m.par.broadcastBias(out, b, n, outDim)
		beta = 1
	default:
		for r := 0; r < n; r++ {
			copy(out[r*outDim:(r+1)*outDim], b[:outDim])
		}
		beta = 1
	}
	s.sgemm(false, true, n, outDim, in, inp, in, w, in, beta, out, outDim)
}

// linearBackward is the package function, its GEMMs timed under s.
func (s gemmSite) linearBackward(dinp, dw, db, dout, inp, w []float32, n, in, outDim int) {
	s.linearBackwardBeta(1, dinp, dw, db, dout, inp, w, n, in, outDim)
}

// linearBackwardSet is linearBackward with dinp overwritten (dinp = dout·w), which
// spares the caller clearing it first.
func (s gemmSite) linearBackwardSet(dinp, dw, db, dout, inp, w []float32, n, in, outDim int) {
	s.linearBackwardBeta(0, dinp, dw, db, dout, inp, w, n, in, outDim)
}

// linearBackwardBeta computes dinp = beta·dinp + dout·w and accumulates dw and db.
func (s gemmSite) linearBackwardBeta(beta float32, dinp, dw, db, dout, inp, w []float32, n, in, outDim int) {
	if n == 0 {
		return
	}
	if dinp != nil {
		s.sgemm(false, false, n, in, outDim, dout, outDim, w, in, beta, dinp, in)
	}
	s.sgemm(true, false, outDim, in, n, dout, outDim, inp, in, 1, dw, in)
	switch {
	case db == nil:
	case s.m != nil:
		s.m.par.biasGrad(db, dout, n, outDim)
	default:
		for r := 0; r < n; r++ {
			simd.Add(db[:outDim], db[:outDim], dout[r*outDim:(r+1)*outDim])
		}
	}
}
