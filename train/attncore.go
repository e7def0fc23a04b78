package train

import (
	"fmt"

	"github.com/kernelmachines/bkm/attention"
)

// attnCore runs package attention's fused exact attention with one layer's kernel over
// [B, H, N, D] tensors laid out as l says (attention.Layout: dense, or the heads read
// and written in place in the projections' [B·N, ·] rows). keyMask [B, Nk], when not
// nil, is true for keys to attend.
type attnCore struct {
	opt attention.Options
	ws  *attention.Workspace // shared by every layer of a model (layers run one at a time)
}

// newAttnCore parses a kernel name of package attention's zoo (attention.ByName) for
// head dimension d; scale 0 means γ = 1/√d.
func newAttnCore(kernel string, scale float32, d int) (*attnCore, error) {
	if kernel == "" {
		kernel = "edp"
	}
	k, err := attention.ByName(kernel, d)
	if err != nil {
		return nil, fmt.Errorf("attention kernel %q: %w", kernel, err)
	}
	return &attnCore{opt: attention.Options{Kernel: k, Scale: scale}}, nil
}

// forward writes o [B, H, Nq, D] and the row statistics [B, H, Nq] backward needs.
// drop > 0 is attention dropout with mask seed seed (backward must get the same pair).
func (c *attnCore) forward(l attention.Layout, o, stats, q, k, v []float32, B, H, Nq, Nk, D int, causal bool, keyMask []bool, drop float32, seed uint64) {
	c.opt.Causal, c.opt.KeyMask, c.opt.Dropout, c.opt.DropoutSeed = causal, keyMask, drop, seed
	attention.ForwardStrided(&c.opt, B, H, Nq, Nk, D, l, q, k, v, o, stats, c.ws)
}

// backward overwrites dq, dk, dv (laid out like q, k, v) from do (like o).
func (c *attnCore) backward(l attention.Layout, dq, dk, dv, do, o, stats, q, k, v []float32, B, H, Nq, Nk, D int, causal bool, keyMask []bool, drop float32, seed uint64) {
	c.opt.Causal, c.opt.KeyMask, c.opt.Dropout, c.opt.DropoutSeed = causal, keyMask, drop, seed
	attention.BackwardStrided(&c.opt, B, H, Nq, Nk, D, l, q, k, v, o, do, stats, dq, dk, dv, c.ws)
}

// reserve sizes the shared workspace for a forward and a backward call on the shape.
func (c *attnCore) reserve(B, H, Nq, Nk, D int, causal bool) {
	c.opt.Causal, c.opt.KeyMask = causal, nil
	c.ws.Reserve(&c.opt, B, H, Nq, Nk, D)
}
