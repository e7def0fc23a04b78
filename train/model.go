package train

import (
	"fmt"
	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/simd"
	"math"
	"math/rand/v2"
	"time"
)

// Tensor names one parameter tensor inside the parameter arena; its gradient sits at the
// same offset of the gradient arena (and its AdamW moments at the same offsets of theirs).
type Tensor struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"`
	Offset int    `json:"offset"`
	Size   int    `json:"size"`
	Decay  bool   `json:"decay"` // weight decay applies (matrices and embeddings)
}

type linParams struct {
	w, b, dw, db []float32 // w [out, in], b [out]
	in, out      int
	// pk, while a Decoder encodes (encodePacked), is w packed for simd.SgemmPacked:
	// the forward pass then multiplies by it (gemmSite.linear).
	pk *simd.PackedB
}

type lnParams struct{ w, b, dw, db []float32 }

// blockKind says what a residual block computes.
type blockKind int

const (
	selfAttnBlock blockKind = iota
	crossAttnBlock
	ffnBlock
)

// block is one residual sublayer, fairseq style:
//
//	post-LN: y = LN(x + dropout(f(x)))
//	pre-LN:  y = x + dropout(f(LN(x)))
//
// f is self-attention, cross-attention (keys and values from the encoder output) or the
// feed-forward network.
type block struct {
	kind   blockKind
	ln     lnParams
	qkv    linParams // self: [3C, C] fused; cross: the query projection [C, C]
	kv     linParams // cross: [2C, C] fused key/value projection of the encoder output
	proj   linParams // attention output projection [C, C]
	fc1    linParams // [F, C]
	fc2    linParams // [C, F]
	core   *attnCore
	kernel string
	causal bool
	site   int    // dropout site id (site+1 is the activation dropout)
	grads  [2]int // the block's parameters (and gradients) are [grads[0], grads[1]) of the arenas
	a      blockActs
}

// blockActs are the activations a block saves for backward, views into the activation
// arena with room for the largest batch; a batch uses the leading n = B·T rows.
type blockActs struct {
	x                 []float32 // input [n, C] (a view of the previous output, not owned)
	lnOut, mean, rstd []float32 // [n, C], [n], [n]
	fOut, mask        []float32 // f's output and its dropout mask [n, C]
	z, out            []float32 // post-LN pre-norm sum [n, C]; block output [n, C]
	qkv               []float32 // self [n, 3C]; cross: queries [n, C] (biases added)
	kvMem             []float32 // cross: [ns, 2C]
	stats             []float32 // attention row statistics [B, H, Nq]
	merged            []float32 // attention output, heads side by side [n, C]
	h, act            []float32 // FFN hidden [n, F] before/after the activation
	amask, ad         []float32 // activation dropout mask and output [n, F]
}

