package train

import (
	"context"
	"errors"
	"slices"
)

// ErrStreamClosed is the error a Stream's pending sentences get when it is closed.
var ErrStreamClosed = errors.New("translate: stream closed")

// Stream is a running decoding batch that sentences join and leave between steps
// (iteration-level, or continuous, batching): Add queues a sentence, and each Step
// first encodes the queued ones (one padded encoder batch) and starts them at
// position 0 beside the sentences already decoding, then steps every live
// hypothesis once, and hands each sentence that finished its translation. A sentence
// never waits for the longest of a batch, and a free place is taken at the next step.
// Each sentence's rows are computed as TranslateBatch computes them (each row as in
// a step of its sentence alone, at its own position), so its translation is
// Translate's for it alone.
//
// A warm Stream allocates one string per translation it hands out and nothing per
// token or step. A Stream holds one of the Translator's workers until Close; it is
// driven by one goroutine at a time (Add, Step and Close are not safe for concurrent
// use).
type Stream struct {
	t     *Translator
	w     *translateWorker
	opts  TranslateOptions
	cap   int   // sentences decoding at once
	free  []int // sentences not in use (indices of w.sents), a stack
	nb    int   // rows of the next step
	queue []streamSentence
	// admission's scratch: the queued sources and their sentences
	srcs [][]int32
	at   []int
	st   BatchStats
	// Token buffers of admitted sentences, for the next Add (a stack), and the
	// translation being spelled: a warm Stream allocates a sentence's string only.
	spare [][]int32
	text  []byte
}

type streamSentence struct {
	ctx    context.Context
	ids    []int32
	result func(string, error)
}

// NewStream starts a Stream decoding up to opts.MaxSentences sentences at once with
// opts's beam and length penalty (opts.MaxTokens is not used: a sentence holds
// model.max_len source positions).
func (t *Translator) NewStream(opts TranslateOptions) (*Stream, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	s := &Stream{t: t, w: t.get(), opts: opts, cap: opts.MaxSentences}
	L := t.m.Cfg.MaxLen
	s.w.m.Reserve(s.cap*L, 1)
	s.w.reserve(s.cap, L, opts.Beam, L)
	s.w.begin(opts.Beam, opts.LenPenalty)
	for i := s.cap - 1; i >= 0; i-- {
		s.free = append(s.free, i)
	}
	return s, nil
}

// Options are the stream's decoding options.
func (s *Stream) Options() TranslateOptions { return s.opts }

// Room is how many more sentences Add may queue: the free places less those queued.
func (s *Stream) Room() int { return len(s.free) - len(s.queue) }

// Len is how many sentences are queued or decoding.
func (s *Stream) Len() int { return s.cap - s.Room() }

// Add queues src to join the batch at the next Step; result receives its
// translation (or the error that stopped it: ctx's when ctx is done before it
// finishes, the model's when it produced non-finite scores, ErrStreamClosed). It
// panics when Room is 0.
func (s *Stream) Add(ctx context.Context, src string, result func(string, error)) {
	if s.Room() <= 0 {
		panic("train: Stream.Add: no room (check Room)")
	}
	var buf []int32
	if n := len(s.spare); n > 0 {
		buf, s.spare = s.spare[n-1], s.spare[:n-1]
	}
	ids := appendSourceIDs(buf, s.t.tok, src, s.t.m.Cfg.MaxLen, s.t.m.Cfg.EOS)
	s.queue = append(s.queue, streamSentence{ctx, ids, result})
}

// Step admits the queued sentences and runs one decoder step; the sentences that
// finish get their results before it returns. It returns the work done so far.
func (s *Stream) Step() BatchStats {
	w := s.w
	if len(s.queue) > 0 {
		s.admit()
	}
	if s.nb == 0 {
		return s.st
	}
	nb, err := w.step(s.cap, s.nb)
	s.st.Steps++
	if err != nil {
		s.Fail(err)
		return s.st
	}
	s.nb = nb
	for i := range w.sents[:s.cap] {
		st := &w.sents[i]
		if st.live || st.result == nil {
			continue
		}
		if err := st.ctx.Err(); err != nil {
			st.result("", err)
		} else {
			s.text = appendDecode(s.t.tok, s.text[:0], st.best)
			st.result(string(s.text), nil)
			s.st.OutputTokens += len(st.best)
		}
		st.ctx, st.result = nil, nil
		s.free = append(s.free, i)
	}
	return s.st
}

// admit encodes the queued sentences (whose requests are still waiting) into free
// places, shortest first, and starts them in the next step.
func (s *Stream) admit() {
	q := s.queue
	s.queue = s.queue[:0]
	slices.SortStableFunc(q, func(a, b streamSentence) int { return len(a.ids) - len(b.ids) })
	srcs, at := s.srcs[:0], s.at[:0]
	for _, e := range q {
		if err := e.ctx.Err(); err != nil {
			e.result("", err)
			s.spare = append(s.spare, e.ids[:0])
			continue
		}
		i := s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
		st := &s.w.sents[i]
		st.ctx, st.result = e.ctx, e.result
		srcs, at = append(srcs, e.ids), append(at, i)
		s.st.SourceTokens += len(e.ids)
	}
	clear(q)
	s.srcs, s.at = srcs, at
	if len(srcs) == 0 {
		return
	}
	s.st.Batches++
	s.nb = s.w.admit(srcs, at, s.t.m.Cfg.MaxLen, s.cap, s.nb)
	for _, ids := range srcs { // encoded: the buffers serve the next sentences
		s.spare = append(s.spare, ids[:0])
	}
	clear(srcs)
}

// Fail ends every sentence, queued or decoding, with err; the stream stays usable.
func (s *Stream) Fail(err error) {
	for _, e := range s.queue {
		e.result("", err)
		s.spare = append(s.spare, e.ids[:0])
	}
	clear(s.queue)
	s.queue = s.queue[:0]
	for i := range s.w.sents[:s.cap] {
		st := &s.w.sents[i]
		if st.result == nil {
			continue
		}
		st.result("", err)
		st.ctx, st.result, st.live = nil, nil, false
		s.free = append(s.free, i)
	}
	s.nb = 0
	s.w.d.nonFinite = false
}

// Close ends the sentences still queued or decoding with ErrStreamClosed and gives
// the worker back to the Translator. The Stream is not used after.
func (s *Stream) Close() {
	if s.w == nil {
		return
	}
	s.Fail(ErrStreamClosed)
	s.w.end()
	s.t.put(s.w)
	s.w = nil
}
