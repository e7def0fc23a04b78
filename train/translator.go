package train

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kernelmachines/bkm/internal/par"
	"github.com/kernelmachines/bkm/simd"
)

// TranslateOptions are the decoding settings of a Translator call.
type TranslateOptions struct {
	Beam         int     // beam size; 1 (or 0) decodes greedily
	LenPenalty   float64 // hypotheses are ranked by LogP/len^LenPenalty (beam > 1)
	MaxSentences int     // sentences decoded together (0: DefaultMaxSentences)
	MaxTokens    int     // padded source tokens per batch, sentences × longest (0: DefaultMaxTokens)
}

// Batch limits used when TranslateOptions leaves them 0.
const (
	DefaultMaxSentences = 32
	DefaultMaxTokens    = 4096
)

func (o *TranslateOptions) check() error {
	if o.Beam == 0 {
		o.Beam = 1
	}
	if o.MaxSentences == 0 {
		o.MaxSentences = DefaultMaxSentences
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	switch {
	case o.Beam < 1:
		return fmt.Errorf("translate: beam = %d: must be ≥ 1", o.Beam)
	case o.MaxSentences < 1:
		return fmt.Errorf("translate: max sentences = %d: must be ≥ 1", o.MaxSentences)
	case o.MaxTokens < 1:
		return fmt.Errorf("translate: max tokens = %d: must be ≥ 1", o.MaxTokens)
	case math.IsNaN(o.LenPenalty) || math.IsInf(o.LenPenalty, 0):
		return fmt.Errorf("translate: length penalty = %v: must be finite", o.LenPenalty)
	}
	return nil
}

// BatchStats counts the work of a TranslateBatch call.
type BatchStats struct {
	Batches      int // encoder batches
	Steps        int // decoder steps, summed over the batches
	SourceTokens int // source tokens, EOS included
	OutputTokens int // tokens of the translations, EOS excluded
}

// Translator translates with one encoder–decoder model, loaded once, from any number
// of goroutines at a time. Each call borrows a worker (a replica of the model sharing
// its parameters, with its own activations and decoder caches) from a free list and
// returns it, and a call's tokens and text go into buffers kept between calls, so
// that a warm Translator allocates per call (the result) but not per sentence or
// token. The model's parameters must not change while it is used.
type Translator struct {
	m   *Model
	tok Tokenizer
	w   *decoderWeights // packed once, shared by the workers

	mu    sync.Mutex
	free  []*translateWorker
	calls par.FreeList[translateCall] // TranslateBatch's buffers, kept between calls
}

// NewTranslator makes a Translator for the encoder–decoder model m and its tokenizer.
func NewTranslator(m *Model, tok Tokenizer) (*Translator, error) {
	if m.Cfg.Arch != "encdec" {
		return nil, fmt.Errorf("translate: the model is a %s, not an encoder–decoder", m.Cfg.Arch)
	}
	return &Translator{m: m, tok: tok, w: m.packDecoder(), calls: par.NewFreeList[translateCall](16)}, nil
}

// OpenTranslator loads the model and tokenizer of the checkpoint at path (threads as
// in OpenModel) into a Translator.
func OpenTranslator(path string, threads int) (*Translator, error) {
	s, err := OpenModel(path, threads)
	if err != nil {
		return nil, err
	}
	t, err := NewTranslator(s.Trainer.Model, s.Tok)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return t, nil
}

// Parallelism is how many batches TranslateBatch decodes at once (simd.Threads(),
// one worker each): a server keeps that many batches in flight.
func (t *Translator) Parallelism() int { return max(1, simd.Threads()) }

// Model is the translator's model.
func (t *Translator) Model() *Model { return t.m }

// Translate translates one sentence (TranslateBatch of one).
func (t *Translator) Translate(ctx context.Context, src string, opts TranslateOptions) (string, error) {
	out, err := t.TranslateBatch(ctx, []string{src}, opts)
	if err != nil {
		return "", err
	}
	return out[0], nil
}

// TranslateBatch translates every source and returns the translations in input order.
// Sources are sorted by length and cut into batches of at most opts.MaxSentences
// sentences and opts.MaxTokens padded source tokens; each batch goes through the
// encoder at once, then the decoder steps the live hypotheses of all its sentences
// together, each sentence finishing on its own; up to simd.Threads() batches run at
// once, each on its own worker. Each row of a step is computed as in a
// step of that sentence alone, bit for bit: row-wise layers, cross-attention per
// sentence over its unpadded keys, the encoder's padding masked, and projections, the
// encoder's too, by simd.SgemmPacked, whose rows do not depend on the rows beside them
// (TestDecoderStepRowsIndependent, TestEncodePackedRows). So the translation is
// Translate's (the package function's) for its sentence alone. ctx is checked
// between steps; when it is done the call returns its error.
//
// The result slice is the caller's. Its translations are substrings of a few
// strings (one per worker that decoded), so that a warm Translator allocates a
// call's result and not a string per sentence: keeping one translation keeps its
// worker's part of the call's text alive.
func (t *Translator) TranslateBatch(ctx context.Context, sources []string, opts TranslateOptions) ([]string, error) {
	out, _, err := t.TranslateBatchStats(ctx, sources, opts)
	return out, err
}

// TranslateBatchStats is TranslateBatch, also counting the work done.
func (t *Translator) TranslateBatchStats(ctx context.Context, sources []string, opts TranslateOptions) ([]string, BatchStats, error) {
	if err := opts.check(); err != nil {
		return nil, BatchStats{}, err
	}
	c := t.getCall()
	defer t.putCall(c)
	c.cut(t.tok, sources, t.m.Cfg.MaxLen, t.m.Cfg.EOS, opts.MaxSentences, opts.MaxTokens)
	ids, order, starts := c.ids, c.order, c.starts
	c.padded = 0 // the largest batch's padded source tokens
	for b := range len(starts) - 1 {
		c.padded = max(c.padded, (starts[b+1]-starts[b])*len(ids[order[starts[b+1]-1]]))
	}
	for _, x := range ids {
		c.st.SourceTokens += len(x)
	}
	c.ctx, c.opts, c.out = ctx, opts, make([]string, len(sources))
	// Up to simd.Threads() workers take batches in turn, each on its own model replica.
	// They are tasks of the shared pool (the caller and Threads()−1 pool goroutines),
	// not goroutines of their own: the parallel routines a batch calls (DecodeRows, a
	// split Sgemm) then find every pool goroutine busy decoding and run their parts
	// themselves, so no more than Threads() goroutines compute at once (own goroutines
	// plus the pool's made up to 2·Threads()−1, which then waited on each other's
	// descheduled parts); a worker that runs out of batches helps the others' parts.
	workers := max(1, min(t.Parallelism(), len(starts)-1))
	c.job = batchesJob{t, c}
	par.Run(workers, workers, &c.job)
	c.job = batchesJob{}
	if c.err != nil {
		return nil, c.st, c.err
	}
	return c.out, c.st, nil
}

// translateCall is the state of one TranslateBatch call: its sources, tokenized and
// cut into batches, and what its workers share. A Translator keeps calls on a free
// list, so that a warm call tokenizes into buffers of an earlier one.
type translateCall struct {
	sourceSet
	ctx    context.Context
	opts   TranslateOptions
	padded int      // the largest batch's padded source tokens
	out    []string // the translations (the caller's)
	next   atomic.Int64
	job    batchesJob
	mu     sync.Mutex // guards st and err
	st     BatchStats
	err    error
}

// batchesJob is a TranslateBatch call's par.Job: each task is a worker (runBatches).
type batchesJob struct {
	t *Translator
	c *translateCall
}

func (j *batchesJob) Task(_, _ int) { j.t.runBatches(j.c) }

// runBatches decodes batches of c on a worker until none is left or one fails. The
// worker spells every translation it makes into one buffer, converted to a string
// once: c.out's translations are substrings of a few strings, one per worker.
func (t *Translator) runBatches(c *translateCall) {
	if c.next.Load() >= int64(len(c.starts)-1) {
		return // a late task: the others took every batch
	}
	w := t.get()
	defer t.put(w)
	w.m.Reserve(c.padded, 1) // the encoder's buffers, sized once for the largest batch
	w.text, w.spans = w.text[:0], w.spans[:0]
	var st BatchStats
	var err error
	for b := int(c.next.Add(1)) - 1; b < len(c.starts)-1 && err == nil; b = int(c.next.Add(1)) - 1 {
		err = t.translateOne(c.ctx, w, c.order[c.starts[b]:c.starts[b+1]], c.ids, c.opts, &st)
		if err != nil {
			c.next.Store(int64(len(c.starts))) // the others stop after their batch
		}
	}
	text := string(w.text)
	for _, sp := range w.spans {
		c.out[sp.src] = text[sp.lo:sp.hi]
	}
	c.mu.Lock()
	c.st.Batches, c.st.Steps, c.st.OutputTokens = c.st.Batches+st.Batches, c.st.Steps+st.Steps, c.st.OutputTokens+st.OutputTokens
	if err != nil && c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

func (t *Translator) getCall() *translateCall {
	if c := t.calls.Get(); c != nil {
		return c
	}
	return new(translateCall)
}

// putCall keeps c's buffers for a later call; the translations are the caller's.
func (t *Translator) putCall(c *translateCall) {
	c.ctx, c.out, c.st, c.err = nil, nil, BatchStats{}, nil
	c.next.Store(0)
	t.calls.Put(c)
}

// SourceBatches tokenizes the sources as the decoder reads them (sourceIDs) and cuts
// them into the batches TranslateBatch decodes: sorted by length, at most
// maxSentences sentences and maxTokens padded source tokens (sentences × the
// longest) each. ids[i] are source i's tokens, order the sources by length, and batch
// b is order[starts[b]:starts[b+1]].
func SourceBatches(tok Tokenizer, sources []string, maxLen int, eos int32, maxSentences, maxTokens int) (ids [][]int32, order, starts []int) {
	var s sourceSet
	s.cut(tok, sources, maxLen, eos, maxSentences, maxTokens)
	return s.ids, s.order, s.starts
}

// sourceSet is SourceBatches's result in buffers that a later cut reuses: every
// source's tokens one after another in toks, ids[i] the view of source i's.
type sourceSet struct {
	toks          []int32
	ids           [][]int32
	order, starts []int
}

// cut is SourceBatches into s's buffers.
func (s *sourceSet) cut(tok Tokenizer, sources []string, maxLen int, eos int32, maxSentences, maxTokens int) {
	toks, ends := s.toks[:0], s.starts[:0] // starts holds the sources' ends until the views are made
	for _, src := range sources {
		toks = appendSourceIDs(toks, tok, src, maxLen, eos)
		ends = append(ends, len(toks))
	}
	s.toks = toks
	s.ids, s.order = slices.Grow(s.ids[:0], len(sources))[:len(sources)], slices.Grow(s.order[:0], len(sources))[:len(sources)]
	lo := 0
	for i, hi := range ends {
		s.ids[i], s.order[i] = toks[lo:hi:hi], i
		lo = hi
	}
	ids, order, starts := s.ids, s.order, ends[:0]
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(ids[a]), len(ids[b])) })
	for lo := 0; lo < len(order); {
		// Sorted by length, the last sentence of a batch is its longest.
		hi := lo + 1
		for hi < len(order) && hi-lo < maxSentences && (hi-lo+1)*len(ids[order[hi]]) <= maxTokens {
			hi++
		}
		starts = append(starts, lo)
		lo = hi
	}
	s.starts = append(starts, len(order))
}

