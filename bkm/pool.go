package bkm

import (
	"runtime"
	"sync"
)

// pool is a fixed set of worker goroutines that run one job at a time over a shared
// atomic task counter. Starting goroutines per call would allocate; a persistent pool
// keeps the matrix-free products allocation-free in steady state. The workers only
// reference the pool's state (never the owner), so the owner can attach a cleanup
// that stops them when it becomes unreachable.
type pool struct {
	state *poolState
}

type poolState struct {
	wake []chan struct{} // one per extra worker; worker 0 is the caller
	wg   sync.WaitGroup
	// job is the function of the call in flight, nil between calls: idle workers
	// hold no reference to the pool's owner, so the owner can be collected.
	job func(worker int)
}

// newPool starts threads−1 goroutines (the caller is worker 0). The goroutines exit
// when the returned pool is garbage collected.
func newPool(threads int) *pool {
	threads = max(threads, 1)
	st := &poolState{wake: make([]chan struct{}, threads-1)}
	for w := range st.wake {
		ch := make(chan struct{})
		st.wake[w] = ch
		go func(w int, ch chan struct{}, st *poolState) {
			for range ch {
				st.job(w + 1)
				st.wg.Done()
			}
		}(w, ch, st)
	}
	p := &pool{state: st}
	runtime.AddCleanup(p, func(st *poolState) { st.close() }, st)
	return p
}

func (st *poolState) close() {
	for _, ch := range st.wake {
		close(ch)
	}
	st.wake = nil
}

// workers reports how many workers (caller included) a job runs on.
func (p *pool) workers() int { return len(p.state.wake) + 1 }

// do runs fn(worker) on every worker and returns when all are done. fn must be a
// long-lived function value (a method value stored once), or the call allocates.
func (p *pool) do(fn func(worker int)) {
	st := p.state
	st.job = fn
	st.wg.Add(len(st.wake))
	for _, ch := range st.wake {
		ch <- struct{}{}
	}
	fn(0)
	st.wg.Wait()
	st.job = nil
}
