package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/bkm"
	"github.com/kernelmachines/bkm/internal/par"
)

// The approximation curve on real layers (issue 18, docs/representer.md): a trained
// model's attention layers are run on held-out sentences, each head's queries, keys
// and values are captured, and the layer's kernel is replaced by finite kernels of
// growing feature dimension — the Taylor truncations taylor-N, FAVOR+ random features
// favor-D, and kernels learned by bkm.Distill — to measure how fast the attention
// output approaches the exact one.

// AttentionCapture is one attention layer's per-head inputs and output on one batch,
// copied out of the model's activations after an evaluation-mode Forward.
type AttentionCapture struct {
	Layer           string // "enc0.self", "dec1.self", "dec1.cross": stack, layer, kind
	Kernel          attention.Kernel
	Gamma           float32 // the kernel's scale γ in this layer
	B, H, Nq, Nk, D int
	Q, O            []float32 // [B, H, Nq, D]: queries, and the attention output before the heads merge
	K, V            []float32 // [B, H, Nk, D]
	Causal          bool
	KeyMask         []bool // [B, Nk]: the key mask the layer used (nil: none)
	QueryTokens     []bool // [B, Nq]: true for real (not padding) query positions
	KeyTokens       []bool // [B, Nk]: true for real key positions
}

// visible reports whether query i of sentence b attends to key j, as the layer did.
func (c *AttentionCapture) visible(b, i, j int) bool {
	return !(c.Causal && j > i+c.Nk-c.Nq) && (c.KeyMask == nil || c.KeyMask[b*c.Nk+j])
}

// CaptureAttention runs the model in evaluation mode (no dropout) on bt and returns
// every attention layer's queries, keys, values and output, encoder layers first,
// then each decoder layer's self- and cross-attention.
func (m *Model) CaptureAttention(bt *Batch) []AttentionCapture {
	training := m.Training
	m.Training = false
	defer func() { m.Training = training }()
	m.Forward(bt)
	B, S, T := bt.B, m.nS, bt.T
	tokens := func(ids []int32) []bool {
		ok := make([]bool, len(ids))
		for i, id := range ids {
			ok[i] = id != m.Cfg.Pad
		}
		return ok
	}
	srcTok, tgtTok := tokens(bt.Src), tokens(bt.In)
	var caps []AttentionCapture
	stack := func(name string, blocks []*block, N int, tok []bool) {
		layer := -1
		for _, bl := range blocks {
			if bl.kind == ffnBlock {
				continue
			}
			c := AttentionCapture{Kernel: bl.core.opt.Kernel, Gamma: bl.core.opt.Gamma(m.D), B: B, H: m.H, Nq: N, D: m.D,
				Causal: bl.causal, QueryTokens: tok}
			if bl.kind == selfAttnBlock {
				layer++
				c.Layer, c.Nk, c.KeyTokens = fmt.Sprintf("%s%d.self", name, layer), N, tok
				if m.Cfg.Arch == "encdec" && !bl.causal {
					c.KeyMask = tok
				}
			} else {
				c.Layer, c.Nk, c.KeyTokens, c.KeyMask = fmt.Sprintf("%s%d.cross", name, layer), S, srcTok, srcTok
			}
			a := &bl.a
			l, q, k, v := m.attnOperands(bl, a.qkv, a.kvMem, c.Nq, c.Nk)
			heads := func(x []float32, s attention.Strides, n int) []float32 {
				dst := make([]float32, B*c.H*n*c.D)
				splitHeads(dst, x, B, n, c.H, c.D, s.Row, 0)
				return dst
			}
			c.Q, c.O = heads(q, l.Q, c.Nq), heads(a.merged, l.Out, c.Nq)
			c.K, c.V = heads(k, l.K, c.Nk), heads(v, l.V, c.Nk)
			caps = append(caps, c)
		}
	}
	if m.Cfg.Arch == "encdec" {
		stack("enc", m.enc, S, srcTok)
	}
	stack("dec", m.dec, T, tgtTok)
	return caps
}