// sourceIDs is src's tokens as the decoder reads them: at most maxLen−1, then eos.
func sourceIDs(tok Tokenizer, src string, maxLen int, eos int32) []int32 {
	return appendSourceIDs(nil, tok, src, maxLen, eos)
}

// appendSourceIDs appends sourceIDs(tok, src, maxLen, eos) to dst.
func appendSourceIDs(dst []int32, tok Tokenizer, src string, maxLen int, eos int32) []int32 {
	start := len(dst)
	dst = appendEncode(tok, dst, src)
	return append(dst[:min(len(dst), start+maxLen-1)], eos)
}

// translateOne decodes the sentences batch (indices into ids, sorted by length) on w
// and spells their translations into w.text, counting the work in st.
func (t *Translator) translateOne(ctx context.Context, w *translateWorker, batch []int, ids [][]int32, opts TranslateOptions, st *BatchStats) error {
	srcs := w.srcs[:0]
	for _, i := range batch {
		srcs = append(srcs, ids[i])
	}
	w.srcs = srcs
	steps, err := w.decode(ctx, srcs, opts.Beam, opts.LenPenalty)
	clear(srcs) // the sources are the call's
	st.Batches++
	st.Steps += steps
	if err != nil {
		return err
	}
	for j, i := range batch {
		lo := len(w.text)
		w.text = appendDecode(t.tok, w.text, w.sents[j].best)
		w.spans = append(w.spans, textSpan{i, lo, len(w.text)})
		st.OutputTokens += len(w.sents[j].best)
	}
	return nil
}

