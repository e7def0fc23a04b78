package par

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Job is the body of a parallel loop.
type Job interface {
	// Task runs task i of the call. worker is in [0, workers) of the call and no two
	// tasks of one call run at the same time with the same worker, so per-worker
	// scratch can be indexed by it. The caller is worker 0.
	Task(worker, i int)
}

// MaxWorkers bounds the goroutines of one call (the pool never grows past
// MaxWorkers−1 goroutines).
const MaxWorkers = 1 << 10

// spinWait is how long an idle pool goroutine polls for the next ticket, and a caller
// for its last tasks, before parking. Waking a parked goroutine whose thread sleeps
// costs tens to hundreds of µs under a hypervisor, while back-to-back calls (GEMMs of
// a layer, attention phases) come microseconds apart. runtime.Gosched between polls
// keeps the polling fair to other goroutines. See doc.go for the measurements.
// BKM_PAR_SPIN (a Go duration, e.g. 2ms) sets it for measuring the policy.
var spinWait = spinBudget(os.Getenv("BKM_PAR_SPIN"))

const defaultSpinWait = 200 * time.Microsecond

// spinBudget parses BKM_PAR_SPIN; empty is the default, anything else not a
// non-negative duration panics (a measurement must not silently run another policy).
func spinBudget(env string) time.Duration {
	if env == "" {
		return defaultSpinWait
	}
	d, err := time.ParseDuration(env)
	if err != nil || d < 0 {
		panic(fmt.Sprintf("par: BKM_PAR_SPIN=%q is not a non-negative duration", env))
	}
	return d
}

// Run runs job.Task(worker, i) for every i in [0, n) on up to workers goroutines —
// the caller and up to workers−1 pool goroutines — and returns when all are done.
// Tasks are claimed one at a time, so a pool goroutine that starts late (or not at
// all, when every one is busy) leaves its share to the others and never holds the
// call up. Run is safe for concurrent use, and a task may call Run itself.
//
// Run does not allocate when job is a pointer (or another pointer-shaped value) —
// keep the job struct with its owner and reuse it call after call.
func Run(n, workers int, job Job) {
	if int64(n) > math.MaxUint32 { // int64: the constant does not fit a 32-bit int
		panic(fmt.Sprintf("par: Run: n = %d > %d tasks", n, uint64(math.MaxUint32)))
	}
	helpers := min(workers, n, MaxWorkers) - 1
	tr := tracing.Load()
	if helpers <= 0 {
		if tr {
			count(tAlone, 1)
		}
		for i := range n {
			job.Task(0, i)
		}
		return
	}
	var t0 int64
	if tr {
		t0 = now()
		count(tCalls, 1)
		count(tTasks, int64(n))
	}
	startWorkers(helpers)
	g := getGroup()
	g.gen++
	gen := g.gen
	g.job = job
	g.done.Store(0)
	g.claim.Store(uint64(gen) << 32) // publishes job
	for w := 1; w <= helpers; w++ {
		select {
		case tickets <- ticket{g, gen, uint32(n), w, t0}:
			if tr {
				count(tInvites, 1)
			}
		default: // the queue is full: the caller and others claim this share
			if tr {
				count(tFull, 1)
			}
		}
	}
	g.work(gen, uint32(n), 0)
	var t1 int64
	if tr {
		t1 = now()
	}
	// The remaining tasks are running (they were claimed): wait for them by polling a
	// little before parking, for the reason given at spinWait.
	for deadline := time.Now().Add(spinWait); g.done.Load() < uint32(n) && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	if tr {
		traceCallerWait(g, uint32(n), t0, t1)
	} else {
		<-g.finished
	}
	g.job = nil // idle groups hold no reference to their last job's owner
	putGroup(g)
}

// Chunk returns the bounds [lo, hi) of chunk i when [0, n) is cut into parts
// contiguous chunks whose sizes differ by at most one.
func Chunk(i, parts, n int) (lo, hi int) {
	return i * n / parts, (i + 1) * n / parts
}