// HeldOutBatches tokenizes translation pairs as the model's training did (source EOS,
// decoder input BOS y, targets y EOS, truncation at model.max_len) and cuts them into
// length-bucketed batches of at most maxTokens padded tokens, in a fixed order.
func HeldOutBatches(m *Model, tok Tokenizer, pairs []TextPair, maxTokens int) ([]*Batch, error) {
	if m.Cfg.Arch != "encdec" {
		return nil, fmt.Errorf("held-out batches: the model is %q; sentence pairs need an encoder–decoder", m.Cfg.Arch)
	}
	c := m.Cfg
	l, err := NewPairLoader(EncodePairs(pairs, tok), max(maxTokens, c.MaxLen), c.MaxLen, c.Pad, c.BOS, c.EOS, 0)
	if err != nil {
		return nil, fmt.Errorf("held-out data: %w", err)
	}
	return l.batches, nil
}

// RepresenterOptions choose the finite kernels RepresenterCurves compares with each
// layer's own kernel.
type RepresenterOptions struct {
	TaylorOrders []int    // taylor-N: Σ_{n≤N} (γ qᵀk)ⁿ/n!, feature dimension C(d+N, N)
	FavorDims    []int    // favor-D: FAVOR+ positive random features of edp, dimension D
	FavorSeeds   []uint64 // one draw of the random features per seed (mean ± std over them)

	// DistillWidths are the widths w of the kernels learned by bkm.Distill: maps
	// f_Q, f_K (d → w, linear or with DistillHidden hidden units) fitted so that
	// log ⟨elu(f_Q(q))+1, elu(f_K(k))+1⟩ matches the layer's logits on DistillPoints
	// queries and DistillPoints keys drawn from the captures (feature dimension w).
	DistillWidths []int
	DistillPoints int     // default 64
	DistillSteps  int     // Adam steps; default 300
	DistillHidden int     // 0: linear maps
	DistillLR     float64 // default bkm's (0.02)
	Seed          uint64  // the distillation samples and initializations
}

// Approximation methods of an ApproxPoint.
const (
	ApproxExact   = "exact" // the layer's own kernel recomputed in float64 (checks the capture)
	ApproxTaylor  = "taylor"
	ApproxFavor   = "favor"
	ApproxDistill = "distill"
)

// ApproxPoint is one point of an approximation curve: a layer (Head −1: all its heads
// together) and a finite kernel. The errors are relative Frobenius norms over the real
// query tokens of every captured sentence: OutErr = ‖Ô − O‖/‖O‖ of the attention
// output before the heads merge, WeightErr = ‖P̂ − P‖/‖P‖ of the normalized attention
// weights, both with O and P from the layer's kernel in float64. For ApproxExact, OutErr
// compares that float64 O with the output the model itself computed (float32).
type ApproxPoint struct {
	Layer     string  `json:"layer"`
	Head      int     `json:"head"`
	Method    string  `json:"method"`
	Param     int     `json:"param"` // taylor's N, favor's D, distill's width (0 for exact)
	Dim       int     `json:"dim"`   // feature dimension (−1: infinite)
	OutErr    float64 `json:"out_err"`
	OutStd    float64 `json:"out_std"` // sample std over FavorSeeds (0 otherwise)
	WeightErr float64 `json:"weight_err"`
	WeightStd float64 `json:"weight_std"`
	Runs      int     `json:"runs"`              // seeds averaged
	FitErr    float64 `json:"fit_err,omitempty"` // distill: relative error of the logit fit on its sample (mean over heads)
	// exact, exp-family kernels: the root mean square and the largest magnitude of the
	// logits γ qᵀk over the visible pairs (what the truncations and random features face)
	LogitRMS float64 `json:"logit_rms,omitempty"`
	LogitMax float64 `json:"logit_max,omitempty"`
}

// approxKernel evaluates a finite kernel between the rows of one head of one sentence.
type approxKernel interface {
	// values writes κ̂(q_i, k_j) into out (nq×nk) for q (nq×d) and k (nk×d).
	values(gamma float32, q []float32, nq int, k []float32, nk, d int, out []float64)
}

// scalarApprox evaluates a kernel pair by pair from its float64 definition (taylor,
// whose value needs only qᵀk).
type scalarApprox struct{ k attention.ScalarKernel }

func (s scalarApprox) values(gamma float32, q []float32, nq int, k []float32, nk, d int, out []float64) {
	q64, k64 := toF64(q[:nq*d]), toF64(k[:nk*d])
	for i := range nq {
		for j := range nk {
			out[i*nk+j] = s.k.Value(float64(gamma), q64[i*d:(i+1)*d], k64[j*d:(j+1)*d])
		}
	}
}

