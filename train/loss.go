package train

import (
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// crossEntropyForward turns logits into log-probabilities in place and returns the
// summed label-smoothed loss and the number of counted (non-ignored) targets:
//
//	loss_i = (1−ε)·(−log p[y_i]) + (ε/V)·Σ_v(−log p[v])     (PyTorch's label_smoothing)
//
// Targets equal to ignore do not count.
//
//	logits [n, V] (overwritten with log p)   targets [n]
func crossEntropyForward(logits []float32, targets []int32, ignore int32, eps float32, n, V int) (sum float64, count int) {
	for r := 0; r < n; r++ {
		y := targets[r]
		row := logits[r*V : (r+1)*V]
		simd.LogSoftmax(row, row)
		if y == ignore {
			continue
		}
		l := -float64(row[y]) * float64(1-eps)
		if eps != 0 {
			l -= float64(eps) / float64(V) * float64(simd.Sum(row))
		}
		sum += l
		count++
	}
	return sum, count
}

// crossEntropyBackward writes dlogits = scale·(softmax − q), q = (1−ε)·onehot(y) + ε/V,
// from the log-probabilities forward left in logp; ignored rows get zeros. scale is
// d(total loss)/d(loss_i), e.g. 1/count for the mean. dlogits may alias logp.
//
//	logp, dlogits [n, V]   targets [n]
func crossEntropyBackward(dlogits, logp []float32, targets []int32, ignore int32, eps, scale float32, n, V int) {
	u := eps / float32(V)
	for r := 0; r < n; r++ {
		y := targets[r]
		d := dlogits[r*V : (r+1)*V]
		if y == ignore {
			clear(d)
			continue
		}
		lp := logp[r*V : (r+1)*V]
		simd.Exp(d, lp)
		for i := range d {
			d[i] = scale * (d[i] - u)
		}
		d[y] -= scale * (1 - eps)
	}
}

// perplexity is exp(mean loss).
func perplexity(meanLoss float64) float64 { return math.Exp(meanLoss) }
