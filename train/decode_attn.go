package train

import "github.com/kernelmachines/bkm/attention"

// The Decoder's attention of one step: one query per hypothesis and head, every row of
// the step in one attention.DecodeRows call, which reads the queries, the caches and
// the output in place through their strides (no per-row or per-head calls, no head
// split or merge copies). Tests
// swap in the per-head Forward calls these replaced (decode_attn_test.go).
var (
	selfAttention  = (*Decoder).selfAttend
	crossAttention = (*Decoder).crossAttend
)

// useFeatureStates makes the Decoder keep attention.FeatureState sums instead of key
// and value caches for linear and favor layers (tests turn it off to compare).
var useFeatureStates = true

// selfAttend writes into d.o [nb, C] the self-attention of the queries in qkv
// [nb, 3·C] (columns 0..C) over positions 0..t of the layer's caches kc, vc, in one
// attention.DecodeRows call: each row attends to its own slot (d.slot) over the
// positions of its run (d.runs).
func (d *Decoder) selfAttend(core *attnCore, qkv, kc, vc []float32, nb, t int) {
	C, H, D := d.m.C, d.m.H, d.m.D
	cache := attention.Strides{Batch: H * d.MaxLen * D, Head: d.MaxLen * D, Row: D}
	outs, qs := attention.Strides{Batch: C, Head: D, Row: D}, attention.Strides{Batch: 3 * C, Head: D, Row: D}
	rows := d.attnRows(nb)
	for _, r := range d.selfRuns(nb, t) {
		for i := 0; i < r.rows; i++ {
			rows[r.row+i] = attention.DecodeRow{Entry: r.slot + i, Keys: r.t + 1}
		}
	}
	core.decodeRows(d, rows, d.o, outs, qkv, qs, kc, vc, cache)
}

// attnRows returns the Decoder's attention.DecodeRow buffer for nb rows, every row
// without keys until its run or segment sets it.
func (d *Decoder) attnRows(nb int) []attention.DecodeRow {
	if cap(d.rows) < nb {
		d.rows = make([]attention.DecodeRow, max(nb, d.Beam))
	}
	rows := d.rows[:nb]
	clear(rows)
	return rows
}

// selfRun is a run of rows [row, row+rows) of a step, all at position t, whose
// caches are the consecutive slots from slot on.
type selfRun struct{ row, rows, slot, t int }

// selfRuns returns the runs of a step of nb rows: d.runs, or the one run of rows
// 0..nb−1 in slots 0..nb−1 when d.slot is nil.
func (d *Decoder) selfRuns(nb, t int) []selfRun {
	if d.slot != nil {
		return d.runs
	}
	d.oneRun[0] = selfRun{row: 0, rows: nb, slot: 0, t: t}
	return d.oneRun[:]
}

// crossSeg is a run of rows [row, row+rows) of a batch step whose hypotheses attend
// to the first n source positions of sentence sent of the cross caches.
type crossSeg struct{ row, rows, sent, n int }

// crossSegs returns the segments of a step of nb rows: d.segs, or the one segment of
// every row attending to the whole of sentence 0 when d.segs is nil.
func (d *Decoder) crossSegs(nb int) []crossSeg {
	if d.segs != nil {
		return d.segs
	}
	d.oneSeg[0] = crossSeg{row: 0, rows: nb, sent: 0, n: d.S}
	return d.oneSeg[:]
}

// crossAttend writes into d.o [nb, C] the attention of the queries q [nb, C] over the
// source keys and values ck, cv [sentences, H, S, D]: without segments every
// hypothesis attends to the one sentence, else each segment's rows to their own
// sentence's unpadded keys (so each row's result is what decoding its sentence alone
// gives), all rows in one attention.DecodeRows call.
func (d *Decoder) crossAttend(core *attnCore, q, ck, cv []float32, nb int) {
	C, H, D := d.m.C, d.m.H, d.m.D
	rows := attention.Strides{Batch: C, Head: D, Row: D}
	kvs := attention.Strides{Batch: H * d.S * D, Head: d.S * D, Row: D}
	rs := d.attnRows(nb)
	for _, s := range d.crossSegs(nb) {
		for i := 0; i < s.rows; i++ {
			rs[s.row+i] = attention.DecodeRow{Entry: s.sent, Keys: s.n}
		}
	}
	core.decodeRows(d, rs, d.o, rows, q, rows, ck, cv, kvs)
}