// Model is a Transformer with every parameter in one arena (Params), every gradient in
// another (Grads, same layout) and every activation in a third, sized once for the
// largest batch. No step allocates once the arenas fit the batch shape.
type Model struct {
	Cfg     ModelConfig
	Params  []float32
	Grads   []float32
	Tensors []Tensor

	C, H, D, F, V int
	embScale      float32

	encWte, dEncWte []float32 // [V, C] (views of the decoder's table when shared)
	decWte, dDecWte []float32 // [V, C]
	decTable        [2]int    // decWte's range of the arenas (ReadyOrder)
	encPos, dEncPos []float32 // learned [MaxLen, C]; or the sinusoid table (dEncPos nil)
	decPos, dDecPos []float32
	outW, dOutW     []float32 // [V, C] output projection (the decoder table when tied)
	enc, dec        []*block
	encNorm         lnParams // pre-LN final norms
	decNorm         lnParams

	// Training switches dropout on. DropoutSeed and DropoutStep pick the masks.
	Training    bool
	DropoutSeed uint64
	DropoutStep uint64

	// GradsDone, when set, is called during Backward each time a residual block's
	// gradients (or the decoder's token table's) are complete, with their range [lo, hi) of Grads, in the same order in
	// every Backward (ReadyOrder): data-parallel training starts summing them across
	// ranks while the rest of the backward runs. Backward no longer writes that range.
	GradsDone func(lo, hi int)

	// Profile, when true, accumulates wall time per section into Prof and per GEMM
	// shape into Gemms (profile.go).
	Profile bool
	Prof    [profSections]time.Duration
	Gemms   []GemmProfile
	// ProfClock, when set, is the profile's clock (nil: wall time).
	ProfClock func() time.Duration
	// ProfSection, when set, is called at the end of each profiled section with its
	// index (ProfNames): a profiler reads its own clocks or counters there and charges
	// what changed since the previous call to that section.
	ProfSection func(sec int)

	acts      []float32
	inference bool   // a replica: its arena holds the encoder's forward pass only (Reserve)
	capS      int    // source tokens the activation arena holds
	capT      int    // target tokens
	keyMask   []bool // [B, S]: true for real source tokens
	ws        *attention.Workspace
	par       rowPar
	outNorm   outputNormJob
	embEnc    []float32 // [ns, C]
	maskEnc   []float32
	embDec    []float32 // [n, C]
	maskDec   []float32
	encFin    lnActs
	decFin    lnActs
	logits    []float32 // [n, V]: logits, then log-probabilities, then their gradient
	sc        scratch

	// the batch of the last Forward
	batch        *Batch
	nB, nS, nT   int
	lossCount    int
	encOut, decY []float32
	encLNIn      []float32 // pre-LN: inputs of the final norms
	decLNIn      []float32
}

type lnActs struct{ out, mean, rstd []float32 }

// scratch holds gradient buffers reused layer after layer during backward.
type scratch struct {
	dA, dB, dEnc, dz, dF, dln []float32 // [cap, C]
	dqkv                      []float32 // [cap, 3C]
	dkv                       []float32 // [capS, 2C]
	dmerge                    []float32 // [cap, C]
	dh, dact                  []float32 // [cap, F]
}

type initKind int

const (
	initZero initKind = iota
	initOne
	initNormal
)

type tensorInit struct {
	kind initKind
	std  float32
}

type builder struct {
	m     *Model
	p, g  arenaPlan
	inits []tensorInit
}

func (b *builder) tensor(name string, shape []int, decay bool, ini tensorInit, w, g *[]float32) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	b.m.Tensors = append(b.m.Tensors, Tensor{Name: name, Shape: shape, Offset: b.p.total, Size: n, Decay: decay})
	b.inits = append(b.inits, ini)
	b.p.add(w, n)
	b.g.add(g, n)
}

// span records that bl's parameters are those added since offset lo, and returns
// the offset of the next tensor.
func (b *builder) span(bl *block, lo int) int {
	bl.grads = [2]int{lo, b.p.total}
	return b.p.total
}

func (b *builder) linear(name string, l *linParams, in, out int, std float32) {
	l.in, l.out = in, out
	b.tensor(name+".weight", []int{out, in}, true, tensorInit{initNormal, std}, &l.w, &l.dw)
	b.tensor(name+".bias", []int{out}, false, tensorInit{kind: initZero}, &l.b, &l.db)
}

func (b *builder) norm(name string, l *lnParams, c int) {
	b.tensor(name+".weight", []int{c}, false, tensorInit{kind: initOne}, &l.w, &l.dw)
	b.tensor(name+".bias", []int{c}, false, tensorInit{kind: initZero}, &l.b, &l.db)
}

// NewModel builds a model with its parameters initialized from seed: matrices N(0, 0.02),
// token embeddings N(0, C^-½) when scaled by √C (else N(0, 0.02)), biases 0, norms 1.
func NewModel(cfg ModelConfig, seed uint64) (*Model, error) { return newModel(cfg, seed, nil, false) }

// replica is a model for inference that shares m's parameters (read only) but has its
// own activations, attention state and caches, so that it runs concurrently with m and
// with other replicas. It has no gradients and must not be trained.
func (m *Model) replica() *Model {
	r, err := newModel(m.Cfg, 0, m.Params, false)
	if err != nil {
		panic(err) // m's config was validated when m was built
	}
	r.inference = true
	return r
}

