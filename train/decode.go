package train

import (
	"fmt"
	"math"
	"sort"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/simd"
)

// Decoder generates with a trained model, one token per step, keeping every decoder
// self-attention layer's keys and values in a cache so that a step costs O(t) for the
// t tokens already generated (attention over the cache) instead of re-running the
// prefix; linear and favor layers keep their running feature sums instead
// (attention.FeatureState), so that a step costs the same at every position.
// Cross-attention keys and values (or feature sums) are computed once per source
// sentence.
// A Decoder allocates its buffers once, for up to Beam hypotheses of up to MaxLen tokens,
// and packs the weight matrices once (simd.NewPackedB; the encoder's too): a step multiplies by
// them without re-packing, and every hypothesis's row is computed alike whatever the
// number of rows in the step, so hypotheses decoded together get the bits each would
// get alone.
type Decoder struct {
	m            *Model
	Beam, MaxLen int
	w            *decoderWeights

	kc, vc   [][]float32 // per self-attention block: [Beam, H, MaxLen, D] (Beam cache slots)
	kc2, vc2 [][]float32 // the same, for reordering beams (allocated by the first reorder)
	// Linear and favor layers keep no cache (their kc, vc are nil) but the running
	// feature sums of each slot (fs, per self-attention block, else nil) and of each
	// source sentence (cfs, per decoder block, for cross-attention): a step costs
	// O(F·D) per head whatever its position (decode_attn.go).
	fs, cfs []*attention.FeatureState
	srcMask []bool     // the source's non-Pad positions [sentences·S] (cfs's Append)
	oneRun  [1]selfRun // selfRuns' run without slots
	oneSeg  [1]crossSeg
	rows    []attention.DecodeRow     // a step's rows for attention.DecodeRows
	dws     attention.DecodeWorkspace // DecodeRows's scratch
	// Row b of a step keeps its keys and values in cache slot slot[b] (nil: slot b);
	// runs group the step's rows by consecutive slots, one attention call each.
	slot   []int
	runs   []selfRun
	pos    []int       // per row of a step, its position (nil: the step's t for every row)
	ck, cv [][]float32 // per cross-attention block: [sentences, H, S, D]
	S      int         // source length (the longest of a batch: the cross caches' row count)
	segs   []crossSeg  // batches: which rows attend to which sentence (nil: all to the one)
	kv     []float32   // the encoder output's keys and values [sentences·S, 2C]

	x, z, ln, f, o []float32 // [Beam, C]
	qkv            []float32 // [Beam, 3C]
	qh, oh         []float32 // [1, H, Beam, D]
	st             []float32 // [Beam·H]
	h, act         []float32 // [Beam, F]
	logp           []float32 // [Beam, V]
	mean, rstd     []float32 // [Beam]
	tok            []int32
	nonFinite      bool // some step's log-probabilities were NaN or ±Inf (see Err)
}

// Err reports, after decoding, whether the model produced non-finite log-probabilities
// (its output is then meaningless): an error wrapping ErrNonFinite.
func (d *Decoder) Err() error {
	if d.nonFinite {
		return fmt.Errorf("%w: its next-token log-probabilities are NaN or infinite (did its training diverge?)", ErrNonFinite)
	}
	return nil
}

// NewDecoder prepares decoding with up to beam hypotheses of up to maxLen tokens (BOS
// included; at most model.max_len). The Decoder reads the model's weights as they are
// now: it must not outlive a change of the parameters (a training step).
func (m *Model) NewDecoder(beam, maxLen int) *Decoder {
	return m.newDecoder(beam, maxLen, m.packDecoder())
}

// decoderWeights are the weight matrices a decoding step multiplies by, packed for
// simd.SgemmPacked, per decoder block (nil where the block has none) and the output
// projection. They are read-only: decoders of one model's replicas share them.
type decoderWeights struct {
	dec, enc []packedBlock // the decoder's blocks, and the encoder's for encodeSources (encode_packed.go)
	out      *simd.PackedB
}

