package serve

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kernelmachines/bkm/train"
)

// job is one request waiting for the batcher.
type job struct {
	ctx   context.Context // the request's: a job whose client has gone is not decoded
	texts []string
	beam  int
	lp    float64
	done  chan result // buffered: the batcher never waits for the handler
}

type result struct {
	out []string
	err error
}

// enqueue hands j to the batcher without waiting: false when the queue is full or the
// server is closing.
func (s *Server) enqueue(j *job) bool {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return false
	}
	select {
	case s.queue <- j:
		return true
	default:
		return false
	}
}

// loop is the batcher: Workers decoders, each running a train.Stream (iteration-level
// batching). Between two decoder steps a decoder takes the queued requests while its
// stream has room for them, and their sentences join the running batch at the next
// step; each sentence leaves it when it finishes, and a request is answered when its
// last sentence is. So no request waits for a batch to form or for the longest
// sentence of a batch, and a decoder with nothing to do waits for the next request.
// The jobs stay in the bounded queue until a decoder has room (so 503 still means
// "queue full"). It returns when the queue is closed and drained and the decoders are
// done.
func (s *Server) loop() {
	defer close(s.loopDone)
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.decode()
		}()
	}
	wg.Wait()
}

// running is a job taken by a decoder: its sentences from next on have not joined
// the stream yet, left are not answered yet.
type running struct {
	*job
	next, left int
	out        []string
	err        error
}

// decode is one decoder's loop. A stream decodes with one beam size and length
// penalty: a job asking for others waits, at the head of the decoder's jobs, until
// the stream has drained, and a new stream with its options takes over.
func (s *Server) decode() {
	d := &decoder{s: s}
	defer func() {
		if d.st != nil {
			d.st.Close()
		}
	}()
	open := true
	// An idle decoder that takes a request may wait up to MaxWait for more, so they
	// start together (one encoder batch, a fuller first step); the wait ends early
	// when the stream is full.
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	var deadline time.Time
	for {
		// Take queued jobs while every taken one has joined and there is room; wait
		// for one only when there is nothing to decode.
		for d.admit(); open && len(d.jobs) == 0 && (d.st == nil || d.st.Room() > 0); d.admit() {
			var j *job
			ok := true
			if d.st != nil && d.st.Len() > 0 {
				if left := time.Until(deadline); left > 0 {
					wait.Reset(left)
					select {
					case j, ok = <-s.queue:
					case <-wait.C:
					}
					wait.Stop()
				} else {
					select {
					case j, ok = <-s.queue:
					default:
					}
				}
			} else {
				j, ok = <-s.queue
				if ok && s.cfg.MaxWait > 0 {
					deadline = time.Now().Add(s.cfg.MaxWait)
				}
			}
			if !ok {
				open = false
			}
			if j == nil {
				break
			}
			d.jobs = append(d.jobs, &running{job: j, left: len(j.texts), out: make([]string, len(j.texts))})
		}
		if d.st == nil || d.st.Len() == 0 {
			if !open && len(d.jobs) == 0 {
				return
			}
			continue
		}
		d.step()
		// Let the handlers run: with every P busy stepping, a request that has arrived
		// would wait for the scheduler's preemption (10 ms) before it is queued and
		// can join the next step.
		runtime.Gosched()
	}
}

// decoder is the state of one decoder's loop.
type decoder struct {
	s    *Server
	st   *train.Stream
	jobs []*running // taken from the queue, oldest first, not fully admitted
	last train.BatchStats
	done int // sentences translated since the last step's metrics
}

// admit adds the taken jobs' sentences to the stream while they fit, starting a
// stream with the oldest job's options when there is none or it has drained.
func (d *decoder) admit() {
	if len(d.jobs) == 0 {
		return
	}
	if d.st == nil || (d.st.Len() == 0 && !fits(d.st, d.jobs[0].job)) {
		if d.st != nil {
			d.st.Close()
		}
		var err error
		d.st, err = d.s.tr.NewStream(train.TranslateOptions{Beam: d.jobs[0].beam, LenPenalty: d.jobs[0].lp, MaxSentences: d.s.cfg.MaxBatch})
		if err != nil {
			panic(err) // the request's options were checked
		}
		d.last = train.BatchStats{}
	}
	for len(d.jobs) > 0 && fits(d.st, d.jobs[0].job) && d.st.Room() > 0 {
		r := d.jobs[0]
		for ; r.next < len(r.texts) && d.st.Room() > 0; r.next++ {
			i := r.next
			addGuarded(d.st, r.ctx, r.texts[i], func(out string, err error) {
				r.out[i] = out
				switch {
				case err == nil:
					d.done++
				case r.err == nil:
					r.err = err
				}
				if r.left--; r.left == 0 {
					r.finish()
				}
			})
		}
		if r.next < len(r.texts) {
			break
		}
		d.jobs = d.jobs[1:]
	}
}

// addGuarded adds text to st; a panic while it is read (a tokenizer bug) answers that
// sentence with an error (500) instead of taking the server down, as step does for
// the decoding.
func addGuarded(st *train.Stream, ctx context.Context, text string, result func(string, error)) {
	defer func() {
		if r := recover(); r != nil {
			result("", fmt.Errorf("internal error: %v", r))
		}
	}()
	st.Add(ctx, text, result)
}

// step runs one decoder step and counts it; a panic (a bug) answers the stream's
// sentences with an error (500) instead of taking the server down.
func (d *decoder) step() {
	s := d.s
	if s.beforeStep != nil {
		s.beforeStep(d.st.Len())
	}
	decoding := d.st.Len()
	start := time.Now()
	now := func() (bs train.BatchStats) {
		defer func() {
			if r := recover(); r != nil {
				d.st.Fail(fmt.Errorf("internal error: %v", r))
				bs = d.last
			}
		}()
		return d.st.Step()
	}()
	s.metrics.step(decoding, d.done, train.BatchStats{Batches: now.Batches - d.last.Batches,
		SourceTokens: now.SourceTokens - d.last.SourceTokens, OutputTokens: now.OutputTokens - d.last.OutputTokens}, time.Since(start))
	d.last, d.done = now, 0
}

// fits reports whether j's sentences can join st: the same beam and length penalty.
func fits(st *train.Stream, j *job) bool {
	o := st.Options()
	return o.Beam == j.beam && o.LenPenalty == j.lp
}

// finish answers the job.
func (r *running) finish() {
	if r.err != nil {
		r.done <- result{err: r.err}
		return
	}
	r.done <- result{out: r.out}
}
