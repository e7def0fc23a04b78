package train

import (
	"fmt"
	"testing"

	"github.com/kernelmachines/bkm/attention"
)

// TestGradAttnCore checks the attention call every layer makes (package attention's fused
// forward and backward) by finite differences, for kernels of the zoo with causal and
// key masks, self (Nq = Nk) and cross (Nq ≠ Nk) shapes, without and with attention
// dropout (the seed fixes the mask, so the function stays smooth).
func TestGradAttnCore(t *testing.T) {
	rng := newRNG(7)
	B, H, D := 2, 2, 4
	for _, kernel := range []string{"edp", "rbf", "expint", "poly2", "taylor2", "linear"} {
		for _, shape := range [][2]int{{3, 3}, {3, 4}} {
			Nq, Nk := shape[0], shape[1]
			for _, mode := range []struct {
				causal bool
				drop   float32
			}{{false, 0}, {true, 0}, {false, 0.3}, {true, 0.3}} {
				causal, drop, seed := mode.causal, mode.drop, uint64(11)
				core, err := newAttnCore(kernel, 0, D)
				if err != nil {
					t.Fatal(err)
				}
				q := randSlice(rng, B*H*Nq*D, 0.7)
				k := randSlice(rng, B*H*Nk*D, 0.7)
				v := randSlice(rng, B*H*Nk*D, 1)
				r := randSlice(rng, B*H*Nq*D, 1)
				var mask []bool
				if !causal {
					mask = make([]bool, B*Nk)
					for i := range mask {
						mask[i] = i != Nk-1 // last key of row 0 is padding
					}
				}
				o, st := make([]float32, len(q)), make([]float32, B*H*Nq)
				loss := func() float64 {
					core.forward(attention.DenseLayout(H, Nq, Nk, D), o, st, q, k, v, B, H, Nq, Nk, D, causal, mask, drop, seed)
					return dotLoss(o, r)
				}
				loss()
				dq, dk, dv := make([]float32, len(q)), make([]float32, len(k)), make([]float32, len(v))
				core.backward(attention.DenseLayout(H, Nq, Nk, D), dq, dk, dv, r, o, st, q, k, v, B, H, Nq, Nk, D, causal, mask, drop, seed)
				name := fmt.Sprintf("%s causal=%v drop=%g", kernel, causal, drop)
				checkGrad(t, name+" q", q, dq, loss)
				checkGrad(t, name+" k", k, dk, loss)
				checkGrad(t, name+" v", v, dv, loss)
			}
		}
	}
}