// packDecoder packs the decoder's and the encoder's weights and the output projection
// (op(B) = Wᵀ of each linear layer).
func (m *Model) packDecoder() *decoderWeights {
	return &decoderWeights{dec: packBlocks(m.dec), enc: packBlocks(m.enc),
		out: simd.NewPackedB(true, m.C, m.V, m.outW, m.C)}
}

// packedLinear computes out = inp·Wᵀ + b (b may be nil) for the n rows of inp with W
// packed in w: linearForward with a packed weight.
func packedLinear(out, inp []float32, w *simd.PackedB, b []float32, n int) {
	if n == 0 {
		return
	}
	in, outDim := w.K(), w.N()
	beta := float32(0)
	if b != nil {
		for r := 0; r < n; r++ {
			copy(out[r*outDim:(r+1)*outDim], b[:outDim])
		}
		beta = 1
	}
	simd.SgemmPacked(n, 1, inp, in, w, beta, out, outDim)
}

// newDecoder is NewDecoder with the model's weights already packed in w.
func (m *Model) newDecoder(beam, maxLen int, w *decoderWeights) *Decoder {
	if beam < 1 || maxLen < 1 || maxLen > m.Cfg.MaxLen {
		panic(fmt.Sprintf("train: NewDecoder: beam = %d, maxLen = %d (model.max_len = %d)", beam, maxLen, m.Cfg.MaxLen))
	}
	C, H, F, V := m.C, m.H, m.F, m.V
	d := &Decoder{m: m, Beam: beam, MaxLen: maxLen, w: w}
	d.ck = make([][]float32, len(m.dec))
	d.cv = make([][]float32, len(m.dec))
	d.cfs = make([]*attention.FeatureState, len(m.dec))
	for _, bl := range m.dec {
		if bl.kind != selfAttnBlock {
			continue
		}
		fs := newFeatureState(bl.core, beam, H, m.D)
		d.fs = append(d.fs, fs)
		var kc, vc []float32
		if fs == nil {
			kc, vc = make([]float32, beam*H*maxLen*m.D), make([]float32, beam*H*maxLen*m.D)
		}
		d.kc, d.vc = append(d.kc, kc), append(d.vc, vc)
	}
	for _, p := range []*[]float32{&d.x, &d.z, &d.ln, &d.f, &d.o, &d.qh, &d.oh} {
		*p = make([]float32, beam*C)
	}
	d.qkv = make([]float32, beam*3*C)
	d.st = make([]float32, beam*H)
	d.h, d.act = make([]float32, beam*F), make([]float32, beam*F)
	d.logp = make([]float32, beam*V)
	d.mean, d.rstd = make([]float32, beam), make([]float32, beam)
	d.tok = make([]int32, beam)
	return d
}

// start encodes the source (encdec) and prepares the cross-attention keys and values.
func (d *Decoder) start(src []int32) {
	m := d.m
	m.Training = false
	d.nonFinite = false
	if m.Cfg.Arch != "encdec" {
		return
	}
	d.segs = nil
	d.encodeSources(src, 1, len(src), nil, len(src), 1)
}