// featureApprox evaluates a kernel through its explicit feature map (favor): the rows'
// features once, then their inner products in float64.
type featureApprox struct{ k attention.Kernel }

func (f featureApprox) values(gamma float32, q []float32, nq int, k []float32, nk, d int, out []float64) {
	F := f.k.FeatureDim(d)
	pq, pk := make([]float32, nq*F), make([]float32, nk*F)
	f.k.FeatureMap(gamma, nq, d, q, d, pq, F)
	f.k.FeatureMap(gamma, nk, d, k, d, pk, F)
	dots(pq, nq, pk, nk, F, out)
}

// distilledApprox is a kernel learned by bkm.Distill: its base kernel on the learned
// maps of the rows.
type distilledApprox struct{ d *bkm.Distilled }

func (a distilledApprox) values(_ float32, q []float32, nq int, k []float32, nk, _ int, out []float64) {
	w := a.d.D
	fq, fk := toF64(a.d.Q.Apply(q[:nq*a.d.Q.In], nq)), toF64(a.d.K.Apply(k[:nk*a.d.K.In], nk))
	for i := range nq {
		for j := range nk {
			out[i*nk+j] = a.d.Kernel.Value(float64(a.d.Gamma), fq[i*w:(i+1)*w], fk[j*w:(j+1)*w])
		}
	}
}

func dots(a []float32, na int, b []float32, nb, F int, out []float64) {
	for i := range na {
		ai := a[i*F : (i+1)*F]
		for j := range nb {
			bj := b[j*F : (j+1)*F]
			var s float64
			for l, v := range ai {
				s += float64(v) * float64(bj[l])
			}
			out[i*nb+j] = s
		}
	}
}

func toF64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// approxGuard is package attention's guard on a row sum (flash.go's guardEps): a row
// of a finite kernel whose sum is smaller in magnitude gives zeros.
const approxGuard = 1e-30

// headRef is the float64 reference of one head of one sentence: the exact normalized
// weights P (nq×nk, zero where not visible) and output O (nq×d) of the real queries.
type headRef struct {
	c       *AttentionCapture
	logits  logitStats
	b, h    int
	rows    []int // real query positions
	P, O    []float64
	q, k, v []float32 // the head's rows: [Nq, D], [Nk, D], [Nk, D]
}

// newHeadRef computes the layer's own attention for one head of one sentence.
func newHeadRef(c *AttentionCapture, b, h int) *headRef {
	bh, D := b*c.H+h, c.D
	r := &headRef{c: c, b: b, h: h,
		q: c.Q[bh*c.Nq*D : (bh+1)*c.Nq*D], k: c.K[bh*c.Nk*D : (bh+1)*c.Nk*D], v: c.V[bh*c.Nk*D : (bh+1)*c.Nk*D]}
	for i := range c.Nq {
		if c.QueryTokens[b*c.Nq+i] {
			r.rows = append(r.rows, i)
		}
	}
	q64, k64 := toF64(r.q), toF64(r.k)
	g := float64(c.Gamma)
	r.P = make([]float64, len(r.rows)*c.Nk)
	for ri, i := range r.rows {
		row := r.P[ri*c.Nk : (ri+1)*c.Nk]
		qi := q64[i*D : (i+1)*D]
		if c.Kernel.ExpFamily() {
			mx := math.Inf(-1)
			for j := range c.Nk {
				if c.visible(b, i, j) {
					row[j] = c.Kernel.Logit(g, qi, k64[j*D:(j+1)*D])
					mx = math.Max(mx, row[j])
					r.logits.add(row[j])
				}
			}
			for j := range c.Nk {
				if c.visible(b, i, j) {
					row[j] = math.Exp(row[j] - mx)
				}
			}
		} else {
			for j := range c.Nk {
				if c.visible(b, i, j) {
					row[j] = c.Kernel.Value(g, qi, k64[j*D:(j+1)*D])
				}
			}
		}
		normalize(row)
	}
	r.O = r.apply(r.P)
	return r
}

// normalize divides a row of kernel values by its sum (zeros when the sum is below
// the guard, as package attention does).
func normalize(row []float64) {
	var z float64
	for _, v := range row {
		z += v
	}
	inv := 0.0
	if math.Abs(z) > approxGuard {
		inv = 1 / z
	}
	for j := range row {
		row[j] *= inv
	}
}

