package serve

import (
	"context"
	"fmt"
	"slices"
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

// length is the job's bucketing key: its longest text in bytes (a proxy for tokens).
func (j *job) length() int {
	n := 0
	for _, t := range j.texts {
		n = max(n, len(t))
	}
	return n
}

// sameOptions reports whether j can share a TranslateBatch call with o.
func (j *job) sameOptions(o *job) bool { return j.beam == o.beam && j.lp == o.lp }

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

// loop is the batcher. It runs Workers decoders, each decoding one batch at a time
// (TranslateBatch of one batch runs on one worker of the Translator, so two batches
// use two cores). When a decoder is free, the loop forms its batch at that moment, so
// that it holds every request that arrived while the decoders were busy: the oldest
// waiting request, joined by others with the same decoding options until MaxBatch
// sentences. It waits up to MaxWait for more, but only while the other decoders are
// all busy (so with a decoder idle, or with one decoder, a lone request is decoded at
// once). Among more
// waiting requests than fit, it takes those of the most similar length to the
// oldest's (less padding, sentences that finish together). The oldest always goes,
// so nothing starves. It returns when the queue is closed and drained and the
// decoders are done.
func (s *Server) loop() {
	defer close(s.loopDone)
	free := make(chan struct{}, s.cfg.Workers) // a token per idle decoder
	work := make(chan []*job)
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		free <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range work {
				s.run(batch)
				free <- struct{}{}
			}
		}()
	}
	defer func() {
		close(work)
		wg.Wait()
	}()
	var pending []*job
	open := true
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	// Before a batch is picked, the queued jobs move into pending, up to a pool of
	// poolBatches batches to choose from (the rest stays in the bounded queue).
	const poolBatches = 4
	for open || len(pending) > 0 {
		<-free // the jobs stay in the bounded queue until a decoder can take them
		if len(pending) == 0 {
			j, ok := <-s.queue
			if !ok {
				return
			}
			pending = append(pending, j)
		}
		first := pending[0]
		n := 0
		for _, j := range pending {
			if j.sameOptions(first) {
				n += len(j.texts)
			}
		}
		// While every other decoder is busy (and there is another), wait up to MaxWait
		// for the batch to fill: the clients a decoder just answered come back and join,
		// so batches merge instead of keeping the sizes they started with. A lone
		// decoder with nothing running never waits. Then take what is queued without
		// waiting, up to the pool.
		var deadline <-chan time.Time
		if n < s.cfg.MaxBatch && s.cfg.Workers > 1 && len(free) == 0 {
			timer.Reset(s.cfg.MaxWait)
			deadline = timer.C
		}
		for open && n < poolBatches*s.cfg.MaxBatch {
			if n >= s.cfg.MaxBatch {
				deadline = nil
			}
			var j *job
			var ok bool
			if deadline != nil {
				select {
				case j, ok = <-s.queue:
				case <-deadline:
					deadline = nil
					continue
				}
			} else {
				empty := false
				select {
				case j, ok = <-s.queue:
				default:
					empty = true
				}
				if empty {
					break
				}
			}
			if !ok {
				open = false
				break
			}
			pending = append(pending, j)
			if j.sameOptions(first) {
				n += len(j.texts)
			}
		}
		timer.Stop()
		var batch []*job
		batch, pending = s.pick(pending)
		work <- batch
	}
}

// pick takes from pending (oldest first) the next batch: the oldest job and, of the
// jobs with its options, those closest to it in length while they fit MaxBatch
// sentences. It returns the batch and the jobs left, in arrival order.
func (s *Server) pick(pending []*job) (batch, rest []*job) {
	first := pending[0]
	var same []*job
	for _, j := range pending[1:] {
		if j.sameOptions(first) {
			same = append(same, j)
		}
	}
	key := first.length()
	slices.SortStableFunc(same, func(a, b *job) int {
		da, db := a.length()-key, b.length()-key
		return max(da, -da) - max(db, -db)
	})
	chosen := map[*job]bool{first: true}
	n := len(first.texts)
	for _, j := range same {
		if n+len(j.texts) <= s.cfg.MaxBatch {
			chosen[j] = true
			n += len(j.texts)
		}
	}
	for _, j := range pending {
		if chosen[j] {
			batch = append(batch, j)
		} else {
			rest = append(rest, j)
		}
	}
	return batch, rest
}

// run decodes the sentences of the jobs whose clients are still waiting as one batch
// and sends each job its translations.
func (s *Server) run(jobs []*job) {
	if s.beforeBatch != nil {
		s.beforeBatch()
	}
	var texts []string
	live := jobs[:0:0]
	for _, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			j.done <- result{err: err}
			continue
		}
		live = append(live, j)
		texts = append(texts, j.texts...)
	}
	if len(live) == 0 {
		return
	}
	opts := train.TranslateOptions{Beam: live[0].beam, LenPenalty: live[0].lp, MaxSentences: s.cfg.MaxBatch, MaxTokens: s.cfg.MaxTokens}
	t0 := time.Now()
	out, st, err := s.translate(texts, opts)
	s.metrics.batch(len(texts), st.SourceTokens, st.OutputTokens, time.Since(t0))
	for _, j := range live {
		if err != nil {
			j.done <- result{err: err}
			continue
		}
		j.done <- result{out: out[:len(j.texts):len(j.texts)]}
		out = out[len(j.texts):]
	}
}

// translate is TranslateBatchStats with a panic turned into an error, so that a bug
// answers 500 instead of taking the server down. The batch is not cancelled when a
// client leaves: the others are waiting for it.
func (s *Server) translate(texts []string, opts train.TranslateOptions) (out []string, st train.BatchStats, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return s.tr.TranslateBatchStats(context.Background(), texts, opts)
}
