package train

import "github.com/kernelmachines/bkm/attention"

// The Decoder's attention of one step: one query per hypothesis and head, through
// attention.Decode, which reads the queries, the caches and the output in place
// through their strides (no per-head calls, no head split or merge copies). Tests
// swap in the per-head Forward calls these replaced (decode_attn_test.go).
var (
	selfAttention  = (*Decoder).selfAttend
	crossAttention = (*Decoder).crossAttend
)

// selfAttend writes into d.o [nb, C] the self-attention of the queries in qkv
// [nb, 3·C] (columns 0..C) over positions 0..t of the layer's caches kc, vc.
// Rows whose caches are in other slots (d.slot) attend run by run (d.runs).
func (d *Decoder) selfAttend(core *attnCore, qkv, kc, vc []float32, nb, t int) {
	C, H, D := d.m.C, d.m.H, d.m.D
	cache := attention.Strides{Batch: H * d.MaxLen * D, Head: d.MaxLen * D, Row: D}
	outs, qs := attention.Strides{Batch: C, Head: D, Row: D}, attention.Strides{Batch: 3 * C, Head: D, Row: D}
	if d.slot == nil {
		core.decode(d.o, outs, qkv, qs, kc, vc, cache, nb, H, t+1, D)
		return
	}
	for _, r := range d.runs {
		off := r.slot * cache.Batch
		core.decode(d.o[r.row*C:], outs, qkv[r.row*3*C:], qs, kc[off:], vc[off:], cache, r.rows, H, t+1, D)
	}
}

// selfRun is a run of rows [row, row+rows) of a step whose caches are the
// consecutive slots from slot on.
type selfRun struct{ row, rows, slot int }

// crossSeg is a run of rows [row, row+rows) of a batch step whose hypotheses attend
// to the first n source positions of sentence sent of the cross caches.
type crossSeg struct{ row, rows, sent, n int }

// crossAttend writes into d.o [nb, C] the attention of the queries q [nb, C] over the
// source keys and values ck, cv [sentences, H, S, D]: without segments every
// hypothesis attends to the one sentence, else each segment to its own sentence's
// unpadded keys (so each row's result is what decoding its sentence alone gives).
func (d *Decoder) crossAttend(core *attnCore, q, ck, cv []float32, nb int) {
	C, H, D := d.m.C, d.m.H, d.m.D
	rows := attention.Strides{Batch: C, Head: D, Row: D}
	kvs := attention.Strides{Batch: 0, Head: d.S * D, Row: D}
	if d.segs == nil {
		core.decode(d.o, rows, q, rows, ck, cv, kvs, nb, H, d.S, D)
		return
	}
	for _, s := range d.segs {
		off := s.sent * H * d.S * D
		core.decode(d.o[s.row*C:], rows, q[s.row*C:], rows, ck[off:], cv[off:], kvs, s.rows, H, s.n, D)
	}
}

// decode runs attention.Decode with one query per batch entry and head, without
// causal or padding masks (a cache holds only visible keys) or dropout.
func (c *attnCore) decode(out []float32, outs attention.Strides, q []float32, qs attention.Strides,
	k, v []float32, kvs attention.Strides, B, H, Nk, D int) {
	c.opt.Causal, c.opt.KeyMask, c.opt.Dropout, c.opt.DropoutSeed = false, nil, 0, 0
	attention.Decode(&c.opt, B, H, 1, Nk, D, q, qs, k, v, kvs, out, outs, nil)
}
