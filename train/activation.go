package train

import "github.com/kernelmachines/bkm/simd"

// Activations of the feed-forward block. GELU is the tanh approximation (GPT-2, llm.c,
// PyTorch's gelu(approximate="tanh")), computed by the simd kernels; backward recomputes
// the tanh from the saved input rather than keeping a second [n, F] buffer.

// geluForward computes out = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func geluForward(out, inp []float32) { simd.GELU(out, inp) }

// geluBackward accumulates dinp += dout·gelu'(x) (simd.GELUBackward: within 6e-7 of the
// float64 derivative).
func geluBackward(dinp, dout, inp []float32) { simd.GELUBackward(dinp, inp, dout) }

// reluForward computes out = max(x, 0) (simd.ReLU: Go's max, vectorized; the scalar
// loop took 6% of a batch-32 translation).
func reluForward(out, inp []float32) { simd.ReLU(out, inp) }

// reluBackward accumulates dinp += dout where x > 0 (simd.ReLUBackward: a select, not
// a branch on the sign of x, which the scalar loop mispredicted at 4.5 ns per element,
// 8% of a step; the same bits).
func reluBackward(dinp, dout, inp []float32) { simd.ReLUBackward(dinp, inp, dout) }