// encodeSources runs the encoder on src [B, S] (padded with Pad, masked) and fills
// the cross-attention caches [sents, H, stride, D] (or feature sums) of every
// cross-attention block: source b goes to sentence at[b] (nil: b), its positions
// 0..S of stride. The caches of the other sentences are kept.
func (d *Decoder) encodeSources(src []int32, B, S int, at []int, stride, sents int) {
	m := d.m
	C, H, D := m.C, m.H, m.D
	if S < 1 || S > m.Cfg.MaxLen || stride < S || sents < B {
		panic(fmt.Sprintf("train: decode: source length %d outside [1, %d] or above the stride %d, or %d sources for %d sentences",
			S, m.Cfg.MaxLen, stride, B, sents))
	}
	m.Reserve(B*S, 1)
	enc := m.encodePacked(d.w.enc, src, B, S)
	d.S = stride
	n := B * S
	if len(d.kv) < n*2*C {
		d.kv = make([]float32, n*2*C)
	}
	for i, bl := range m.dec {
		if bl.kind != crossAttnBlock {
			continue
		}
		packedLinear(d.kv, enc, d.w.dec[i].kv, bl.kv.b, n)
		if d.crossState(i, bl.core, src, B, S, at, sents) {
			continue
		}
		if len(d.ck[i]) < sents*stride*C { // kept: a Stream's other sentences are in there
			d.ck[i] = append(d.ck[i], make([]float32, sents*stride*C-len(d.ck[i]))...)
			d.cv[i] = append(d.cv[i], make([]float32, sents*stride*C-len(d.cv[i]))...)
		}
		if at == nil && stride == S {
			splitHeads(d.ck[i], d.kv, B, S, H, D, 2*C, 0)
			splitHeads(d.cv[i], d.kv, B, S, H, D, 2*C, C)
			continue
		}
		for b := range B {
			for s := range S {
				row := d.kv[(b*S+s)*2*C:]
				for h := range H {
					o := ((at[b]*H+h)*stride + s) * D
					copy(d.ck[i][o:o+D], row[h*D:])
					copy(d.cv[i][o:o+D], row[C+h*D:])
				}
			}
		}
	}
}

// step feeds token tok[b] at position t (d.pos[b] when d.pos is set) to each of the
// nb hypotheses and leaves the next-token log-probabilities in d.logp [nb, V].
func (d *Decoder) step(tok []int32, nb, t int) {
	d.stepLogits(tok, nb, t)
	V := d.m.V
	for b := 0; b < nb; b++ {
		row := d.logp[b*V : (b+1)*V]
		simd.LogSoftmax(row, row)
	}
}

// stepLogits is step leaving the logits in d.logp: greedy decoding takes their
// largest, which needs no normalization. It sets d.nonFinite when a row holds a NaN
// or ±Inf (whose log-probabilities would too).
func (d *Decoder) stepLogits(tok []int32, nb, t int) {
	m := d.m
	C, H, D, F, V := m.C, m.H, m.D, m.F, m.V
	x := d.x[:nb*C]
	if d.pos == nil {
		embeddingForward(x, tok[:nb], m.decWte, m.decPos[t*C:], m.embScale, nb, 1, C)
	} else {
		for b, p := range d.pos[:nb] {
			embeddingForward(x[b*C:], tok[b:b+1], m.decWte, m.decPos[p*C:], m.embScale, 1, 1, C)
		}
	}
	self := 0
	for i, bl := range m.dec {
		in := x
		if m.Cfg.PreLN {
			layerNormForward(d.ln, d.mean, d.rstd, x, bl.ln.w, bl.ln.b, nb, C)
			in = d.ln[:nb*C]
		}
		f := d.f[:nb*C]
		switch bl.kind {
		case selfAttnBlock:
			qkv := d.qkv[:nb*3*C]
			packedLinear(qkv, in, d.w.dec[i].qkv, bl.qkv.b, nb)
			if fs := d.fs[self]; fs != nil {
				d.stateSelfAttend(fs, qkv, nb, t)
			} else {
				kc, vc := d.kc[self], d.vc[self]
				for b := 0; b < nb; b++ {
					s, p := b, t
					if d.slot != nil {
						s = d.slot[b]
					}
					if d.pos != nil {
						p = d.pos[b]
					}
					for h := 0; h < H; h++ {
						base := (s*H+h)*d.MaxLen*D + p*D
						copy(kc[base:base+D], qkv[b*3*C+C+h*D:])
						copy(vc[base:base+D], qkv[b*3*C+2*C+h*D:])
					}
				}
				selfAttention(d, bl.core, qkv, kc, vc, nb, t)
			}
			self++
			packedLinear(f, d.o[:nb*C], d.w.dec[i].proj, bl.proj.b, nb)
		case crossAttnBlock:
			q := d.qkv[:nb*C]
			packedLinear(q, in, d.w.dec[i].qkv, bl.qkv.b, nb)
			if fs := d.cfs[i]; fs != nil {
				d.stateCrossAttend(fs, q, nb)
			} else {
				crossAttention(d, bl.core, q, d.ck[i], d.cv[i], nb)
			}
			packedLinear(f, d.o[:nb*C], d.w.dec[i].proj, bl.proj.b, nb)
		case ffnBlock:
			hid, act := d.h[:nb*F], d.act[:nb*F]
			packedLinear(hid, in, d.w.dec[i].fc1, bl.fc1.b, nb)
			if m.Cfg.Activation == "gelu" {
				geluForward(act, hid)
			} else {
				reluForward(act, hid)
			}
			packedLinear(f, act, d.w.dec[i].fc2, bl.fc2.b, nb)
		}
		if m.Cfg.PreLN {
			simd.Add(x, x, f)
		} else {
			z := d.z[:nb*C]
			residualForward(z, x, f)
			layerNormForward(x, d.mean, d.rstd, z, bl.ln.w, bl.ln.b, nb, C)
		}
	}
	if m.Cfg.PreLN {
		layerNormForward(d.ln, d.mean, d.rstd, x, m.decNorm.w, m.decNorm.b, nb, C)
		x = d.ln[:nb*C]
	}
	logits := d.logp[:nb*V]
	packedLinear(logits, x, d.w.out, nil, nb)
	// Finite logits give finite log-probabilities; a NaN or ±Inf in a row makes its
	// sum non-finite (s − s ≠ 0), and so would a row whose sum overflows float32
	// (|logit| near 10³⁴ for V in the thousands: a broken model all the same). Row by
	// row, so that the batch size does not lower that bound.
	for b := range nb {
		if s := simd.Sum(logits[b*V : (b+1)*V]); s-s != 0 {
			d.nonFinite = true
			break
		}
	}
}

