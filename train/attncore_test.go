package train

import "testing"

func TestGradSoftmaxCore(t *testing.T) {
	rng := newRNG(7)
	B, H, Nq, Nk, D := 2, 2, 3, 4, 5
	for _, causal := range []bool{false, true} {
		for _, withPad := range []bool{false, true} {
			q := randSlice(rng, B*H*Nq*D, 1)
			k := randSlice(rng, B*H*Nk*D, 1)
			v := randSlice(rng, B*H*Nk*D, 1)
			r := randSlice(rng, B*H*Nq*D, 1)
			var pad []bool
			if withPad {
				pad = []bool{false, false, false, true, false, true, true, true}
			}
			core := &softmaxCore{}
			o, st := make([]float32, len(q)), make([]float32, B*H*Nq)
			loss := func() float64 { core.forward(o, st, q, k, v, B, H, Nq, Nk, D, causal, pad); return dotLoss(o, r) }
			loss()
			dq, dk, dv := make([]float32, len(q)), make([]float32, len(k)), make([]float32, len(v))
			core.backward(dq, dk, dv, r, o, st, q, k, v, B, H, Nq, Nk, D, causal, pad)
			checkGrad(t, "q", q, dq, loss)
			checkGrad(t, "k", k, dk, loss)
			checkGrad(t, "v", v, dv, loss)
		}
	}
}