// group is the shared state of one call. Groups are reused; the generation in claim
// tells a pool goroutine holding a ticket of an earlier call that it is over, so it
// touches nothing else. The task count travels in the ticket, not in the group: a
// late goroutine that read the count of the next call on a reused group (published
// before its generation) could claim and run a task of that call under a worker index
// already in use.
type group struct {
	// claim = generation<<32 | next unclaimed task, updated atomically: a task is
	// claimed by a compare-and-swap that also checks the generation.
	claim atomic.Uint64
	done  atomic.Uint32 // tasks finished
	// finished receives once per call, from whoever finishes the last task.
	finished chan struct{}
	gen      uint32 // the caller's copy of the generation
	job      Job    // read only under a validated claim
}

// work claims and runs tasks of generation gen, which has n tasks, as worker w until
// none is left, and returns how many it ran.
func (g *group) work(gen, n uint32, w int) (ran int) {
	for {
		v := g.claim.Load()
		if uint32(v>>32) != gen {
			return ran // a later call reuses this group
		}
		i := uint32(v)
		if i >= n {
			return ran
		}
		if !g.claim.CompareAndSwap(v, v+1) {
			continue
		}
		g.job.Task(w, int(i))
		ran++
		if g.done.Add(1) == n {
			g.finished <- struct{}{}
		}
	}
}

// freeGroups keeps groups for reuse.
var freeGroups = NewFreeList[group](64)

func getGroup() *group {
	if g := freeGroups.Get(); g != nil {
		return g
	}
	return &group{finished: make(chan struct{}, 1)}
}

func putGroup(g *group) { freeGroups.Put(g) }

// FreeList keeps up to a fixed number of objects for reuse. Unlike a sync.Pool it is
// not emptied by the garbage collector, so steady-state calls stay allocation-free
// after every GC (a pool of large buffers, dropped and re-allocated, also triggers
// the next GC sooner). It is safe for concurrent use.
type FreeList[T any] struct{ free chan *T }

// NewFreeList returns an empty list that keeps at most size objects.
func NewFreeList[T any](size int) FreeList[T] { return FreeList[T]{make(chan *T, size)} }

// Get returns a kept object, or nil when there is none.
func (l FreeList[T]) Get() *T {
	select {
	case v := <-l.free:
		return v
	default:
		return nil
	}
}

// Put keeps v for a later Get, or drops it when the list is full.
func (l FreeList[T]) Put(v *T) {
	select {
	case l.free <- v:
	default:
	}
}

// ticket invites one pool goroutine to join call gen of g as worker w.
type ticket struct {
	g   *group
	gen uint32
	n   uint32 // tasks of the call
	w   int
	// sent is when the ticket was sent (now()), 0 when the call was not traced.
	sent int64
}

// The pool: goroutines started on first need and kept for the life of the process,
// serving every call of every package. A call sends one ticket per helper it wants;
// sends never block (a full queue only means less help).
var (
	tickets   = make(chan ticket, 64)
	workersMu sync.Mutex
	started   atomic.Int32
)

// startWorkers makes sure the pool has at least n goroutines.
func startWorkers(n int) {
	if int(started.Load()) >= n {
		return
	}
	workersMu.Lock()
	for int(started.Load()) < n {
		go poolWorker()
		started.Add(1)
	}
	workersMu.Unlock()
}

func poolWorker() {
	for {
		var t ticket
		if tracing.Load() {
			t = traceTicket()
		} else if tk, ok := pollTicket(); ok {
			t = tk
		} else {
			t = <-tickets
		}
		if t.sent != 0 {
			traceWork(t)
			continue
		}
		t.g.work(t.gen, t.n, t.w)
	}
}

// pollTicket looks for a ticket for up to spinWait without parking.
func pollTicket() (ticket, bool) {
	deadline := time.Now().Add(spinWait)
	for {
		select {
		case t := <-tickets:
			return t, true
		default:
		}
		if !time.Now().Before(deadline) {
			return ticket{}, false
		}
		runtime.Gosched()
	}
}