// reorder makes hypothesis b continue from hypothesis parent[b]: the caches of positions
// 0..t are gathered into the spare buffers, which then become the caches (feature
// states select their entries).
func (d *Decoder) reorder(parent []int, t int) {
	H, D := d.m.H, d.m.D
	n := (t + 1) * D
	if d.kc2 == nil {
		for l := range d.kc {
			d.kc2 = append(d.kc2, make([]float32, len(d.kc[l])))
			d.vc2 = append(d.vc2, make([]float32, len(d.vc[l])))
		}
	}
	for l := range d.kc {
		if fs := d.fs[l]; fs != nil {
			fs.Select(parent)
			continue
		}
		for b, p := range parent {
			for h := 0; h < H; h++ {
				dst, src := (b*H+h)*d.MaxLen*D, (p*H+h)*d.MaxLen*D
				copy(d.kc2[l][dst:dst+n], d.kc[l][src:src+n])
				copy(d.vc2[l][dst:dst+n], d.vc[l][src:src+n])
			}
		}
		d.kc[l], d.kc2[l] = d.kc2[l], d.kc[l]
		d.vc[l], d.vc2[l] = d.vc2[l], d.vc[l]
	}
}

// copySlot copies the cached keys and values of positions 0..t of slot src into
// slot dst (or its feature sums), in every self-attention layer.
func (d *Decoder) copySlot(dst, src, t int) {
	H, D := d.m.H, d.m.D
	n := (t + 1) * D
	for l := range d.kc {
		if fs := d.fs[l]; fs != nil {
			fs.Copy(dst, src)
			continue
		}
		for h := 0; h < H; h++ {
			to, from := (dst*H+h)*d.MaxLen*D, (src*H+h)*d.MaxLen*D
			copy(d.kc[l][to:to+n], d.kc[l][from:from+n])
			copy(d.vc[l][to:to+n], d.vc[l][from:from+n])
		}
	}
}

// candidate is one expansion of a live hypothesis: its row, the next token and the
// summed log-probability.
type candidate struct {
	beam int
	tok  int32
	logp float64
}

