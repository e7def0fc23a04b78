package serve

import (
	"context"
	"fmt"
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

// loop is the batcher: it takes the oldest waiting request, waits up to MaxWait for
// more with the same decoding options until MaxBatch sentences are gathered, decodes
// them with one TranslateBatch call and answers each request with its share. Requests
// with other options wait for a later batch, in arrival order. It returns when the
// queue is closed and drained.
func (s *Server) loop() {
	defer close(s.loopDone)
	var pending []*job
	open := true
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for open || len(pending) > 0 {
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
			if j.beam == first.beam && j.lp == first.lp {
				n += len(j.texts)
			}
		}
		timer.Reset(s.cfg.MaxWait)
	fill:
		for open && n < s.cfg.MaxBatch {
			select {
			case j, ok := <-s.queue:
				if !ok {
					open = false
					break fill
				}
				pending = append(pending, j)
				if j.beam == first.beam && j.lp == first.lp {
					n += len(j.texts)
				}
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		var batch []*job
		rest := pending[:0:0]
		n = 0
		for _, j := range pending {
			if j.beam == first.beam && j.lp == first.lp && (n == 0 || n+len(j.texts) <= s.cfg.MaxBatch) {
				batch = append(batch, j)
				n += len(j.texts)
			} else {
				rest = append(rest, j)
			}
		}
		pending = rest
		s.run(batch)
	}
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