func (t *Translator) get() *translateWorker {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.free); n > 0 {
		w := t.free[n-1]
		t.free = t.free[:n-1]
		return w
	}
	return &translateWorker{m: t.m.replica(), w: t.w}
}

func (t *Translator) put(w *translateWorker) {
	t.mu.Lock()
	t.free = append(t.free, w)
	t.mu.Unlock()
}

// translateWorker decodes batches on its own model replica; its buffers grow to the
// largest batch seen and are reused.
//
// Sentence i of a batch owns the decoder's cache slots [i·k, (i+1)·k) for beam k. A
// step's rows are the live hypotheses, sentence after sentence, each sentence's in
// the order of their slots; a hypothesis keeps its parent's slot when it is the first
// child to claim it, so caches are only copied for a second child of one parent (into
// a slot nobody continues from), never for the whole beam, and greedy decoding never
// copies.
type translateWorker struct {
	m    *Model
	w    *decoderWeights
	d    *Decoder
	srcs [][]int32
	pad  []int32 // padded sources [B, S]
	// The translations a TranslateBatch call's batches gave on this worker, spelled
	// one after another, and which source each span of text is.
	text  []byte
	spans []textSpan
	sents []sentState // per sentence of the batch
	k     int         // cache slots per sentence
	// Per cache slot: the tokens generated so far (stride maxLen) and their summed
	// log-probability.
	hist []int32
	logp []float64
	// Per row of a step: its cache slot, and per sentence its rows in rank order
	// (ranked[st.row:st.row+st.rows]; candidates are merged in that order, as
	// BeamSearch does); with spares to build the next step's in.
	slot, slot2, ranked, ranked2 []int
	// One sentence's step: the continuing candidates (beam = parent row, in rank
	// order), each one's slot and row, and which child holds each of its slots.
	kids            []candidate
	kidSlot, kidRow []int
	kidAt           []int
	cands           []candidate
	segs            []crossSeg
	runs            []selfRun
	pos             []int // per row of a step: its sentence's position
	maxLen          int
	lp              float64 // the length penalty
}

