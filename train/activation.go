package train

import (
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// Activations of the feed-forward block. GELU is the tanh approximation (GPT-2, llm.c,
// PyTorch's gelu(approximate="tanh")).

var geluScale = float32(math.Sqrt(2 / math.Pi))

const geluCubic = 0.044715

// geluForward computes out = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). tmp [len(x)]
// receives the tanh values; backward reuses them.
func geluForward(out, tnh, inp []float32) {
	for i, x := range inp {
		tnh[i] = geluScale * (x + geluCubic*x*x*x)
	}
	simd.Tanh(tnh, tnh)
	for i, x := range inp {
		out[i] = 0.5 * x * (1 + tnh[i])
	}
}

// geluBackward accumulates dinp += dout·gelu'(x), with the tanh values saved by forward.
func geluBackward(dinp, dout, inp, tnh []float32) {
	for i, x := range inp {
		t := tnh[i]
		sech2 := 1 - t*t
		local := 0.5*(1+t) + 0.5*x*sech2*geluScale*(1+3*geluCubic*x*x)
		dinp[i] += local * dout[i]
	}
}

// reluForward computes out = max(x, 0).
func reluForward(out, inp []float32) {
	for i, x := range inp {
		if x > 0 {
			out[i] = x
		} else {
			out[i] = 0
		}
	}
}

// reluBackward accumulates dinp += dout where x > 0.
func reluBackward(dinp, dout, inp []float32) {
	for i, x := range inp {
		if x > 0 {
			dinp[i] += dout[i]
		}
	}
}