// bestCandidates merges the expansions of hypothesis b (log-probability base, next-token
// log-probabilities row) into cands, the n best so far sorted by decreasing logp (ties:
// the earlier first), skipping Pad and BOS, and returns it.
func (m *Model) bestCandidates(cands []candidate, row []float32, b int, base float64, n int) []candidate {
	full, worst := len(cands) == n, 0.0 // worst: the last kept logp once full
	if full {
		worst = cands[n-1].logp
	}
	// Once n are kept, most blocks of the row hold nothing better than the worst
	// kept: simd.Max finds those, and base + their largest ≤ worst skips them whole
	// (x ↦ base + x is monotone in float64, so each of their expansions would be
	// skipped one by one; a NaN largest compares false and its block is scanned).
	const block = 256
	for lo := 0; lo < len(row); lo += block {
		blk := row[lo:min(lo+block, len(row))]
		if full && base+float64(simd.Max(blk)) <= worst {
			continue
		}
		cands = m.blockCandidates(cands, blk, lo, b, base, n)
		if full = len(cands) == n; full {
			worst = cands[n-1].logp
		}
	}
	return cands
}

// blockCandidates is bestCandidates over blk, the log-probabilities of tokens first,
// first+1, ….
func (m *Model) blockCandidates(cands []candidate, blk []float32, first, b int, base float64, n int) []candidate {
	pad, bos := m.Cfg.Pad, m.Cfg.BOS
	full, worst := len(cands) == n, 0.0
	if full {
		worst = cands[n-1].logp
	}
	for i, lp := range blk {
		v := first + i
		x := base + float64(lp)
		// Most expansions lose to the n kept: one add and compare, then the rest.
		if full && x <= worst || int32(v) == pad || int32(v) == bos {
			continue
		}
		lo, hi := 0, len(cands) // the first i with cands[i].logp < x (ties: the earlier first)
		for lo < hi {
			if mid := (lo + hi) / 2; cands[mid].logp < x {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		if !full {
			cands = append(cands, candidate{})
		}
		copy(cands[lo+1:], cands[lo:len(cands)-1])
		cands[lo] = candidate{b, int32(v), x}
		if full = len(cands) == n; full {
			worst = cands[n-1].logp
		}
	}
	return cands
}

// greedyToken is the most likely next token of a row of logits (or of
// log-probabilities), the first of equals, never Pad or BOS, as in BeamSearch.
// It finds the largest by blocks of simd.Max; the scalar scan (greedyTokenScan)
// decides only when the largest is Pad or BOS, or not a number.
func (m *Model) greedyToken(row []float32) int32 {
	const block = 256
	best, at := float32(0), -1
	for lo := 0; lo < len(row); lo += block {
		// The first block holding the largest; the first largest within it.
		x := simd.Max(row[lo:min(lo+block, len(row))])
		if x != x { // a NaN hides its block's largest: the scan decides
			return m.greedyTokenScan(row)
		}
		if at < 0 || x > best {
			best, at = x, lo
		}
	}
	for v := max(at, 0); v < min(at+block, len(row)); v++ {
		if row[v] == best {
			if next := int32(v); next != m.Cfg.Pad && next != m.Cfg.BOS {
				return next
			}
			break
		}
	}
	return m.greedyTokenScan(row)
}

// greedyTokenScan is greedyToken's reference loop.
func (m *Model) greedyTokenScan(row []float32) int32 {
	pad, bos := m.Cfg.Pad, m.Cfg.BOS
	next := int32(-1)
	for v := range row {
		if int32(v) != pad && int32(v) != bos {
			next = int32(v)
			break
		}
	}
	if next < 0 {
		return next
	}
	best := row[next]
	for v := int(next) + 1; v < len(row); v++ {
		// The compare first: it fails for nearly every token.
		if lp := row[v]; lp > best && int32(v) != pad && int32(v) != bos {
			next, best = int32(v), lp
		}
	}
	return next
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// Greedy decodes src (encdec; ignored by the decoder-only model, which continues
// prefix) by taking the most likely token each step, until EOS or maxLen tokens. prefix
// (may be empty) is forced after BOS (the decoder-only model starts from prefix[0]
// instead of BOS). The result excludes BOS, the prefix and EOS.
func (d *Decoder) Greedy(src, prefix []int32, maxLen int) []int32 {
	maxLen = min(maxLen, d.MaxLen)
	d.start(src)
	m := d.m
	d.tok[0] = m.Cfg.BOS
	if m.Cfg.Arch == "decoder" && len(prefix) > 0 {
		// Language-model windows start anywhere in the text, without BOS: start from the
		// prompt itself.
		d.tok[0], prefix = prefix[0], prefix[1:]
	}
	var out []int32
	for t := 0; t < maxLen; t++ {
		d.stepLogits(d.tok, 1, t)
		if d.nonFinite {
			return nil // the model's output is meaningless; Err says why
		}
		if t < len(prefix) {
			d.tok[0] = prefix[t]
			continue
		}
		next := m.greedyToken(d.logp[:m.V])
		if next == m.Cfg.EOS {
			break
		}
		out = append(out, next)
		d.tok[0] = next
	}
	return out
}

// Hypothesis is a finished beam-search output.
type Hypothesis struct {
	Tokens []int32 // without BOS and EOS
	LogP   float64 // Σ log p of the tokens and the final EOS (if any)
	Score  float64 // LogP / len^lenPenalty, len counting EOS (fairseq)
}

// BeamSearch decodes src with beam size k ≤ Beam and length penalty α: hypotheses are
// ranked by LogP/len^α. Each step expands every live hypothesis, keeps the 2k best
// candidates, moves those among the first k that end in EOS to the finished list and
// continues the k best others; it stops when k hypotheses have finished (fairseq's rule) or at maxLen, where
// the live ones are finished as they are. It returns the finished hypotheses, best first.
func (d *Decoder) BeamSearch(src []int32, k int, lenPenalty float64, maxLen int) []Hypothesis {
	if k < 1 || k > d.Beam {
		panic(fmt.Sprintf("train: BeamSearch: k = %d outside [1, Beam = %d]", k, d.Beam))
	}
	maxLen = min(maxLen, d.MaxLen)
	d.start(src)
	m := d.m
	V := m.V
	type live struct {
		tokens []int32
		logp   float64
	}
	beams := []live{{logp: 0}}
	d.tok[0] = m.Cfg.BOS
	var done []Hypothesis
	finish := func(tokens []int32, logp float64, length int) {
		done = append(done, Hypothesis{Tokens: tokens, LogP: logp, Score: logp / math.Pow(float64(length), lenPenalty)})
	}
	cands := make([]candidate, 0, 2*k)
	parent := make([]int, 0, k)
	for t := 0; t < maxLen && len(done) < k; t++ {
		nb := len(beams)
		d.step(d.tok, nb, t)
		if d.nonFinite {
			return nil // NaN scores cannot be ranked; Err says why
		}
		cands = cands[:0]
		for b := 0; b < nb; b++ {
			cands = m.bestCandidates(cands, d.logp[b*V:(b+1)*V], b, beams[b].logp, 2*k)
		}
		var next []live
		parent = parent[:0]
		for rank, c := range cands {
			toks := append(append([]int32(nil), beams[c.beam].tokens...), c.tok)
			if c.tok == m.Cfg.EOS {
				// As fairseq: only an EOS among the k best candidates finishes a hypothesis.
				if rank < k && len(done) < k {
					finish(toks[:len(toks)-1], c.logp, len(toks))
				}
				continue
			}
			if len(next) < k {
				next = append(next, live{toks, c.logp})
				parent = append(parent, c.beam)
			}
		}
		if len(done) >= k || len(next) == 0 {
			break
		}
		if t+1 == maxLen {
			for _, b := range next {
				finish(b.tokens, b.logp, len(b.tokens))
			}
			break
		}
		d.reorder(parent, t)
		for b, l := range next {
			d.tok[b] = l.tokens[len(l.tokens)-1]
		}
		beams = next
	}
	sort.SliceStable(done, func(i, j int) bool { return done[i].Score > done[j].Score })
	return done
}