// textSpan says that text[lo:hi] of a worker is the translation of source src.
type textSpan struct{ src, lo, hi int }

// sentState is the decoding state of one sentence of a batch.
type sentState struct {
	maxLen    int     // decoding steps allowed, as Translate
	n         int     // source tokens (EOS included)
	t         int     // its position: the steps it has taken
	row, rows int     // its live rows in this step
	done      int     // finished hypotheses
	score     float64 // the best finished one's score
	best      []int32 // its tokens (a view of bestBuf)
	bestBuf   []int32
	live      bool
	// A Stream's sentence: the request's context (checked before each step's
	// selection) and where the translation goes.
	ctx    context.Context
	result func(string, error)
}

// decode translates the sentences srcs (each ending in EOS, sorted by length) with
// beam size k and length penalty lp into w.sents[i].best; it returns the steps taken.
func (w *translateWorker) decode(ctx context.Context, srcs [][]int32, k int, lp float64) (int, error) {
	m := w.m
	B, S := len(srcs), len(srcs[len(srcs)-1])
	maxLen := 0
	for _, s := range srcs {
		maxLen = max(maxLen, min(m.Cfg.MaxLen, 2*len(s)+10))
	}
	w.reserve(B, S, k, maxLen)
	w.begin(k, lp)
	defer w.end()
	nb := w.admit(srcs, nil, S, B, 0)
	t := 0
	for ; nb > 0; t++ {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		var err error
		if nb, err = w.step(B, nb); err != nil {
			return t + 1, err
		}
	}
	return t, nil
}