// apply returns P·V for the real query rows.
func (r *headRef) apply(P []float64) []float64 {
	c, D := r.c, r.c.D
	O := make([]float64, len(r.rows)*D)
	for ri := range r.rows {
		o := O[ri*D : (ri+1)*D]
		for j, p := range P[ri*c.Nk : (ri+1)*c.Nk] {
			if p == 0 {
				continue
			}
			for l, v := range r.v[j*D : (j+1)*D] {
				o[l] += p * float64(v)
			}
		}
	}
	return O
}

// logitStats accumulate the magnitude of logits.
type logitStats struct{ sq, n, max float64 }

func (l *logitStats) add(x float64) { l.sq += x * x; l.n++; l.max = math.Max(l.max, math.Abs(x)) }
func (l *logitStats) merge(o logitStats) {
	l.sq += o.sq
	l.n += o.n
	l.max = math.Max(l.max, o.max)
}

// errSums are the squared norms of the relative errors, summed over heads and sentences.
type errSums struct{ dO, O, dP, P float64 }

func (e *errSums) add(o errSums) { e.dO += o.dO; e.O += o.O; e.dP += o.dP; e.P += o.P }
func (e errSums) out() float64   { return math.Sqrt(e.dO / e.O) }
func (e errSums) weights() float64 {
	return math.Sqrt(e.dP / e.P)
}

// against measures a finite kernel on this head against the reference.
func (r *headRef) against(a approxKernel) errSums {
	c, D := r.c, r.c.D
	nq := len(r.rows)
	qs := make([]float32, nq*D)
	for ri, i := range r.rows {
		copy(qs[ri*D:(ri+1)*D], r.q[i*D:(i+1)*D])
	}
	P := make([]float64, nq*c.Nk)
	a.values(c.Gamma, qs, nq, r.k, c.Nk, D, P)
	for ri, i := range r.rows {
		row := P[ri*c.Nk : (ri+1)*c.Nk]
		for j := range row {
			if !c.visible(r.b, i, j) {
				row[j] = 0
			}
		}
		normalize(row)
	}
	var e errSums
	e.dP, e.P = sqDiff(P, r.P), sqNorm(r.P)
	e.dO, e.O = sqDiff(r.apply(P), r.O), sqNorm(r.O)
	return e
}

// againstModel compares the reference output with the model's own (the capture check).
func (r *headRef) againstModel() errSums {
	c, D := r.c, r.c.D
	bh := r.b*c.H + r.h
	var e errSums
	for ri, i := range r.rows {
		mo := c.O[(bh*c.Nq+i)*D : (bh*c.Nq+i+1)*D]
		for l, v := range mo {
			d := float64(v) - r.O[ri*D+l]
			e.dO += d * d
			e.O += r.O[ri*D+l] * r.O[ri*D+l]
		}
	}
	e.P = 1
	return e
}

func sqNorm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}

func sqDiff(x, y []float64) float64 {
	var s float64
	for i, v := range x {
		d := v - y[i]
		s += d * d
	}
	return s
}