// trainingReplica is a model that shares m's parameters (read only) but has its own
// gradients, activations and attention state: it runs Forward and Backward on another
// part of a batch concurrently with m (Trainer.Step's halves).
func (m *Model) trainingReplica() *Model {
	r, err := newModel(m.Cfg, 0, m.Params, true)
	if err != nil {
		panic(err) // m's config was validated when m was built
	}
	return r
}

// setThreads makes m's kernels (GEMMs, attention, the row-parallel layers) run on up
// to n goroutines, simd.Threads() for n = 0.
func (m *Model) setThreads(n int) {
	m.par.split.threads = n
	m.ws.SetThreads(n)
}

// newModel builds the model of NewModel; with shared parameters (a replica) it binds
// its parameter views into them instead, allocating no parameters, and gradients only
// with grads.
func newModel(cfg ModelConfig, seed uint64, shared []float32, grads bool) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Positions == "" {
		cfg.Positions = "sinusoidal"
	}
	if cfg.Activation == "" {
		cfg.Activation = "relu"
	}
	m := &Model{Cfg: cfg, C: cfg.DModel, H: cfg.Heads, D: cfg.DModel / cfg.Heads, F: cfg.FFN, V: cfg.Vocab, ws: attention.NewWorkspace()}
	C, F, V := m.C, m.F, m.V
	m.embScale = 1
	embStd := float32(0.02)
	if cfg.ScaleEmbedding {
		m.embScale = float32(math.Sqrt(float64(C)))
		embStd = float32(1 / math.Sqrt(float64(C)))
	}
	const std = 0.02
	b := &builder{m: m}
	encdec := cfg.Arch == "encdec"
	learned := cfg.Positions == "learned"
	m.decTable[0] = b.p.total
	b.tensor("decoder.embed_tokens.weight", []int{V, C}, true, tensorInit{initNormal, embStd}, &m.decWte, &m.dDecWte)
	m.decTable[1] = b.p.total
	if encdec && !cfg.ShareAllEmbeddings {
		b.tensor("encoder.embed_tokens.weight", []int{V, C}, true, tensorInit{initNormal, embStd}, &m.encWte, &m.dEncWte)
	}
	if learned {
		b.tensor("decoder.embed_positions.weight", []int{cfg.MaxLen, C}, true, tensorInit{initNormal, std}, &m.decPos, &m.dDecPos)
		if encdec {
			b.tensor("encoder.embed_positions.weight", []int{cfg.MaxLen, C}, true, tensorInit{initNormal, std}, &m.encPos, &m.dEncPos)
		}
	}
	if !cfg.ShareDecoderEmbeddings {
		b.tensor("decoder.output_projection.weight", []int{V, C}, true, tensorInit{initNormal, std}, &m.outW, &m.dOutW)
	}
	layer := 0
	newBlock := func(kind blockKind, causal bool) *block {
		bl := &block{kind: kind, causal: causal}
		if kind != ffnBlock {
			bl.kernel = cfg.kernelOf(layer)
			core, err := newAttnCore(bl.kernel, cfg.KernelScale, m.D)
			if err != nil {
				panic(err) // Validate checked every kernel name
			}
			core.ws = m.ws
			bl.core = core
			layer++
		}
		return bl
	}
	if encdec {
		for i := 0; i < cfg.EncLayers; i++ {
			p := fmt.Sprintf("encoder.layers.%d.", i)
			sa, ff := newBlock(selfAttnBlock, false), newBlock(ffnBlock, false)
			lo := b.p.total
			b.linear(p+"self_attn.qkv", &sa.qkv, C, 3*C, std)
			b.linear(p+"self_attn.out_proj", &sa.proj, C, C, std)
			b.norm(p+"self_attn_layer_norm", &sa.ln, C)
			lo = b.span(sa, lo)
			b.linear(p+"fc1", &ff.fc1, C, F, std)
			b.linear(p+"fc2", &ff.fc2, F, C, std)
			b.norm(p+"final_layer_norm", &ff.ln, C)
			b.span(ff, lo)
			m.enc = append(m.enc, sa, ff)
		}
		if cfg.PreLN {
			b.norm("encoder.layer_norm", &m.encNorm, C)
		}
	}
	for i := 0; i < cfg.DecLayers; i++ {
		p := fmt.Sprintf("decoder.layers.%d.", i)
		sa := newBlock(selfAttnBlock, true)
		lo := b.p.total
		b.linear(p+"self_attn.qkv", &sa.qkv, C, 3*C, std)
		b.linear(p+"self_attn.out_proj", &sa.proj, C, C, std)
		b.norm(p+"self_attn_layer_norm", &sa.ln, C)
		lo = b.span(sa, lo)
		m.dec = append(m.dec, sa)
		if encdec {
			ca := newBlock(crossAttnBlock, false)
			b.linear(p+"encoder_attn.q_proj", &ca.qkv, C, C, std)
			b.linear(p+"encoder_attn.kv", &ca.kv, C, 2*C, std)
			b.linear(p+"encoder_attn.out_proj", &ca.proj, C, C, std)
			b.norm(p+"encoder_attn_layer_norm", &ca.ln, C)
			lo = b.span(ca, lo)
			m.dec = append(m.dec, ca)
		}
		ff := newBlock(ffnBlock, false)
		b.linear(p+"fc1", &ff.fc1, C, F, std)
		b.linear(p+"fc2", &ff.fc2, F, C, std)
		b.norm(p+"final_layer_norm", &ff.ln, C)
		b.span(ff, lo)
		m.dec = append(m.dec, ff)
	}
	if cfg.PreLN {
		b.norm("decoder.layer_norm", &m.decNorm, C)
	}
	if shared != nil {
		b.p.bind(shared)
		m.Params = shared
		if grads {
			m.Grads = b.g.alloc()
		}
	} else {
		m.Params = b.p.alloc()
		m.Grads = b.g.alloc()
	}
	// Shared and fixed tables.
	if encdec && cfg.ShareAllEmbeddings {
		m.encWte, m.dEncWte = m.decWte, m.dDecWte
	}
	if cfg.ShareDecoderEmbeddings {
		m.outW, m.dOutW = m.decWte, m.dDecWte
	}
	if !learned {
		tab := make([]float32, cfg.MaxLen*C)
		sinusoidTable(tab, cfg.MaxLen, C)
		m.decPos, m.encPos = tab, tab
	}
	site := 2
	for _, bl := range append(append([]*block(nil), m.enc...), m.dec...) {
		bl.site = site
		site += 2
	}
	if shared != nil {
		return m, nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x1417))
	for i, t := range m.Tensors {
		w := m.Params[t.Offset : t.Offset+t.Size]
		switch ini := b.inits[i]; ini.kind {
		case initOne:
			for j := range w {
				w[j] = 1
			}
		case initNormal:
			for j := range w {
				w[j] = ini.std * float32(rng.NormFloat64())
			}
		}
	}
	return m, nil
}