// begin prepares the worker's decoder for decoding with beam k and length penalty lp.
func (w *translateWorker) begin(k int, lp float64) {
	w.k, w.lp = k, lp
	w.m.Training = false
	w.d.nonFinite = false
}

// end detaches the batch's rows from the decoder.
func (w *translateWorker) end() {
	d := w.d
	d.segs, d.slot, d.runs, d.pos = nil, nil, nil, nil
}

// admit encodes the sources srcs (each ending in EOS) as one padded batch into the
// sentences at (nil: 0, 1, …) of sents with cross caches of stride positions, and starts
// them at position 0 in rows nb, nb+1, … of the current step; it returns the next
// free row.
func (w *translateWorker) admit(srcs [][]int32, at []int, stride, sents, nb int) int {
	m, k := w.m, w.k
	B, S := len(srcs), 0
	for _, s := range srcs {
		S = max(S, len(s))
	}
	pad := w.pad[:B*S]
	for j, s := range srcs {
		copy(pad[j*S:], s)
		for x := j*S + len(s); x < (j+1)*S; x++ {
			pad[x] = m.Cfg.Pad
		}
	}
	w.d.encodeSources(pad, B, S, at, stride, sents)
	for j, s := range srcs {
		i := j
		if at != nil {
			i = at[j]
		}
		st := &w.sents[i]
		*st = sentState{maxLen: min(m.Cfg.MaxLen, 2*len(s)+10), n: len(s), row: nb, rows: 1, live: true,
			bestBuf: st.bestBuf, ctx: st.ctx, result: st.result}
		w.d.tok[nb] = m.Cfg.BOS
		w.slot[nb], w.ranked[nb] = i*k, nb
		w.logp[i*k] = 0
		nb++
	}
	return nb
}

// step runs one decoder step over the nb rows of the live sentences among w.sents[:B]
// and selects their next tokens: it returns the next step's number of rows.
func (w *translateWorker) step(B, nb int) (int, error) {
	d := w.d
	segs := w.segs[:0]
	pos := w.pos[:nb]
	for i := range w.sents[:B] {
		if st := &w.sents[i]; st.live {
			segs = append(segs, crossSeg{row: st.row, rows: st.rows, sent: i, n: st.n})
			for r := st.row; r < st.row+st.rows; r++ {
				pos[r] = st.t
			}
		}
	}
	runs := w.runs[:0]
	for r, s := range w.slot[:nb] {
		if n := len(runs); n > 0 && runs[n-1].slot+runs[n-1].rows == s && runs[n-1].t == pos[r] {
			runs[n-1].rows++
			continue
		}
		runs = append(runs, selfRun{row: r, rows: 1, slot: s, t: pos[r]})
	}
	w.segs, d.segs = segs, segs
	w.runs, d.runs, d.slot, d.pos = runs, runs, w.slot[:nb], pos
	if w.k == 1 {
		d.stepLogits(d.tok, nb, 0) // greedy: the largest logit is the most likely token
	} else {
		d.step(d.tok, nb, 0)
	}
	if d.nonFinite {
		return 0, d.Err() // NaN scores cannot be ranked
	}
	for i := range w.sents[:B] { // a request that has gone stops here
		if st := &w.sents[i]; st.live && st.ctx != nil && st.ctx.Err() != nil {
			st.live = false
		}
	}
	if w.k == 1 {
		nb = w.greedyStep(B)
	} else {
		nb = w.beamStep(B)
	}
	w.slot, w.slot2 = w.slot2, w.slot
	w.ranked, w.ranked2 = w.ranked2, w.ranked
	return nb, nil
}