// decodeRows runs attention.DecodeRows with one query per row and head, without
// padding masks (a row's keys are all visible) or dropout, in the Decoder's workspace.
func (c *attnCore) decodeRows(d *Decoder, rows []attention.DecodeRow, out []float32, outs attention.Strides,
	q []float32, qs attention.Strides, k, v []float32, kvs attention.Strides) {
	c.opt.Causal, c.opt.KeyMask, c.opt.Dropout, c.opt.DropoutSeed = false, nil, 0, 0
	attention.DecodeRows(&c.opt, rows, d.m.H, d.m.D, q, qs, k, v, kvs, out, outs, &d.dws)
}

// newFeatureState returns an empty attention.FeatureState of B entries for the
// layer's kernel if it has one (linear, favor) and the Decoder uses them, else nil.
func newFeatureState(core *attnCore, B, H, D int) *attention.FeatureState {
	if !useFeatureStates || !attention.HasFeatureState(core.opt.Kernel) {
		return nil
	}
	o := attention.Options{Kernel: core.opt.Kernel, Scale: core.opt.Scale, Unnormalized: core.opt.Unnormalized}
	return attention.NewFeatureState(&o, B, H, D)
}

// stateSelfAttend is selfAttend for a layer with feature state fs: each row's key and
// value (columns C..3·C of qkv) join its slot's sums (emptied at position 0), which
// its query then reads.
func (d *Decoder) stateSelfAttend(fs *attention.FeatureState, qkv []float32, nb, t int) {
	C, D := d.m.C, d.m.D
	rows, outs := attention.Strides{Batch: 3 * C, Head: D, Row: D}, attention.Strides{Batch: C, Head: D, Row: D}
	for _, r := range d.selfRuns(nb, t) {
		x := qkv[r.row*3*C:]
		if r.t == 0 {
			fs.Clear(r.slot, r.rows)
		}
		fs.Append(r.slot, r.rows, x[C:], x[2*C:], rows, 1, nil)
		fs.Attend(r.slot, r.rows, x, rows, 1, d.o[r.row*C:], outs)
	}
}

// crossState makes the cross-attention of decoder block i read feature sums, if its
// kernel has them: those of each of the B sentences' keys and values (d.kv, the
// encoder output's projections [B·S, 2·C]) at its non-Pad positions, into entry
// at[b] (nil: b) of sents. It reports whether it did (else the block uses the caches
// ck, cv).
func (d *Decoder) crossState(i int, core *attnCore, src []int32, B, S int, at []int, sents int) bool {
	m := d.m
	C, H, D := m.C, m.H, m.D
	if fs := d.cfs[i]; fs == nil || fs.Entries() < sents {
		if d.cfs[i] = newFeatureState(core, sents, H, D); d.cfs[i] == nil {
			return false
		}
	}
	fs := d.cfs[i]
	if len(d.srcMask) < B*S {
		d.srcMask = make([]bool, B*S)
	}
	mask := d.srcMask[:B*S]
	for j, tok := range src[:B*S] {
		mask[j] = tok != m.Cfg.Pad
	}
	rows := attention.Strides{Batch: S * 2 * C, Head: D, Row: 2 * C}
	if at == nil {
		fs.Clear(0, B)
		fs.Append(0, B, d.kv, d.kv[C:], rows, S, mask)
		return true
	}
	for b, e := range at {
		fs.Clear(e, 1)
		fs.Append(e, 1, d.kv[b*S*2*C:], d.kv[b*S*2*C+C:], rows, S, mask[b*S:])
	}
	return true
}

// stateCrossAttend is crossAttend for a block with feature sums fs: the rows of a
// segment are the queries of its sentence's entry.
func (d *Decoder) stateCrossAttend(fs *attention.FeatureState, q []float32, nb int) {
	C, D := d.m.C, d.m.D
	rows := attention.Strides{Batch: 0, Head: D, Row: C}
	for _, s := range d.crossSegs(nb) {
		fs.Attend(s.sent, 1, q[s.row*C:], rows, s.rows, d.o[s.row*C:], rows)
	}
}