// RepresenterCurves measures, for every layer of the captures (one entry per layer
// and batch, as CaptureAttention returns them, batches appended) and every head, how
// close attention with each finite kernel of o comes to the layer's own attention. It
// returns the points in order: per layer (in order of first appearance), the exact
// check, then taylor, favor and distill points, each with a row for the whole layer
// (Head −1) followed by one per head. progress, when not nil, is called after each
// layer and method with a short description.
func RepresenterCurves(caps []AttentionCapture, o RepresenterOptions, progress func(string)) ([]ApproxPoint, error) {
	if len(caps) == 0 {
		return nil, fmt.Errorf("representer: no captured layers")
	}
	for _, N := range o.TaylorOrders {
		if N < 1 || N > 16 {
			return nil, fmt.Errorf("representer: taylor order %d outside [1, 16]", N)
		}
	}
	for _, D := range o.FavorDims {
		if D < 1 || D > 1<<16 {
			return nil, fmt.Errorf("representer: favor dimension %d outside [1, 65536]", D)
		}
	}
	for _, w := range o.DistillWidths {
		if w < 1 || w > 4096 {
			return nil, fmt.Errorf("representer: distill width %d outside [1, 4096]", w)
		}
	}
	if len(o.FavorDims) > 0 && len(o.FavorSeeds) == 0 {
		o.FavorSeeds = []uint64{1}
	}
	var layers []string
	byLayer := map[string][]*AttentionCapture{}
	for i := range caps {
		c := &caps[i]
		if _, ok := byLayer[c.Layer]; !ok {
			layers = append(layers, c.Layer)
		}
		if f := byLayer[c.Layer]; len(f) > 0 && (f[0].H != c.H || f[0].D != c.D) {
			return nil, fmt.Errorf("representer: layer %s: captures with %d×%d and %d×%d heads", c.Layer, f[0].H, f[0].D, c.H, c.D)
		}
		byLayer[c.Layer] = append(byLayer[c.Layer], c)
	}
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	var out []ApproxPoint
	for _, name := range layers {
		lc := byLayer[name]
		H, d := lc[0].H, lc[0].D
		refs := make([][]*headRef, H) // per head, every sentence
		for _, c := range lc {
			for b := range c.B {
				for h := range H {
					refs[h] = append(refs[h], newHeadRef(c, b, h))
				}
			}
		}
		// measure runs one finite kernel per head (kernel(h) builds it) over every
		// sentence and returns the whole layer's sums and each head's.
		// The heads are independent and run in parallel on the worker pool (kernel must be safe for
		// that); the sums are added in head order, so results do not depend on timing.
		measure := func(kernel func(h int) approxKernel) (errSums, []errSums) {
			var all errSums
			heads := make([]errSums, H)
			par.Run(H, runtime.GOMAXPROCS(0), parTasks(func(h int) {
				k := kernel(h)
				for _, r := range refs[h] {
					if k == nil {
						heads[h].add(r.againstModel())
					} else {
						heads[h].add(r.against(k))
					}
				}
			}))
			for _, e := range heads {
				all.add(e)
			}
			return all, heads
		}
		// points turns the sums of each seed into the layer's and the heads' points.
		points := func(method string, param, dim int, runs [][]errSums, all []errSums, fit float64) {
			p := ApproxPoint{Layer: name, Head: -1, Method: method, Param: param, Dim: dim, Runs: len(all), FitErr: fit}
			p.OutErr, p.OutStd = meanStd(all, errSums.out)
			p.WeightErr, p.WeightStd = meanStd(all, errSums.weights)
			if method == ApproxExact {
				p.WeightErr, p.WeightStd = 0, 0
			}
			out = append(out, p)
			for h := range H {
				var hs []errSums
				for _, r := range runs {
					hs = append(hs, r[h])
				}
				q := p
				q.Head, q.FitErr = h, 0
				q.OutErr, q.OutStd = meanStd(hs, errSums.out)
				q.WeightErr, q.WeightStd = meanStd(hs, errSums.weights)
				if method == ApproxExact {
					q.WeightErr, q.WeightStd = 0, 0
				}
				out = append(out, q)
			}
		}
		all, heads := measure(func(int) approxKernel { return nil })
		points(ApproxExact, 0, lc[0].Kernel.FeatureDim(d), [][]errSums{heads}, []errSums{all}, 0)
		var ls logitStats
		for h := range H {
			for _, r := range refs[h] {
				ls.merge(r.logits)
			}
		}
		if ls.n > 0 {
			ex := &out[len(out)-H-1]
			ex.LogitRMS, ex.LogitMax = math.Sqrt(ls.sq/ls.n), ls.max
		}
		for _, N := range o.TaylorOrders {
			k := attention.Taylor(N)
			all, heads := measure(func(int) approxKernel { return scalarApprox{k} })
			points(ApproxTaylor, N, k.FeatureDim(d), [][]errSums{heads}, []errSums{all}, 0)
			say("%s taylor%d: output error %.3g", name, N, all.out())
		}
		for _, D := range o.FavorDims {
			var runs [][]errSums
			var alls []errSums
			for _, seed := range o.FavorSeeds {
				k := attention.Favor(D, d, seed)
				all, heads := measure(func(int) approxKernel { return featureApprox{k} })
				runs, alls = append(runs, heads), append(alls, all)
			}
			points(ApproxFavor, D, D, runs, alls, 0)
			m, _ := meanStd(alls, errSums.out)
			say("%s favor%d: output error %.3g", name, D, m)
		}
		if len(o.DistillWidths) > 0 {
			samples := make([]distillSample, H)
			for h := range H {
				samples[h] = newDistillSample(lc, h, o)
			}
			for _, w := range o.DistillWidths {
				fits, errs := make([]float64, H), make([]error, H)
				all, heads := measure(func(h int) approxKernel {
					dz, err := samples[h].distill(w, o)
					if err != nil {
						errs[h] = fmt.Errorf("representer: layer %s head %d width %d: %w", name, h, w, err)
						return scalarApprox{attention.Linear()} // the error is returned below
					}
					fits[h] = dz.RelErr
					return distilledApprox{dz}
				})
				if err := errors.Join(errs...); err != nil {
					return out, err
				}
				var fit float64
				for _, f := range fits {
					fit += f / float64(H)
				}
				points(ApproxDistill, w, w, [][]errSums{heads}, []errSums{all}, fit)
				say("%s distill%d: output error %.3g (logit fit %.3g)", name, w, all.out(), fit)
			}
		}
	}
	return out, nil
}

