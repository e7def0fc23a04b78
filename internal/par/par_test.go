package par

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countJob records how often each task ran and checks that no worker index is used by
// two tasks at once.
type countJob struct {
	workers int
	runs    []atomic.Int32
	busy    []atomic.Bool
	bad     atomic.Int32 // worker index out of range or in use twice
}

func newCountJob(n, workers int) *countJob {
	return &countJob{workers: workers, runs: make([]atomic.Int32, n), busy: make([]atomic.Bool, max(workers, 1))}
}

func (j *countJob) Task(w, i int) {
	if w < 0 || w >= max(j.workers, 1) || !j.busy[w].CompareAndSwap(false, true) {
		j.bad.Add(1)
		j.runs[i].Add(1)
		return
	}
	j.runs[i].Add(1)
	runtime.Gosched() // let other workers overlap
	j.busy[w].Store(false)
}

// check reports (assert: it is called from several goroutines) any task not run
// exactly once and any misuse of a worker index.
func (j *countJob) check(t *testing.T, msg string) {
	t.Helper()
	assert.Zero(t, j.bad.Load(), "%s: worker index out of range or shared", msg)
	for i := range j.runs {
		assert.Equal(t, int32(1), j.runs[i].Load(), "%s: task %d", msg, i)
	}
}

func TestRunEveryTaskOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3, 8} {
		for _, n := range []int{0, 1, 2, 3, 7, 100, 1000} {
			j := newCountJob(n, workers)
			Run(n, workers, j)
			j.check(t, fmt.Sprintf("n=%d workers=%d", n, workers))
		}
	}
}

// Several goroutines call Run at once; each must finish with its own tasks done once.
// Run with -race.
func TestRunConcurrentCallers(t *testing.T) {
	concurrently(6, func(c int) {
		for rep := range 50 {
			n, workers := 1+(c*37+rep*11)%90, 2+c%3
			j := newCountJob(n, workers)
			Run(n, workers, j)
			j.check(t, fmt.Sprintf("caller %d rep %d", c, rep))
		}
	})
}

// concurrently runs body(c) for c < callers on as many goroutines and waits for all.
func concurrently(callers int, body func(c int)) {
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(c)
		}()
	}
	wg.Wait()
}

// nestJob calls Run from inside its tasks, depth levels deep, the way a parallel
// attention or training section calls a parallel Sgemm.
type nestJob struct {
	depth, workers int
	leaves         *atomic.Int64
}

func (j *nestJob) Task(w, i int) {
	if j.depth == 0 {
		j.leaves.Add(1)
		return
	}
	Run(3, j.workers, &nestJob{j.depth - 1, j.workers, j.leaves})
}

// Nested calls must not deadlock, even when every pool goroutine is busy in an outer
// call (the inner callers then do the work themselves), and concurrently.
func TestRunNested(t *testing.T) {
	done := make(chan struct{})
	var leaves [4]atomic.Int64
	go func() {
		defer close(done)
		concurrently(len(leaves), func(c int) {
			for range 10 {
				Run(3, 2+c, &nestJob{3, 2 + c, &leaves[c]})
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("nested Run did not finish within a minute (deadlock)")
	}
	for c := range leaves {
		require.Equal(t, int64(10*3*3*3*3), leaves[c].Load(), "caller %d", c)
	}
}

type nopJob struct{ sink atomic.Int64 }

func (j *nopJob) Task(w, i int) { j.sink.Add(int64(w + i)) }

// A call allocates nothing once the pool's goroutines and groups exist.
func TestRunNoAllocs(t *testing.T) {
	j := &nopJob{}
	for _, workers := range []int{1, 2, 4} {
		for _, n := range []int{1, 2, 64} {
			Run(n, workers, j)
			allocs := testing.AllocsPerRun(100, func() { Run(n, workers, j) })
			require.Zero(t, allocs, "n=%d workers=%d", n, workers)
		}
	}
}

// After Run returns, nothing in the pool refers to the job, so its owner can be
// collected (bkm's Operator relies on this).
func TestRunDropsJob(t *testing.T) {
	collected := make(chan struct{})
	func() {
		j := newCountJob(10, 3)
		runtime.AddCleanup(j, func(ch chan struct{}) { close(ch) }, collected)
		Run(10, 3, j)
	}()
	require.Eventually(t, func() bool {
		runtime.GC()
		select {
		case <-collected:
			return true
		default:
			return false
		}
	}, 5*time.Second, 10*time.Millisecond)
}

func TestRunPanicsOnHugeN(t *testing.T) {
	if ^uint(0)>>32 == 0 {
		t.Skip("int is 32 bits")
	}
	require.PanicsWithValue(t, "par: Run: n = 4294967296 > 4294967295 tasks", func() { Run(1<<32, 2, &nopJob{}) })
}

func TestChunk(t *testing.T) {
	for _, n := range []int{0, 1, 5, 100, 101} {
		for _, parts := range []int{1, 2, 3, 7} {
			next := 0
			for i := range parts {
				lo, hi := Chunk(i, parts, n)
				require.Equal(t, next, lo, "n=%d parts=%d chunk %d", n, parts, i)
				require.LessOrEqual(t, hi-lo-n/parts, 1, "n=%d parts=%d chunk %d", n, parts, i)
				require.GreaterOrEqual(t, hi-lo, n/parts, "n=%d parts=%d chunk %d", n, parts, i)
				next = hi
			}
			require.Equal(t, n, next, "n=%d parts=%d", n, parts)
		}
	}
}

// BenchmarkRun measures the dispatch overhead of one call of `workers` empty tasks
// on `workers` goroutines: back to back (pool goroutines polling), and after a pause
// longer than spinWait (pool goroutines parked, the cost the polling avoids).
func BenchmarkRun(b *testing.B) {
	j := &nopJob{}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			Run(workers, workers, j)
			b.ReportAllocs()
			for b.Loop() {
				Run(workers, workers, j)
			}
		})
	}
	b.Run("workers=2/parked", func(b *testing.B) {
		Run(2, 2, j)
		for b.Loop() {
			b.StopTimer()
			time.Sleep(2 * spinWait)
			b.StartTimer()
			Run(2, 2, j)
		}
	})
}

func TestFreeList(t *testing.T) {
	l := NewFreeList[int](2)
	require.Nil(t, l.Get())
	a, b, c := new(int), new(int), new(int)
	l.Put(a)
	l.Put(b)
	l.Put(c) // dropped: the list is full
	got := []*int{l.Get(), l.Get()}
	require.ElementsMatch(t, []*int{a, b}, got)
	require.Nil(t, l.Get())
}

// A pool goroutine can hold a ticket of a call that is over: the caller ran every task
// itself before the goroutine woke. The group is then reused by the next call, and
// the late goroutine must not mistake the new call's task count for its own call's
// and run a task of the new job (twice, under a worker index already in use, or on a
// job that is already gone). Short calls followed by longer ones on one goroutine
// make that window likely; run with -race.
func TestRunLateTicketDoesNotJoinTheNextCall(t *testing.T) {
	concurrently(2, func(c int) {
		for rep := range 5000 {
			for _, n := range []int{2 + rep%3, 64} {
				j := newCountJob(n, 3)
				Run(n, 3, j)
				j.check(t, fmt.Sprintf("caller %d rep %d n %d", c, rep, n))
			}
		}
	})
}