// greedyStep takes each live sentence's most likely token (as Decoder.Greedy), sets
// the next step's rows (in d.tok, w.slot2, w.ranked2) and returns their number.
func (w *translateWorker) greedyStep(B int) int {
	m, d, L := w.m, w.d, w.maxLen
	nb := 0
	for i := range w.sents[:B] {
		st := &w.sents[i]
		if !st.live {
			continue
		}
		r, t := st.row, st.t
		s := w.slot[r]
		next := m.greedyToken(d.logp[r*m.V : (r+1)*m.V])
		n := t // tokens of the translation
		if next != m.Cfg.EOS {
			w.hist[s*L+t] = next
			n++
		}
		if next == m.Cfg.EOS || t+1 == st.maxLen {
			st.best = append(st.bestBuf[:0], w.hist[s*L:s*L+n]...)
			st.bestBuf, st.live = st.best, false
			continue
		}
		st.row, st.t = nb, t+1
		d.tok[nb], w.slot2[nb], w.ranked2[nb] = next, s, nb
		nb++
	}
	return nb
}

// beamStep runs one step of BeamSearch for every live sentence, sets the next step's
// rows (in d.tok, w.slot2, w.ranked2) and returns their number.
func (w *translateWorker) beamStep(B int) int {
	m, d, L, k, lp := w.m, w.d, w.maxLen, w.k, w.lp
	nb := 0
	for i := range w.sents[:B] {
		st := &w.sents[i]
		if !st.live {
			continue
		}
		t := st.t
		cands := w.cands[:0]
		for _, r := range w.ranked[st.row : st.row+st.rows] {
			cands = m.bestCandidates(cands, d.logp[r*m.V:(r+1)*m.V], r, w.logp[w.slot[r]], 2*k)
		}
		w.cands = cands
		kids := w.kids[:0]
		for rank, c := range cands {
			if c.tok == m.Cfg.EOS {
				// As BeamSearch: only an EOS among the k best finishes a hypothesis.
				if s := w.slot[c.beam]; rank < k && st.done < k {
					st.finish(w.hist[s*L:s*L+t], nil, c.logp, t+1, lp)
				}
				continue
			}
			if len(kids) < k {
				kids = append(kids, c)
			}
		}
		w.kids = kids
		switch {
		case st.done >= k || len(kids) == 0:
			st.live = false
		case t+1 == st.maxLen:
			for _, c := range kids {
				s := w.slot[c.beam]
				st.finish(w.hist[s*L:s*L+t], &c.tok, c.logp, t+1, lp)
			}
			st.live = false
		}
		if st.live {
			nb = w.place(st, i, nb, t)
			st.t = t + 1
		}
	}
	return nb
}