// meanStd returns the mean and sample standard deviation of f over the runs (std 0
// for one run).
func meanStd(runs []errSums, f func(errSums) float64) (float64, float64) {
	var s float64
	for _, r := range runs {
		s += f(r)
	}
	mean := s / float64(len(runs))
	if len(runs) < 2 {
		return mean, 0
	}
	var v float64
	for _, r := range runs {
		d := f(r) - mean
		v += d * d
	}
	return mean, math.Sqrt(v / float64(len(runs)-1))
}

// distillSample is what one head's kernel is distilled from: queries and keys of real
// tokens drawn from every captured sentence, and the layer's logits between them.
type distillSample struct {
	q, k   []float32
	nq, nk int
	d      int
	z      []float32
	seed   uint64
}

func newDistillSample(lc []*AttentionCapture, h int, o RepresenterOptions) distillSample {
	d := lc[0].D
	var qs, ks [][]float32
	for _, c := range lc {
		for b := range c.B {
			bh := b*c.H + h
			for i := range c.Nq {
				if c.QueryTokens[b*c.Nq+i] {
					qs = append(qs, c.Q[(bh*c.Nq+i)*d:(bh*c.Nq+i+1)*d])
				}
			}
			for j := range c.Nk {
				if c.KeyTokens[b*c.Nk+j] && (c.KeyMask == nil || c.KeyMask[b*c.Nk+j]) {
					ks = append(ks, c.K[(bh*c.Nk+j)*d:(bh*c.Nk+j+1)*d])
				}
			}
		}
	}
	n := o.DistillPoints
	if n <= 0 {
		n = 64
	}
	seed := o.Seed ^ uint64(h+1)*0x9e3779b97f4a7c15 ^ uint64(len(lc[0].Layer))
	rng := rand.New(rand.NewPCG(seed, uint64(h)))
	pick := func(rows [][]float32) ([]float32, int) {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		rows = rows[:min(n, len(rows))]
		return slices.Concat(rows...), len(rows)
	}
	s := distillSample{d: d, seed: seed}
	s.q, s.nq = pick(qs)
	s.k, s.nk = pick(ks)
	c := lc[0]
	g := float64(c.Gamma)
	q64, k64 := toF64(s.q), toF64(s.k)
	s.z = make([]float32, s.nq*s.nk)
	for i := range s.nq {
		for j := range s.nk {
			s.z[i*s.nk+j] = float32(c.Kernel.Logit(g, q64[i*d:(i+1)*d], k64[j*d:(j+1)*d]))
		}
	}
	return s
}

// distill learns a linear-kernel feature map of width w for the sample's logits.
func (s distillSample) distill(w int, o RepresenterOptions) (*bkm.Distilled, error) {
	steps := o.DistillSteps
	if steps <= 0 {
		steps = 300
	}
	return bkm.Distill(s.q, s.nq, s.d, s.k, s.nk, s.d, s.z, bkm.DistillOptions{
		Kernel: attention.Linear(), D: w, Hidden: o.DistillHidden, Target: bkm.FitLogit,
		Steps: steps, LR: o.DistillLR, Seed: s.seed + uint64(w)})
}
