package attention

import (
	"fmt"
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// Options configure one attention call.
type Options struct {
	Kernel       Kernel  // nil means EDP()
	Scale        float32 // γ; 0 means 1/√D
	Causal       bool    // query i sees key j iff j ≤ i + Nk − Nq
	KeyMask      []bool  // nil or [B, Nk]: true = attend, false = padding
	Unnormalized bool    // out_i = Σ_j κ_ij v_j, without dividing by Σ_j κ_ij
	// Dropout p ∈ [0, 1) drops normalized attention weights as F.dropout(P, p) does:
	// out_i = Σ_j (M_ij/(1−p))·P_ij·v_j with M_ij ∈ {0, 1} drawn by a counter-based hash
	// of (DropoutSeed, b·H+h, i, j) that Forward and Backward both recompute (see
	// dropout.go). The row statistics do not change. Give every call its own seed.
	// ForwardLinear rejects Dropout ≠ 0.
	Dropout     float32
	DropoutSeed uint64
}

// Gamma returns the scale used for head dimension d: Scale, or 1/√d when it is 0.
func (o *Options) Gamma(d int) float32 {
	if o.Scale != 0 {
		return o.Scale
	}
	return float32(1 / math.Sqrt(float64(max(d, 1))))
}

func (o *Options) kernel() *zooKernel {
	if o.Kernel == nil {
		return edpKernel
	}
	return o.Kernel.zoo()
}

var edpKernel = EDP().zoo()

// guardEps: a non-exp-family row whose kernel sum has magnitude ≤ guardEps (all
// values zero, or every key masked) gives zeros instead of dividing by ~0.
const guardEps = 1e-30

// call is the state of one Forward or Backward, shared by its workers.
type call struct {
	o        *Options
	z        *zooKernel
	gamma    float32
	exp      bool
	b, h     int
	nq, nk   int
	d, f     int  // head dim, feature dim (linear, favor)
	off      int  // Nk − Nq: causal diagonal offset
	tq, tk   int  // tile sizes of this call (tileSizes)
	q, k, v  view // and their gradients dq, dk, dv: the same strides
	out      view
	stats    []float32
	dout     view // out's strides
	dq, dk   view
	dv       view
	fq, fk   []float32 // features [B·H, N, F]
	dfq, dfk []float32 // feature gradients
	qn, kn   []float32 // rbf: ‖q‖², ‖k‖² per row
	drow     []float32 // backward: D_i = dO_i·O_i per query row
	kT       []float32 // dot kinds: Kᵀ in tile blocks [B·H, key tiles, D, tileK]
	fkT      []float32 // feature kinds: φ(K)ᵀ in tile blocks [B·H, key tiles, F, tileK] (untransposed score GEMMs, see backwardKeyTile)
	qT, doT  []float32 // fast backward: Qᵀ, dOᵀ in tile blocks [B·H, query tiles, D, tileQ]
	dqT      []float32 // fast backward: dQᵀ accumulators, same layout as qT
	negL     []float32 // fast backward: −L_i (0 unnormalized, −Inf for empty rows)
	negD     []float32 // fast backward: −D_i
	priv     []float32 // backward split mode: private dq (or dfq) accumulators 1..nw-1
	privLen  int
	split    bool
	nw       int
	ws       *Workspace
	drop     dropper
	wide     int // forward: stride of the workers' wide score buffers (0: tiled loop)

	phase phase
}

func checkLen(fn, name string, x []float32, n int) {
	if len(x) < n {
		panic(fmt.Sprintf("attention: %s: len(%s) = %d < %d", fn, name, len(x), n))
	}
}

// checkInputs panics unless the shape is valid for fn and q [B, H, Nq, D], k and v
// [B, H, Nk, D] have their lengths.
func checkInputs(fn string, o *Options, B, H, Nq, Nk, D int, q, k, v []float32) {
	checkShape(fn, o, B, H, Nq, Nk, D)
	checkLen(fn, "q", q, B*H*Nq*D)
	checkLen(fn, "k", k, B*H*Nk*D)
	checkLen(fn, "v", v, B*H*Nk*D)
}

// checkOutputs panics unless out [B, H, Nq, D] and stats [B, H, Nq] of fn have their
// lengths.
func checkOutputs(fn string, B, H, Nq, D int, out, stats []float32) {
	checkLen(fn, "out", out, B*H*Nq*D)
	checkLen(fn, "stats", stats, B*H*Nq)
}

// begin sets up ws's call state for one call on the shape and returns it.
func (ws *Workspace) begin(o *Options, B, H, Nq, Nk, D int) *call {
	c := &ws.c
	c.init(o, B, H, Nq, Nk, D, ws)
	return c
}

func checkShape(fn string, o *Options, b, h, nq, nk, d int) {
	if o == nil {
		panic(fmt.Sprintf("attention: %s: nil Options", fn))
	}
	if b < 0 || h < 0 || nq < 0 || nk < 0 || d < 1 {
		panic(fmt.Sprintf("attention: %s: bad shape B = %d, H = %d, Nq = %d, Nk = %d, D = %d", fn, b, h, nq, nk, d))
	}
	if o.KeyMask != nil && len(o.KeyMask) < b*nk {
		panic(fmt.Sprintf("attention: %s: len(KeyMask) = %d < B·Nk = %d", fn, len(o.KeyMask), b*nk))
	}
	if !(o.Scale == o.Scale) || math.IsInf(float64(o.Scale), 0) {
		panic(fmt.Sprintf("attention: %s: Scale = %v", fn, o.Scale))
	}
	if !(o.Dropout >= 0 && o.Dropout < 1) {
		panic(fmt.Sprintf("attention: %s: Dropout = %v: must be in [0, 1)", fn, o.Dropout))
	}
	o.kernel().checkFavorDim(fn, d)
}

func (c *call) init(o *Options, b, h, nq, nk, d int, ws *Workspace) {
	z := o.kernel()
	*c = call{o: o, z: z, gamma: o.Gamma(d), exp: z.ExpFamily(), b: b, h: h, nq: nq, nk: nk, d: d,
		off: nk - nq, ws: ws, drop: newDropper(o.Dropout, o.DropoutSeed)}
	c.tq, c.tk = tileSizes(o, nq, nk)
	if z.usesFeatures() {
		c.f = z.FeatureDim(d)
	}
}

// Forward computes attention for q [B, H, Nq, D], k and v [B, H, Nk, D] into
// out [B, H, Nq, D], and the row statistics Backward needs into stats [B, H, Nq]:
// the row log-sum-exp of the logits for exp-family kernels (−Inf for a fully masked
// row), the row sum Σ_j κ_ij otherwise. ws may be nil (pooled). It does not check
// values: see ForwardChecked.
func Forward(o *Options, B, H, Nq, Nk, D int, q, k, v, out, stats []float32, ws *Workspace) {
	checkInputs("Forward", o, B, H, Nq, Nk, D, q, k, v)
	checkOutputs("Forward", B, H, Nq, D, out, stats)
	forward(o, B, H, Nq, Nk, D, DenseLayout(H, Nq, Nk, D), q, k, v, out, stats, ws)
}

// ForwardStrided is Forward on tensors laid out with the strides of l (l.Q for q,
// l.K for k, l.V for v, l.Out for out; stats stays [B, H, Nq]). The rows of out must
// not overlap one another or the inputs.
func ForwardStrided(o *Options, B, H, Nq, Nk, D int, l Layout, q, k, v, out, stats []float32, ws *Workspace) {
	const fn = "ForwardStrided"
	checkShape(fn, o, B, H, Nq, Nk, D)
	l.checkInputs(fn, B, H, Nq, Nk, D, q, k, v)
	l.Out.checkOut(fn, "out", out, B, H, Nq, D)
	checkLen(fn, "stats", stats, B*H*Nq)
	forward(o, B, H, Nq, Nk, D, l, q, k, v, out, stats, ws)
}

// checkInputs panics unless q, k and v have the lengths their strides need.
func (l *Layout) checkInputs(fn string, B, H, Nq, Nk, D int, q, k, v []float32) {
	l.Q.check(fn, "q", q, B, H, Nq, D)
	l.K.check(fn, "k", k, B, H, Nk, D)
	l.V.check(fn, "v", v, B, H, Nk, D)
}

// bind sets the call's input views.
func (c *call) bind(l *Layout, q, k, v []float32) {
	c.q, c.k, c.v = view{q, l.Q, c.h}, view{k, l.K, c.h}, view{v, l.V, c.h}
}

func forward(o *Options, B, H, Nq, Nk, D int, l Layout, q, k, v, out, stats []float32, ws *Workspace) {
	if ws == nil {
		ws = wsPool.Get().(*Workspace)
		defer wsPool.Put(ws)
	}
	c := ws.begin(o, B, H, Nq, Nk, D)
	c.bind(&l, q, k, v)
	c.out, c.stats = view{out, l.Out, H}, stats
	bh := B * H
	nqt := (Nq + c.tq - 1) / c.tq
	nw := ws.sizeForward(c)
	c.run(phPrep, c.prepTasks(), nw)
	c.run(phForward, bh*nqt, nw)
	c.release()
}

// Backward computes dq [B, H, Nq, D], dk and dv [B, H, Nk, D] (overwritten) from the
// inputs and results of Forward (out, stats) and the output gradient dout, by
// recomputing the score tiles. ws may be nil (pooled).
func Backward(o *Options, B, H, Nq, Nk, D int, q, k, v, out, dout, stats, dq, dk, dv []float32, ws *Workspace) {
	checkInputs("Backward", o, B, H, Nq, Nk, D, q, k, v)
	checkLen("Backward", "out", out, B*H*Nq*D)
	checkLen("Backward", "dout", dout, B*H*Nq*D)
	checkLen("Backward", "stats", stats, B*H*Nq)
	checkLen("Backward", "dq", dq, B*H*Nq*D)
	checkLen("Backward", "dk", dk, B*H*Nk*D)
	checkLen("Backward", "dv", dv, B*H*Nk*D)
	backward(o, B, H, Nq, Nk, D, DenseLayout(H, Nq, Nk, D), q, k, v, out, dout, stats, dq, dk, dv, ws)
}

// BackwardStrided is Backward on tensors laid out with the strides of l: dq has q's
// (l.Q), dk k's, dv v's and dout out's. The rows of dq, dk and dv must not overlap
// one another or the inputs.
func BackwardStrided(o *Options, B, H, Nq, Nk, D int, l Layout, q, k, v, out, dout, stats, dq, dk, dv []float32, ws *Workspace) {
	const fn = "BackwardStrided"
	checkShape(fn, o, B, H, Nq, Nk, D)
	l.checkInputs(fn, B, H, Nq, Nk, D, q, k, v)
	l.Out.check(fn, "out", out, B, H, Nq, D)
	l.Out.check(fn, "dout", dout, B, H, Nq, D)
	checkLen(fn, "stats", stats, B*H*Nq)
	l.Q.checkOut(fn, "dq", dq, B, H, Nq, D)
	l.K.checkOut(fn, "dk", dk, B, H, Nk, D)
	l.V.checkOut(fn, "dv", dv, B, H, Nk, D)
	backward(o, B, H, Nq, Nk, D, l, q, k, v, out, dout, stats, dq, dk, dv, ws)
}

func backward(o *Options, B, H, Nq, Nk, D int, l Layout, q, k, v, out, dout, stats, dq, dk, dv []float32, ws *Workspace) {
	if ws == nil {
		ws = wsPool.Get().(*Workspace)
		defer wsPool.Put(ws)
	}
	c := ws.begin(o, B, H, Nq, Nk, D)
	c.bind(&l, q, k, v)
	c.out, c.dout, c.stats = view{out, l.Out, H}, view{dout, l.Out, H}, stats
	c.dq, c.dk, c.dv = view{dq, l.Q, H}, view{dk, l.K, H}, view{dv, l.V, H}
	bh := B * H
	nw := ws.sizeBackward(c)
	// The gradient targets are cleared by the tasks that accumulate into them
	// (clearTargets), in parallel and just before use.
	c.run(phPrep, c.prepTasks(), nw)
	if c.split {
		c.run(phBackward, bh*nw, nw)
		c.run(phReduce, (c.privLen+reduceChunk-1)/reduceChunk, nw)
	} else {
		c.run(phBackward, bh, nw)
	}
	if c.fastBackward() {
		c.run(phTransposeDQ, bh, nw)
	}
	if c.f > 0 {
		c.run(phChain, bh, nw)
	}
	c.release()
}

// sizeForward sets Forward's worker count and wide-score width in c, sizes ws for
// the call and lays out c's buffers in it; it returns the worker count.
func (ws *Workspace) sizeForward(c *call) int {
	nw := ws.threads()
	c.nw = nw
	if c.nk <= wideMaxKeys {
		c.wide = (c.nk + 15) &^ 15
	}
	c.layout(ws.prepare(nw, c.d, c.layout(nil, false), c.tq, c.tk), false)
	ws.prepareWide(nw, c.tq*c.wide, c.z.kind == kPoly || c.z.kind == kTaylor)
	return nw
}

// sizeBackward is sizeForward for Backward, which splits a head's key tiles among
// the workers when there are fewer heads than workers.
func (ws *Workspace) sizeBackward(c *call) int {
	nw := ws.threads()
	nkt := (c.nk + c.tk - 1) / c.tk
	c.split = c.b*c.h < nw && nkt > 1
	c.nw = nw
	c.layout(ws.prepare(nw, c.d, c.layout(nil, true), c.tq, c.tk), true)
	return nw
}

// Reserve sizes ws for a Forward and a Backward call (not ForwardLinear) of o's
// kernel (o.Causal included) on the shape B, H, Nq, Nk, D, so that such calls do not
// allocate (it also has simd keep the GEMM scratch of that many threads). It never shrinks ws. Buffer sizes are not monotone in the shape (tile sizes and the split of
// Backward's key tiles depend on it): reserve every shape a run will use, e.g. each
// distinct batch shape of a training set, before the first step.
func (ws *Workspace) Reserve(o *Options, B, H, Nq, Nk, D int) {
	checkShape("Reserve", o, B, H, Nq, Nk, D)
	ws.sizeForward(ws.begin(o, B, H, Nq, Nk, D))
	ws.sizeBackward(ws.begin(o, B, H, Nq, Nk, D))
	ws.c.release()
	simd.ReserveScratch(ws.threads())
}

// release drops the references to the caller's slices so a pooled workspace does not
// keep them alive.
func (c *call) release() { *c = call{} }

// dotKind reports whether the scores come from γ·QKᵀ (edp, rbf, poly, taylor); those
// kernels keep a transposed copy of K so that every score GEMM is untransposed (and
// takes simd's unpacked small-GEMM path).
func (c *call) dotKind() bool {
	k := c.z.kind
	return k == kEDP || k == kRBF || k == kPoly || k == kTaylor
}

// fastBackward reports whether Backward runs the transposed-tile edp path
// (backwardKeyTileT), in which all five GEMMs per tile are untransposed.
func (c *call) fastBackward() bool { return c.z.kind == kEDP }

// layout carves the per-call buffers out of s and returns their total size; with s
// nil it only counts.
func (c *call) layout(s []float32, backward bool) int {
	bh := c.b * c.h
	total := 0
	take := func(n int) []float32 {
		total += n
		if s == nil {
			return nil
		}
		x := s[:n:n]
		s = s[n:]
		return x
	}
	if c.z.kind == kRBF {
		c.qn = take(bh * c.nq)
		c.kn = take(bh * c.nk)
	}
	c.fq = take(bh * c.nq * c.f)
	c.fk = take(bh * c.nk * c.f)
	nqt, nkt := (c.nq+c.tq-1)/c.tq, (c.nk+c.tk-1)/c.tk
	if c.dotKind() {
		c.kT = take(bh * nkt * c.d * c.tk)
	}
	if c.f > 0 {
		c.fkT = take(bh * nkt * c.f * c.tk)
	}
	if backward {
		c.dfq = take(bh * c.nq * c.f)
		c.dfk = take(bh * c.nk * c.f)
		c.drow = take(bh * c.nq)
		if c.fastBackward() {
			c.qT = take(bh * nqt * c.d * c.tq)
			c.doT = take(bh * nqt * c.d * c.tq)
			c.dqT = take(bh * nqt * c.d * c.tq)
			c.negL = take(bh * c.nq)
			c.negD = take(bh * c.nq)
		}
		if c.split {
			c.privLen = bh * c.nq * c.d // laid out like dq
			if c.f > 0 {
				c.privLen = bh * c.nq * c.f // like dfq
			}
			if c.fastBackward() {
				c.privLen = bh * nqt * c.d * c.tq // laid out like dqT
			}
			c.priv = take((c.nw - 1) * c.privLen)
		}
	}
	return total
}

func (c *call) prepTasks() int {
	if c.z.kind == kRBF || c.f > 0 || c.drow != nil || c.kT != nil {
		return c.b * c.h
	}
	return 0
}

// prepHead computes the per-row data of head bh: rbf norms, features, and for
// backward D_i = dO_i·O_i (0 in unnormalized mode).
func (c *call) prepHead(bh int) {
	d := c.d
	if c.z.kind == kRBF {
		for i := 0; i < c.nq; i++ {
			r := c.q.row(bh, i, d)
			c.qn[bh*c.nq+i] = simd.Dot(r, r)
		}
		for j := 0; j < c.nk; j++ {
			r := c.k.row(bh, j, d)
			c.kn[bh*c.nk+j] = simd.Dot(r, r)
		}
	}
	if c.f > 0 {
		f := c.f
		c.z.featureRows(c.gamma, c.nq, d, c.q.rows(bh, 0), c.q.s.Row, c.fq[bh*c.nq*f:], f)
		c.z.featureRows(c.gamma, c.nk, d, c.k.rows(bh, 0), c.k.s.Row, c.fk[bh*c.nk*f:], f)
		nkt := (c.nk + c.tk - 1) / c.tk
		transposeTiles(c.nk, f, c.tk, c.fk[bh*c.nk*f:], f, c.fkT[bh*nkt*f*c.tk:])
	}
	if c.kT != nil {
		transposeTiles(c.nk, d, c.tk, c.k.rows(bh, 0), c.k.s.Row, c.kT[bh*c.blocks(c.nk, c.tk):])
	}
	if c.qT != nil {
		transposeTiles(c.nq, d, c.tq, c.q.rows(bh, 0), c.q.s.Row, c.qT[bh*c.blocks(c.nq, c.tq):])
		transposeTiles(c.nq, d, c.tq, c.dout.rows(bh, 0), c.dout.s.Row, c.doT[bh*c.blocks(c.nq, c.tq):])
	}
	if c.drow != nil {
		for i := 0; i < c.nq; i++ {
			var s float32
			if !c.o.Unnormalized {
				s = simd.Dot(c.dout.row(bh, i, d), c.out.row(bh, i, d))
			}
			c.drow[bh*c.nq+i] = s
			if c.negD != nil {
				c.negD[bh*c.nq+i] = -s
				var nl float32
				if !c.o.Unnormalized {
					nl = -c.stats[bh*c.nq+i] // −(−Inf) = +Inf is fixed below
					if math.IsInf(float64(nl), 1) {
						nl = float32(math.Inf(-1))
					}
				}
				c.negL[bh*c.nq+i] = nl
			}
		}
	}
}

// scores fills the tile s (stride ld) with the logits (exp-family) or kernel values
// of query rows i0..i0+nr-1 against keys j0..j0+nc-1 of head bh, masked entries set
// to −Inf (exp-family) or 0. For poly and taylor, raw (stride ld) receives γ qᵀk.
func (c *call) scores(bh, i0, nr, j0, nc int, s, raw []float32, ld int) {
	d := c.d
	q, ldq := c.q.rows(bh, i0), c.q.s.Row
	k, ldk := c.k.rows(bh, j0), c.k.s.Row
	g := c.gamma
	switch c.z.kind {
	case kEDP, kRBF, kPoly, kTaylor:
		simd.Sgemm(false, false, nr, nc, d, g, q, ldq, c.kT[bh*c.blocks(c.nk, c.tk)+j0*d:], c.tk, 0, s, ld)
		switch c.z.kind {
		case kRBF:
			qn := c.qn[bh*c.nq+i0:]
			kn := c.kn[bh*c.nk+j0:]
			for r := 0; r < nr; r++ {
				row := s[r*ld : r*ld+nc]
				a := g / 2 * qn[r]
				for j := range row {
					row[j] -= a + g/2*kn[j]
				}
			}
		case kPoly, kTaylor:
			for r := 0; r < nr; r++ {
				row := s[r*ld : r*ld+nc]
				copy(raw[r*ld:r*ld+nc], row)
				for j, x := range row {
					row[j] = c.z.dotValue(x)
				}
			}
		}
	case kLinear, kFavor:
		f := c.f
		nkt := (c.nk + c.tk - 1) / c.tk
		simd.Sgemm(false, false, nr, nc, f, 1, c.fq[(bh*c.nq+i0)*f:], f, c.fkT[bh*nkt*f*c.tk+j0*f:], c.tk, 0, s, ld)
	case kLaplace, kExpInt, kIntersection:
		for r := 0; r < nr; r++ {
			qr := q[r*ldq : r*ldq+d]
			row := s[r*ld : r*ld+nc]
			for j := range row {
				row[j] = c.z.pairScore(g, qr, k[j*ldk:j*ldk+d])
			}
		}
	}
	c.mask(bh, i0, nr, j0, nc, s, ld)
}

// pairScore is the logit (laplace, expint) or value (intersection) of the
// elementwise kernels for one query row q and key row k, in float32.
func (z *zooKernel) pairScore(g float32, q, k []float32) float32 {
	k = k[:len(q)]
	var a float32
	switch z.kind {
	case kLaplace:
		for l, x := range q {
			a += float32(math.Abs(float64(x - k[l])))
		}
		return -g * a
	case kExpInt:
		for l, x := range q {
			a += min(x, k[l])
		}
		return g * a
	default:
		for l, x := range q {
			a += max(0, min(x, k[l]))
		}
		return a
	}
}

// dotValue is κ as a function of x = γ qᵀk for poly and taylor.
func (z *zooKernel) dotValue(x float32) float32 {
	if z.kind == kPoly {
		b := x + float32(z.c)
		r := float32(1)
		for n := 0; n < z.p; n++ {
			r *= b
		}
		return r
	}
	s, t := float32(1), float32(1)
	for n := 1; n <= z.p; n++ {
		t *= x / float32(n)
		s += t
	}
	return s
}

// dotDeriv is dκ/dx for poly and taylor.
func (z *zooKernel) dotDeriv(x float32) float32 {
	if z.kind == kPoly {
		b := x + float32(z.c)
		r := float32(z.p)
		for n := 1; n < z.p; n++ {
			r *= b
		}
		return r
	}
	var s float32
	t := float32(1)
	for n := 0; n < z.p; n++ {
		s += t
		t *= x / float32(n+1)
	}
	return s
}

// masked reports whether query i of batch b may not see key j.
func (c *call) masked(b, i, j int) bool {
	return (c.o.Causal && j > i+c.off) || (c.o.KeyMask != nil && !c.o.KeyMask[b*c.nk+j])
}

// tileMasked reports whether any entry of the tile is masked.
func (c *call) tileMasked(b, i0, j0, nc int) bool {
	if c.o.Causal && j0+nc-1 > i0+c.off {
		return true
	}
	if c.o.KeyMask != nil {
		for _, ok := range c.o.KeyMask[b*c.nk+j0 : b*c.nk+j0+nc] {
			if !ok {
				return true
			}
		}
	}
	return false
}

func (c *call) mask(bh, i0, nr, j0, nc int, s []float32, ld int) {
	b := bh / c.h
	if !c.tileMasked(b, i0, j0, nc) {
		return
	}
	fill := float32(0)
	if c.exp {
		fill = float32(math.Inf(-1))
	}
	if c.o.KeyMask == nil {
		// causal only: query i0+r sees keys up to i0+r+off, so the masked entries of
		// row r are the columns from i0+r+off+1−j0 on
		for r := 0; r < nr; r++ {
			tail := s[r*ld+max(0, min(nc, i0+r+c.off+1-j0)) : r*ld+nc]
			for j := range tail {
				tail[j] = fill
			}
		}
		return
	}
	for r := 0; r < nr; r++ {
		row := s[r*ld : r*ld+nc]
		for j := range row {
			if c.masked(b, i0+r, j0+j) {
				row[j] = fill
			}
		}
	}
}

// keyEnd is one past the last key any of query rows i0..i0+nr-1 may see.
func (c *call) keyEnd(i0, nr int) int {
	if !c.o.Causal {
		return c.nk
	}
	return max(0, min(c.nk, i0+nr+c.off))
}

// forwardTile computes query tile t of head bh (t = bh·nqt + tile) with online
// normalization.
func (c *call) forwardTile(w, t int) {
	nqt := (c.nq + c.tq - 1) / c.tq
	bh, i0 := t/nqt, (t%nqt)*c.tq
	nr := min(c.tq, c.nq-i0)
	d, ld := c.d, c.tk
	buf := &c.ws.workers[w]
	o, m, l, s := buf.o[:nr*d], buf.m[:nr], buf.l[:nr], buf.s
	clear(o)
	clear(l)
	negInf := float32(math.Inf(-1))
	for r := range m {
		m[r] = negInf
	}
	v, ldv := c.v.rows(bh, 0), c.v.s.Row
	jEnd := c.keyEnd(i0, nr)
	if c.wide > 0 {
		c.forwardWide(bh, i0, nr, jEnd, buf)
	}
	for j0 := 0; j0 < jEnd && c.wide == 0; j0 += c.tk {
		c.eachStrip(i0, nr, j0, min(c.tk, jEnd-j0), func(a, sr, ncs int) {
			c.forwardBlock(bh, i0+a, sr, j0, ncs, s[a*ld:], buf.r[a*ld:], m[a:a+sr], l[a:a+sr], o[a*d:(a+sr)*d], v[j0*ldv:], ldv)
		})
	}
	stats := c.stats[bh*c.nq+i0:]
	for r := 0; r < nr; r++ {
		dst := c.out.row(bh, i0+r, d)
		src := o[r*d : r*d+d]
		var scale float32
		stats[r], scale = rowScale(c.exp, c.o.Unnormalized, m[r], l[r])
		if scale == 0 {
			clear(dst)
			continue
		}
		if c.drop.on {
			scale *= c.drop.scale
		}
		for j, x := range src {
			dst[j] = x * scale
		}
	}
}

// eachStrip calls f for the strips of query rows i0..i0+nr-1 against the nc keys from
// j0: one strip of every row and key, or, when the tile crosses the causal diagonal,
// strips of causalStrip rows from row a, each over the ncs keys its last row sees (the
// masked corner is not computed; strips that see none are skipped).
func (c *call) eachStrip(i0, nr, j0, nc int, f func(a, sr, ncs int)) {
	if !c.o.Causal || j0+nc-1 <= i0+c.off {
		f(0, nr, nc)
		return
	}
	for a := 0; a < nr; a += causalStrip {
		sr := min(causalStrip, nr-a)
		if ncs := min(nc, i0+a+sr+c.off-j0); ncs > 0 {
			f(a, sr, ncs)
		}
	}
}

// forwardWide is forwardTile's pass when every key of a row fits the worker's wide
// buffer (c.wide > 0, its stride): the scores of all visible key tiles first, then
// one max and one exp-and-sum per row over all its keys and one P·V product per
// strip, instead of an online update per tile (no rescaling, a third of the calls at
// T = 256). It leaves the unscaled output in buf.o and the row max and sum in buf.m
// and buf.l, as the tiled loop does.
func (c *call) forwardWide(bh, i0, nr, jEnd int, buf *workerBuf) {
	d, W := c.d, c.wide
	s := buf.wide
	var raw []float32 // γ qᵀk: poly and taylor only
	if c.z.kind == kPoly || c.z.kind == kTaylor {
		raw = buf.rawWide
	}
	o, m, l := buf.o[:nr*d], buf.m[:nr], buf.l[:nr]
	for j0 := 0; j0 < jEnd; j0 += c.tk {
		c.eachStrip(i0, nr, j0, min(c.tk, jEnd-j0), func(a, sr, ncs int) {
			var rw []float32
			if raw != nil {
				rw = raw[a*W+j0:]
			}
			c.scores(bh, i0+a, sr, j0, ncs, s[a*W+j0:], rw, W)
		})
	}
	v, ldv := c.v.rows(bh, 0), c.v.s.Row
	var key uint64
	if c.drop.on {
		key = c.drop.head(bh)
	}
	for a := 0; a < nr; {
		// rows a..a+sr-1 were computed over keys 0..e-1 (the strips of the tiles that
		// cross the diagonal end where their last row's keys end)
		sr, e := nr-a, jEnd
		if c.o.Causal {
			sr = min(causalStrip, nr-a)
			e = max(0, min(jEnd, i0+a+sr+c.off))
		}
		for r := a; r < a+sr; r++ {
			row := s[r*W : r*W+e]
			if !c.exp {
				l[r] = simd.Sum(row)
			} else {
				m[r], l[r] = rowSoftmax(row)
			}
			if c.drop.on {
				// l keeps every visible key; only the P·V product loses the dropped ones.
				c.drop.apply(row, dropState(key, i0+r, 0, c.nk), dropGamma)
			}
		}
		if e > 0 {
			simd.Sgemm(false, false, sr, d, e, 1, s[a*W:], W, v, ldv, 0, o[a*d:], d)
		}
		a += sr
	}
}

// rowSoftmax overwrites a row of exp-family logits with exp(row − max) and returns
// the max and the sum of the exps (−Inf and 0 for a row with nothing visible), as
// onlineUpdate does for a row's first block.
func rowSoftmax(row []float32) (m, l float32) {
	m = float32(math.Inf(-1))
	if len(row) > 0 {
		onlineUpdate(row, &m, &l, nil)
	}
	return m, l
}

// forwardBlock folds the scores of query rows i0..i0+nr-1 against keys j0..j0+nc-1 of
// head bh into the rows' running max m, sum l and output accumulator o (nr×D); s and
// raw are the rows' score tiles (stride tileK) and v the values from key j0 on (stride
// ldv).
func (c *call) forwardBlock(bh, i0, nr, j0, nc int, s, raw, m, l, o, v []float32, ldv int) {
	d, ld := c.d, c.tk
	c.scores(bh, i0, nr, j0, nc, s, raw, ld)
	for r := 0; r < nr; r++ {
		row := s[r*ld : r*ld+nc]
		if !c.exp {
			l[r] += simd.Sum(row)
			continue
		}
		onlineUpdate(row, &m[r], &l[r], o[r*d:r*d+d])
	}
	if c.drop.on {
		// l keeps every visible key; only the P·V product loses the dropped ones.
		key := c.drop.head(bh)
		for r := 0; r < nr; r++ {
			c.drop.apply(s[r*ld:r*ld+nc], dropState(key, i0+r, j0, c.nk), dropGamma)
		}
	}
	simd.Sgemm(false, false, nr, d, nc, 1, s, ld, v, ldv, 1, o, d)
}

// onlineUpdate folds one block of exp-family logits into a row's running max *m, sum
// *l and output accumulator o (rescaled when the max grows); row is overwritten by
// exp(row − max), the weights of the block's values.
func onlineUpdate(row []float32, m, l *float32, o []float32) {
	mnew := max(*m, simd.Max(row))
	if math.IsInf(float64(mnew), -1) {
		clear(row) // nothing visible yet in this row
		return
	}
	if mnew != mnew { // NaN logits: let them through to the output
		mnew = 0
	}
	alpha := float32(1)
	if mnew != *m {
		alpha = float32(math.Exp(float64(*m - mnew)))
	}
	sum := simd.ExpSub(row, row, mnew)
	*l = *l*alpha + sum
	if alpha != 1 {
		simd.Scale(alpha, o)
	}
	*m = mnew
}

// rowScale finishes a row from its running max m (exp-family) and sum l: the row
// statistic (log-sum-exp, −Inf for an empty row; or the kernel sum) and the factor
// that turns the accumulator into the output (0: write zeros).
func rowScale(exp, unnormalized bool, m, l float32) (stat, scale float32) {
	scale = outScale(exp, unnormalized, m, l)
	switch {
	case !exp:
		return l, scale
	case l == 0:
		return float32(math.Inf(-1)), scale
	}
	return m + float32(math.Log(float64(l))), scale
}

// outScale is rowScale's factor alone, for callers that return no row statistic
// (Decode): it takes no logarithm.
func outScale(exp, unnormalized bool, m, l float32) float32 {
	switch {
	case exp && l == 0:
		return 0
	case exp && unnormalized:
		return float32(math.Exp(float64(m)))
	case unnormalized:
		return 1
	case exp || math.Abs(float64(l)) > guardEps:
		return 1 / l
	}
	return 0
}

// backwardTask runs the backward pass over key tiles. Normally task t is one whole head.
// In split mode (fewer heads than workers) task t is accumulator a = t mod nw of head
// t / nw: key tiles a, a+nw, a+2·nw, … in order, their query-side gradients summed
// into accumulator a (0: dq itself, a > 0: private buffer a), which phReduce adds up in
// a fixed order. Tiles are tied to accumulators, not to whichever worker picks the
// task, so the result does not depend on scheduling.
func (c *call) backwardTask(w, t int) {
	tile := c.backwardKeyTile
	if c.fastBackward() {
		tile = c.backwardKeyTileT
	}
	if c.split {
		a, bh := t%c.nw, t/c.nw
		c.clearTargets(a, bh, a*c.tk, c.nw*c.tk)
		for j0 := a * c.tk; j0 < c.nk; j0 += c.nw * c.tk {
			tile(w, a, bh, j0)
		}
		return
	}
	c.clearTargets(0, t, 0, c.tk)
	for j0 := 0; j0 < c.nk; j0 += c.tk {
		tile(w, 0, t, j0)
	}
}

// clearTargets zeroes what the backward task of accumulator a of head bh accumulates
// into and no other task touches: its query-side accumulator (dQᵀ blocks, dq or dfq, or
// its private buffer), the dk, dv (and dfk) rows of its key tiles j0, j0+step, …, and
// for feature kernels (accumulator 0) the head's dq, which chainHead adds to. (The fast
// path's dq is written by transposeDQ, not accumulated.)
func (c *call) clearTargets(a, bh, j0, step int) {
	d := c.d
	switch {
	case c.fastBackward():
		clear(c.dqTargetT(a, bh))
	case c.f > 0 || (c.split && a > 0): // dfq or a private buffer: [B, H, Nq, width]
		dqt, _ := c.dqTarget(a, bh)
		clear(dqt)
	default:
		c.dq.clearRows(bh, 0, c.nq, d)
	}
	if c.f > 0 && a == 0 {
		c.dq.clearRows(bh, 0, c.nq, d) // chainHead adds the feature chain rule
	}
	for ; j0 < c.nk; j0 += step {
		j1 := min(c.nk, j0+c.tk)
		if !c.dkvOverwritten(j0) {
			c.dk.clearRows(bh, j0, j1, d)
			c.dv.clearRows(bh, j0, j1, d)
		}
		if c.f > 0 {
			clear(c.dfk[(bh*c.nk+j0)*c.f : (bh*c.nk+j1)*c.f])
		}
	}
}

// dqTarget returns accumulator a of the query-side gradients of head bh (dq, or dfq
// for feature kernels; private buffer a in split mode when a > 0, laid out like a
// dense dq or dfq) from its first row on, and its row stride.
func (c *call) dqTarget(a, bh int) ([]float32, int) {
	width := c.d
	if c.f > 0 {
		width = c.f
	}
	switch {
	case c.split && a > 0:
		base := c.priv[(a-1)*c.privLen:]
		return base[bh*c.nq*width : (bh+1)*c.nq*width], width
	case c.f > 0:
		return c.dfq[bh*c.nq*width : (bh+1)*c.nq*width], width
	}
	return c.dq.rows(bh, 0), c.dq.s.Row
}

// backwardKeyTile accumulates the gradients of key tile j0 of head bh, with worker w's
// scratch: dk, dv rows of the tile, and its contribution to dq of every query that
// sees it (into accumulator acc, see backwardTask).
func (c *call) backwardKeyTile(w, acc, bh, j0 int) {
	d, ld := c.d, c.tk
	nc := min(c.tk, c.nk-j0)
	buf := &c.ws.workers[w]
	s, dp := buf.s, buf.dp
	q, k, v, dout := c.q.rows(bh, 0), c.k.rows(bh, j0), c.v.rows(bh, j0), c.dout.rows(bh, 0)
	dk, dv := c.dk.rows(bh, j0), c.dv.rows(bh, j0)
	ldo, ldv := c.dout.s.Row, c.dv.s.Row
	stats := c.stats[bh*c.nq:]
	drow := c.drow[bh*c.nq:]
	dqt, ldt := c.dqTarget(acc, bh)
	// dP = dO Vᵀ takes Vᵀ, transposed once per key tile here: a transposed operand
	// would make simd's small GEMM take a scratch from its shared free list, which
	// a reserved workspace must not touch.
	vT := buf.vt
	simd.Transpose(nc, d, v, c.v.s.Row, vT, ld)
	iStart := 0
	if c.o.Causal {
		iStart = max(0, j0-c.off)
	}
	b := bh / c.h
	negInf := float32(math.Inf(-1))
	for i0 := iStart; i0 < c.nq; i0 += c.tq {
		nr := min(c.tq, c.nq-i0)
		c.scores(bh, i0, nr, j0, nc, s, buf.r, ld)
		// P: normalized probabilities (or unnormalized kernel values).
		for r := 0; r < nr; r++ {
			row := s[r*ld : r*ld+nc]
			switch {
			case c.exp && c.o.Unnormalized:
				simd.ExpSub(row, row, 0)
			case c.exp:
				if stats[i0+r] == negInf {
					clear(row)
				} else {
					simd.ExpSub(row, row, stats[i0+r])
				}
			case !c.o.Unnormalized:
				z := stats[i0+r]
				if math.Abs(float64(z)) > guardEps {
					simd.Scale(1/z, row)
				} else {
					clear(row)
				}
			}
		}
		// dV += Pᵀ dO; dP = dO Vᵀ. With dropout dV needs the dropped P, which is formed
		// after W (W needs P itself), so its GEMM runs last.
		if !c.drop.on {
			simd.Sgemm(true, false, nc, d, nr, 1, s, ld, dout[i0*ldo:], ldo, 1, dv, ldv)
		}
		simd.Sgemm(false, false, nr, nc, d, 1, dout[i0*ldo:], ldo, vT, ld, 0, dp, ld)
		// W = ∂L/∂logit = P∘(dP − D_i) for exp-family kernels, ∂L/∂κ = (dP − D_i)/Z_i
		// otherwise; masked entries get 0. With dropout dP is the gradient at the
		// dropped weights, (M/(1−p))∘(dO Vᵀ), and D_i = dO_i·O_i is still Σ_j P_ij dP_ij.
		masked := c.tileMasked(b, i0, j0, nc)
		var key uint64
		if c.drop.on {
			key = c.drop.head(bh)
		}
		for r := 0; r < nr; r++ {
			wr := dp[r*ld : r*ld+nc]
			pr := s[r*ld : r*ld+nc]
			var mr []float32
			if c.drop.on {
				mr = buf.mrow[:nc]
				c.drop.mask(mr, dropState(key, i0+r, j0, c.nk), dropGamma)
				simd.Mul(wr, wr, mr)
			}
			c.wRow(b, i0+r, j0, wr, pr, drow[i0+r], stats[i0+r], masked)
			if mr != nil {
				simd.Mul(pr, pr, mr) // the dropped weights, for dV
			}
		}
		if c.drop.on {
			simd.Sgemm(true, false, nc, d, nr, 1, s, ld, dout[i0*ldo:], ldo, 1, dv, ldv)
		}
		c.chainTile(bh, i0, nr, j0, nc, dp, buf.r, q, k, dqt, ldt, dk)
	}
}

// wRow turns the dP row wr of query i over keys j0..j0+len(wr)-1 into W, given the
// row pr of P, D_i = di and the row statistic z: P∘(dP − D_i) for exp-family kernels,
// (dP − D_i)/Z_i otherwise ((dP − D_i) unnormalized, 0 for a guarded row); masked
// keys get 0 (tileMasked says whether the tile has any).
func (c *call) wRow(b, i, j0 int, wr, pr []float32, di, z float32, tileMasked bool) {
	if c.exp {
		for j := range wr {
			if pr[j] == 0 {
				wr[j] = 0
			} else {
				wr[j] = pr[j] * (wr[j] - di)
			}
		}
		return
	}
	inv := float32(1)
	if !c.o.Unnormalized {
		inv = 0
		if math.Abs(float64(z)) > guardEps {
			inv = 1 / z
		}
	}
	for j := range wr {
		wr[j] = (wr[j] - di) * inv
	}
	if tileMasked {
		for j := range wr {
			if c.masked(b, i, j0+j) {
				wr[j] = 0
			}
		}
	}
}

// chainTile adds the contribution of W = ∂L/∂s (tile, stride tileK) to the
// query-side target dqt (dq, or dfq for feature kernels, row stride ldt) and to dk
// (or dfk) of the key tile. q (from query 0) and k, dk (from key j0) have the
// strides of the call's q and k.
func (c *call) chainTile(bh, i0, nr, j0, nc int, wt, raw, q, k, dqt []float32, ldt int, dk []float32) {
	d, ld, g := c.d, c.tk, c.gamma
	ldq, ldk := c.q.s.Row, c.k.s.Row
	switch c.z.kind {
	case kPoly, kTaylor:
		for r := 0; r < nr; r++ {
			wr := wt[r*ld : r*ld+nc]
			rr := raw[r*ld : r*ld+nc]
			for j := range wr {
				wr[j] *= c.z.dotDeriv(rr[j])
			}
		}
		fallthrough
	case kEDP, kRBF:
		simd.Sgemm(false, false, nr, d, nc, g, wt, ld, k, ldk, 1, dqt[i0*ldt:], ldt)
		simd.Sgemm(true, false, nc, d, nr, g, wt, ld, q[i0*ldq:], ldq, 1, dk, ldk)
		if c.z.kind == kRBF {
			// ∂s/∂q_i = γ(k_j − q_i), ∂s/∂k_j = γ(q_i − k_j): the GEMMs added the
			// cross terms; subtract γ·rowsum·q_i and γ·colsum·k_j.
			for r := 0; r < nr; r++ {
				rs := simd.Sum(wt[r*ld : r*ld+nc])
				if rs != 0 {
					simd.Axpy(-g*rs, q[(i0+r)*ldq:(i0+r)*ldq+d], dqt[(i0+r)*ldt:(i0+r)*ldt+d])
				}
			}
			for j := 0; j < nc; j++ {
				var cs float32
				for r := 0; r < nr; r++ {
					cs += wt[r*ld+j]
				}
				if cs != 0 {
					simd.Axpy(-g*cs, k[j*ldk:j*ldk+d], dk[j*ldk:j*ldk+d])
				}
			}
		}
	case kLinear, kFavor:
		f := c.f
		fq := c.fq[bh*c.nq*f:]
		fk := c.fk[(bh*c.nk+j0)*f:]
		dfk := c.dfk[(bh*c.nk+j0)*f:]
		simd.Sgemm(false, false, nr, f, nc, 1, wt, ld, fk, f, 1, dqt[i0*ldt:], ldt)
		simd.Sgemm(true, false, nc, f, nr, 1, wt, ld, fq[i0*f:], f, 1, dfk, f)
	case kLaplace, kExpInt, kIntersection:
		for r := 0; r < nr; r++ {
			qr := q[(i0+r)*ldq : (i0+r)*ldq+d]
			dqr := dqt[(i0+r)*ldt : (i0+r)*ldt+d]
			wr := wt[r*ld : r*ld+nc]
			for j, a := range wr {
				if a == 0 {
					continue
				}
				kr := k[j*ldk : j*ldk+d]
				dkr := dk[j*ldk : j*ldk+d]
				switch c.z.kind {
				case kLaplace:
					a *= g
					for l, x := range qr {
						switch y := kr[l]; {
						case x > y:
							dqr[l] -= a
							dkr[l] += a
						case x < y:
							dqr[l] += a
							dkr[l] -= a
						}
					}
				case kExpInt:
					a *= g
					for l, x := range qr {
						addMinGrad(&dqr[l], &dkr[l], x, kr[l], a)
					}
				default:
					for l, x := range qr {
						if y := kr[l]; min(x, y) > 0 {
							addMinGrad(&dqr[l], &dkr[l], x, y, a)
						}
					}
				}
			}
		}
	}
}

// addMinGrad adds the gradient a of min(x, y) to dx where x < y, to dy where x > y,
// and half to each at a tie (the symmetric subgradient).
func addMinGrad(dx, dy *float32, x, y, a float32) {
	switch {
	case x < y:
		*dx += a
	case x > y:
		*dy += a
	default:
		*dx += a / 2
		*dy += a / 2
	}
}

// reduceChunk is the number of floats one reduce task adds.
const reduceChunk = 1 << 14

// reduceRows adds the private query-side accumulators 1..nw-1, in order, into their
// target (dq, dfq or dQᵀ, all laid out like the private buffers), chunk t.
func (c *call) reduceRows(t int) {
	r0 := t * reduceChunk
	r1 := min(c.privLen, r0+reduceChunk)
	var base []float32
	switch {
	case c.dqT != nil:
		base = c.dqT
	case c.f > 0:
		base = c.dfq
	case c.dq.dense(c.nq, c.d):
		base = c.dq.x
	default:
		// dq has gaps: add row piece by row piece (element e of the private buffers is
		// element e%d of dense row e/d)
		d := c.d
		for e := r0; e < r1; {
			row, col := e/d, e%d
			n := min(d-col, r1-e)
			dst := c.dq.rows(row/c.nq, row%c.nq)[col : col+n]
			for w := 1; w < c.nw; w++ {
				simd.Add(dst, dst, c.priv[(w-1)*c.privLen+e:][:n])
			}
			e += n
		}
		return
	}
	dst := base[r0:r1]
	for w := 1; w < c.nw; w++ {
		simd.Add(dst, dst, c.priv[(w-1)*c.privLen+r0:(w-1)*c.privLen+r1])
	}
}

// chainHead turns the feature gradients of head bh into dq and dk.
func (c *call) chainHead(bh int) {
	d := c.d
	if c.z.kind == kFavor {
		c.favorChain(c.q, c.nq, bh, c.fq, c.dfq, c.dq)
		c.favorChain(c.k, c.nk, bh, c.fk, c.dfk, c.dk)
		return
	}
	for i := 0; i < c.nq; i++ {
		r := bh*c.nq + i
		c.featureBackward(c.q.row(bh, i, d), c.fq[r*c.f:(r+1)*c.f], c.dfq[r*c.f:(r+1)*c.f], c.dq.row(bh, i, d))
	}
	for j := 0; j < c.nk; j++ {
		r := bh*c.nk + j
		c.featureBackward(c.k.row(bh, j, d), c.fk[r*c.f:(r+1)*c.f], c.dfk[r*c.f:(r+1)*c.f], c.dk.row(bh, j, d))
	}
}

// favorChain adds J_φ(x_i)ᵀ dφ_i to dx_i for the n rows of head bh of x, where
// φ_r(x) = exp(√γ w_rᵀx − γ‖x‖²/2)/√D, so ∂φ_r/∂x = φ_r √γ (w_r − √γ x): with
// A = dφ ∘ φ (written over dphi, which is not read again), dX += √γ·AW − γ·rowsum(A)∘X,
// one product per head instead of D short axpys per row. phi and dphi hold all heads
// ([B·H, n, D]).
func (c *call) favorChain(x view, n, bh int, phi, dphi []float32, dx view) {
	if n == 0 {
		return
	}
	d, f := c.d, c.f
	a := dphi[bh*n*f : (bh+1)*n*f]
	simd.Mul(a, a, phi[bh*n*f:(bh+1)*n*f])
	simd.SgemmThreads(1, false, false, n, d, f, float32(math.Sqrt(float64(c.gamma))), a, f, c.z.w, d, 1, dx.rows(bh, 0), dx.s.Row)
	for i := 0; i < n; i++ {
		simd.Axpy(-c.gamma*simd.Sum(a[i*f:(i+1)*f]), x.row(bh, i, d), dx.row(bh, i, d))
	}
}

// featureBackward adds J_φ(x)ᵀ dphi to dx, where phi = φ(x), for linear's
// φ(x) = elu(x) + 1 (favor's chain rule is favorChain, one product per head).
func (c *call) featureBackward(x, phi, dphi, dx []float32) {
	for l, v := range x {
		if v > 0 {
			dx[l] += dphi[l]
		} else {
			dx[l] += dphi[l] * phi[l]
		}
	}
}