// place gives the continuing candidates w.kids of sentence i (step t) their cache
// slots and the rows from nb on of the next step; it returns the next free row.
func (w *translateWorker) place(st *sentState, i, nb, t int) int {
	d, L, k := w.d, w.maxLen, w.k
	base := i * k
	kidAt := w.kidAt[:k]
	for j := range kidAt {
		kidAt[j] = -1
	}
	kidSlot, kidRow := w.kidSlot[:len(w.kids)], w.kidRow[:len(w.kids)]
	for j, c := range w.kids { // the first child of a parent continues in its slot
		kidSlot[j] = -1
		if s := w.slot[c.beam]; kidAt[s-base] < 0 {
			kidAt[s-base], kidSlot[j] = j, s
		}
	}
	free := 0
	for j, c := range w.kids { // the others get a copy in a slot no child continues from
		if kidSlot[j] >= 0 {
			continue
		}
		for kidAt[free] >= 0 {
			free++
		}
		kidAt[free], kidSlot[j] = j, base+free
		from, to := w.slot[c.beam], base+free
		d.copySlot(to, from, t)
		copy(w.hist[to*L:to*L+t], w.hist[from*L:from*L+t])
	}
	for j, c := range w.kids {
		s := kidSlot[j]
		w.hist[s*L+t], w.logp[s] = c.tok, c.logp
	}
	st.row, st.rows = nb, len(w.kids)
	for off, j := range kidAt { // rows in slot order
		if j >= 0 {
			d.tok[nb], w.slot2[nb], kidRow[j] = w.kids[j].tok, base+off, nb
			nb++
		}
	}
	copy(w.ranked2[st.row:nb], kidRow)
	return nb
}

// finish records a finished hypothesis: tokens (then last, if not nil), summed
// log-probability logp, length counted for the penalty. The best score wins; among
// equal scores the first (BeamSearch's stable sort).
func (st *sentState) finish(tokens []int32, last *int32, logp float64, length int, lp float64) {
	st.done++
	score := logp / math.Pow(float64(length), lp)
	if st.done > 1 && !(score > st.score) {
		return
	}
	st.score = score
	st.best = append(st.bestBuf[:0], tokens...)
	if last != nil {
		st.best = append(st.best, *last)
	}
	st.bestBuf = st.best
}

// reserve sizes the worker for B sentences of up to S source tokens, beam k and
// maxLen decoding steps.
func (w *translateWorker) reserve(B, S, k, maxLen int) {
	slots := B * k
	if w.d == nil || w.d.Beam < slots || w.d.MaxLen < maxLen {
		beam, l := slots, maxLen
		if w.d != nil {
			beam, l = max(beam, w.d.Beam), max(l, w.d.MaxLen)
		}
		w.d = w.m.newDecoder(beam, l, w.w)
	}
	w.maxLen = w.d.MaxLen
	slots = w.d.Beam
	grow := func(x []int32, n int) []int32 {
		if len(x) < n {
			return make([]int32, n)
		}
		return x
	}
	growInts := func(x []int, n int) []int {
		if len(x) < n {
			return make([]int, n)
		}
		return x
	}
	w.pad = grow(w.pad, B*S)
	w.hist = grow(w.hist, slots*w.maxLen)
	if len(w.logp) < slots {
		w.logp = make([]float64, slots)
	}
	w.slot, w.slot2 = growInts(w.slot, slots), growInts(w.slot2, slots)
	w.ranked, w.ranked2 = growInts(w.ranked, slots), growInts(w.ranked2, slots)
	w.kidSlot, w.kidRow, w.kidAt = growInts(w.kidSlot, k), growInts(w.kidRow, k), growInts(w.kidAt, k)
	if cap(w.kids) < k {
		w.kids = make([]candidate, 0, k)
	}
	if cap(w.cands) < 2*k {
		w.cands = make([]candidate, 0, 2*k)
	}
	if len(w.sents) < B {
		w.sents = append(w.sents, make([]sentState, B-len(w.sents))...)
		w.segs = make([]crossSeg, 0, len(w.sents))
	}
	if cap(w.runs) < slots {
		w.runs = make([]selfRun, 0, slots)
	}
	w.pos = growInts(w.pos, slots)
	for i := range w.sents[:B] {
		if cap(w.sents[i].bestBuf) < maxLen {
			w.sents[i].bestBuf = make([]int32, 0, w.maxLen)
		}
	}
}
