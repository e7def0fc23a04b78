package train

import (
	"fmt"
	"math"
)

// attnCore is the exact multi-head attention the model's layers call, over [B, H, N, D]
// tensors. keyPad [B, Nk], when not nil, marks padding keys (true = masked).
type attnCore interface {
	// forward writes o [B, H, Nq, D] and saves stats [B, H, Nq] for backward.
	forward(o, stats, q, k, v []float32, B, H, Nq, Nk, D int, causal bool, keyPad []bool)
	// backward accumulates dq, dk, dv from do [B, H, Nq, D].
	backward(dq, dk, dv, do, o, stats, q, k, v []float32, B, H, Nq, Nk, D int, causal bool, keyPad []bool)
}

func newAttnCore(kernel string, scale float32) (attnCore, error) {
	switch kernel {
	case "", "edp":
		return &softmaxCore{scale: scale}, nil
	}
	return nil, fmt.Errorf("unknown attention kernel %q", kernel)
}

// softmaxCore is plain softmax attention (the edp kernel), one row at a time, saving the
// row log-sum-exp; backward recomputes the probabilities.
type softmaxCore struct {
	scale float32
	row   []float32
}

func (c *softmaxCore) gamma(D int) float32 {
	if c.scale != 0 {
		return c.scale
	}
	return float32(1 / math.Sqrt(float64(D)))
}

// probs fills c.row[:Nk] with the attention probabilities of query row i and returns the
// row's log-sum-exp (−Inf when every key is masked, the row then being zeros).
func (c *softmaxCore) probs(q, k []float32, i, Nq, Nk, D int, causal bool, pad []bool, g float32) float32 {
	if cap(c.row) < Nk {
		c.row = make([]float32, Nk)
	}
	p := c.row[:Nk]
	m := float32(math.Inf(-1))
	for j := 0; j < Nk; j++ {
		if (causal && j > i+Nk-Nq) || (pad != nil && pad[j]) {
			p[j] = float32(math.Inf(-1))
			continue
		}
		var s float32
		kj := k[j*D : (j+1)*D]
		for d, x := range q[i*D : (i+1)*D] {
			s += x * kj[d]
		}
		p[j] = g * s
		m = max(m, p[j])
	}
	if math.IsInf(float64(m), -1) {
		clear(p)
		return m
	}
	var sum float32
	for j := range p {
		p[j] = float32(math.Exp(float64(p[j] - m)))
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	return m + float32(math.Log(float64(sum)))
}

func (c *softmaxCore) forward(o, stats, q, k, v []float32, B, H, Nq, Nk, D int, causal bool, keyPad []bool) {
	g := c.gamma(D)
	for b := 0; b < B; b++ {
		var pad []bool
		if keyPad != nil {
			pad = keyPad[b*Nk : (b+1)*Nk]
		}
		for h := 0; h < H; h++ {
			bh := b*H + h
			qh, kh, vh := q[bh*Nq*D:(bh+1)*Nq*D], k[bh*Nk*D:(bh+1)*Nk*D], v[bh*Nk*D:(bh+1)*Nk*D]
			for i := 0; i < Nq; i++ {
				stats[bh*Nq+i] = c.probs(qh, kh, i, Nq, Nk, D, causal, pad, g)
				oi := o[(bh*Nq+i)*D : (bh*Nq+i+1)*D]
				clear(oi)
				for j, pj := range c.row[:Nk] {
					if pj == 0 {
						continue
					}
					for d, x := range vh[j*D : (j+1)*D] {
						oi[d] += pj * x
					}
				}
			}
		}
	}
}

func (c *softmaxCore) backward(dq, dk, dv, do, o, stats, q, k, v []float32, B, H, Nq, Nk, D int, causal bool, keyPad []bool) {
	g := c.gamma(D)
	for b := 0; b < B; b++ {
		var pad []bool
		if keyPad != nil {
			pad = keyPad[b*Nk : (b+1)*Nk]
		}
		for h := 0; h < H; h++ {
			bh := b*H + h
			qh, kh, vh := q[bh*Nq*D:(bh+1)*Nq*D], k[bh*Nk*D:(bh+1)*Nk*D], v[bh*Nk*D:(bh+1)*Nk*D]
			dqh, dkh, dvh := dq[bh*Nq*D:(bh+1)*Nq*D], dk[bh*Nk*D:(bh+1)*Nk*D], dv[bh*Nk*D:(bh+1)*Nk*D]
			for i := 0; i < Nq; i++ {
				c.probs(qh, kh, i, Nq, Nk, D, causal, pad, g)
				doi := do[(bh*Nq+i)*D : (bh*Nq+i+1)*D]
				oi := o[(bh*Nq+i)*D : (bh*Nq+i+1)*D]
				var di float32
				for d := range doi {
					di += doi[d] * oi[d]
				}
				qi, dqi := qh[i*D:(i+1)*D], dqh[i*D:(i+1)*D]
				for j, pj := range c.row[:Nk] {
					if pj == 0 {
						continue
					}
					vj, dvj := vh[j*D:(j+1)*D], dvh[j*D:(j+1)*D]
					var dp float32
					for d := range doi {
						dvj[d] += pj * doi[d]
						dp += doi[d] * vj[d]
					}
					ds := g * pj * (dp - di)
					kj, dkj := kh[j*D:(j+1)*D], dkh[j*D:(j+1)*D]
					for d := range qi {
						dqi[d] += ds * kj[d]
						dkj[d] += ds * qi[d]
					}
				}
			}
		}
	}
}