// NumParams is the number of trainable scalars.
func (m *Model) NumParams() int { return len(m.Params) }

// Tensor returns the parameter tensor called name and its gradient, or nils.
func (m *Model) Tensor(name string) (w, g []float32) {
	for _, t := range m.Tensors {
		if t.Name == name {
			return m.Params[t.Offset : t.Offset+t.Size], m.Grads[t.Offset : t.Offset+t.Size]
		}
	}
	return nil, nil
}

// ZeroGrad clears the gradient arena.
func (m *Model) ZeroGrad() { m.par.copy(m.Grads, nil) }

// reserveAttention sizes the attention workspace m's layers share for a training
// step (forward and backward) on a batch of B rows of S source and T target
// positions, so that such a step does not grow it.
func (m *Model) reserveAttention(B, S, T int) {
	H, D := m.H, m.D
	for _, bl := range m.enc {
		if bl.core != nil {
			bl.core.reserve(B, H, S, S, D, bl.causal)
		}
	}
	for _, bl := range m.dec {
		switch bl.kind {
		case selfAttnBlock:
			bl.core.reserve(B, H, T, T, D, bl.causal)
		case crossAttnBlock:
			bl.core.reserve(B, H, T, S, D, bl.causal)
		}
	}
}

// Reserve sizes the activation arena for batches of up to srcTokens source and tgtTokens
// target tokens (B·S and B·T, padding included). Forward calls it when a batch does not
// fit; calling it once up front keeps every step allocation-free.
//
// An inference replica (the Translator's) runs only the encoder, never trained: its
// arena has no decoder, logits, dropout masks or backward scratch, and each encoder
// block's activations share memory with the block two before of its kind (whose
// output the block between has consumed by then), so two blocks' worth serve any depth.
func (m *Model) Reserve(srcTokens, tgtTokens int) {
	if m.Cfg.Arch != "encdec" {
		srcTokens = 0
	}
	if m.inference {
		if tgtTokens > 1 {
			panic("train: Reserve: an inference replica runs the encoder only")
		}
		tgtTokens = 0
	}
	if srcTokens <= m.capS && tgtTokens <= m.capT {
		return
	}
	ns, n := max(srcTokens, m.capS), max(tgtTokens, m.capT)
	C, F, H, V := m.C, m.F, m.H, m.V
	var p arenaPlan
	blockPlan := func(bl *block, rows int) {
		a := &bl.a
		p.add(&a.lnOut, rows*C)
		p.add(&a.mean, rows)
		p.add(&a.rstd, rows)
		p.add(&a.fOut, rows*C)
		if !m.inference {
			p.add(&a.mask, rows*C)
		}
		p.add(&a.z, rows*C)
		p.add(&a.out, rows*C)
		switch bl.kind {
		case selfAttnBlock, crossAttnBlock:
			// Self-attention projects q, k, v from its rows; cross-attention projects q
			// and takes k, v from the encoder memory's ns rows.
			if bl.kind == selfAttnBlock {
				p.add(&a.qkv, rows*3*C)
			} else {
				p.add(&a.qkv, rows*C)
				p.add(&a.kvMem, ns*2*C)
			}
			p.add(&a.stats, rows*H)
			p.add(&a.merged, rows*C)
		case ffnBlock:
			p.add(&a.h, rows*F)
			p.add(&a.act, rows*F)
			if !m.inference {
				p.add(&a.amask, rows*F)
				p.add(&a.ad, rows*F)
			}
		}
	}
	shared := func(i int) bool { return m.inference && i >= 2 && m.enc[i].kind == m.enc[i-2].kind }
	for i, bl := range m.enc {
		if !shared(i) {
			blockPlan(bl, ns)
		}
	}
	if m.inference {
		p.add(&m.embEnc, ns*C)
		p.add(&m.maskEnc, ns*C)
		p.add(&m.encFin.out, ns*C)
		p.add(&m.encFin.mean, ns)
		p.add(&m.encFin.rstd, ns)
		m.acts = p.alloc()
		for i := range m.enc {
			if shared(i) {
				m.enc[i].a = m.enc[i-2].a
			}
		}
		m.keyMask = make([]bool, ns)
		m.capS, m.capT = ns, 1
		return
	}
	for _, bl := range m.dec {
		blockPlan(bl, n)
	}
	p.add(&m.embEnc, ns*C)
	p.add(&m.maskEnc, ns*C)
	p.add(&m.embDec, n*C)
	p.add(&m.maskDec, n*C)
	for _, f := range []*lnActs{&m.encFin, &m.decFin} {
		rows := n
		if f == &m.encFin {
			rows = ns
		}
		p.add(&f.out, rows*C)
		p.add(&f.mean, rows)
		p.add(&f.rstd, rows)
	}
	p.add(&m.logits, n*V)
	nm := max(n, ns)
	s := &m.sc
	for _, d := range []*[]float32{&s.dA, &s.dB, &s.dz, &s.dF, &s.dln, &s.dmerge} {
		p.add(d, nm*C)
	}
	p.add(&s.dEnc, ns*C)
	p.add(&s.dqkv, nm*3*C)
	p.add(&s.dkv, ns*2*C)
	p.add(&s.dh, nm*F)
	p.add(&s.dact, nm*F)
	m.acts = p.alloc()
	m.keyMask = make([]bool, ns)
	m.capS, m.capT = ns, n
}
