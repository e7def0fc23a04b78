package cluster

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// World is the world communicator as a value: its methods are the package functions,
// so it satisfies small interfaces such as bkm.Comm without the caller importing cgo.
type World struct{}

func (World) Rank() int                                      { return Rank() }
func (World) Size() int                                      { return Size() }
func (World) AllReduceSumFloat32(buf []float32) error        { return AllReduceSumFloat32(buf) }
func (World) AllReduceSumFloat64(buf []float64) error        { return AllReduceSumFloat64(buf) }
func (World) BroadcastFloat32(buf []float32, root int) error { return BroadcastFloat32(buf, root) }
func (World) BroadcastFloat64(buf []float64, root int) error { return BroadcastFloat64(buf, root) }
func (World) BroadcastBytes(buf []byte, root int) error      { return BroadcastBytes(buf, root) }
func (World) Barrier() error                                 { return Barrier() }
func (World) AllGatherFloat32(buf []float32, counts []int) error {
	return AllGatherFloat32(buf, counts)
}
func (World) StartAllReduceSumFloat32(buf []float32) (Pending, error) {
	return StartAllReduceSumFloat32(buf)
}
func (World) StartReduceScatterFloat32(buf, scratch []float32, counts []int) (Pending, error) {
	return StartReduceScatterFloat32(buf, scratch, counts)
}

// Pending is a collective started and not yet known to be complete: Test progresses
// it and reports whether it has completed, Wait returns when it has (bounded by
// SetTimeout). Its buffer belongs to the collective until then. It is an alias of an
// unnamed interface so that packages that must not import cluster (train) can name
// the same type.
type Pending = interface {
	Test() (bool, error)
	Wait() error
}

// state is where the process is in MPI's life cycle: a call outside Init..Finalize is
// an error, not a crash inside the C library.
type state int

const (
	stateNew state = iota
	stateRunning
	stateFinalized
)

func (s state) check(op string) error {
	switch s {
	case stateNew:
		return fmt.Errorf("cluster: %s before Init", op)
	case stateFinalized:
		return fmt.Errorf("cluster: %s after Finalize", op)
	}
	return nil
}

// mustRun panics with the name of the call when MPI is not running: Rank and Size
// have no error to return, and asking before Init is a programming error.
func (s state) mustRun(op string) {
	if err := s.check(op); err != nil {
		panic(err.Error())
	}
}

// The life cycle is shared by both implementations; start and stop are theirs.
var (
	mu         sync.Mutex // every call holds it: with MPI, MPI_THREAD_SERIALIZED
	now        state
	rank, size int
)

// Init starts the job: with MPI, MPI_Init_thread (see mpi.go); alone, rank 0 of 1.
// Calling it twice is an error.
func Init() error {
	mu.Lock()
	defer mu.Unlock()
	if now != stateNew {
		return fmt.Errorf("cluster: Init called twice")
	}
	return start()
}

// Finalize ends the job (MPI_Finalize); every call after it fails.
func Finalize() error {
	return locked("Finalize", func() error {
		now = stateFinalized
		return stop()
	})
}

// Rank is this process's rank in [0, Size) (MPI_Comm_rank, read once by Init).
func Rank() int {
	if stuck.Load() != nil { // the lock is held by the call that never returned
		return rank
	}
	mu.Lock()
	defer mu.Unlock()
	now.mustRun("Rank")
	return rank
}

// Size is the number of ranks (MPI_Comm_size, read once by Init).
func Size() int {
	if stuck.Load() != nil {
		return size
	}
	mu.Lock()
	defer mu.Unlock()
	now.mustRun("Size")
	return size
}

var (
	timeout atomic.Int64          // nanoseconds a call may take; 0 = no limit
	stuck   atomic.Pointer[error] // set when a call timed out: every later call fails with it
)

// SetTimeout bounds every later collective call (all-reduce, broadcast, barrier, and
// Finalize) to d; d ≤ 0 removes the bound. A collective waits for every rank, so a
// rank that died or hangs would block the others forever: with a bound, the call
// returns an error naming the operation, this rank and the limit instead. The C call
// cannot be cancelled and keeps its thread: after a timeout every call fails at once
// with the same error, and the process should report it and exit (mpirun, srun or the
// MPIJob controller then stops the remaining ranks).
func SetTimeout(d time.Duration) { timeout.Store(int64(max(d, 0))) }

// locked runs call holding the lock, if the job is running and no earlier call timed
// out, and gives up on it after the timeout (SetTimeout).
func locked(op string, call func() error) error {
	if err := stuck.Load(); err != nil {
		return *err
	}
	d := time.Duration(timeout.Load())
	if d <= 0 {
		return lockedCall(op, call)
	}
	done := make(chan error, 1)
	go func() { done <- lockedCall(op, call) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return timedOut(op, d)
	}
}

// timedOut records that op did not complete within d: every later call fails with
// the error returned.
func timedOut(op string, d time.Duration) error {
	err := fmt.Errorf("cluster: rank %d of %d: %s did not complete within %v: another rank has died or stopped responding",
		rank, size, op, d)
	stuck.CompareAndSwap(nil, &err)
	return *stuck.Load()
}

// unbounded runs a call that does not wait for other ranks (starting or testing a
// nonblocking collective) holding the lock, if the job is running and no earlier call
// timed out.
func unbounded(op string, call func() error) error {
	if err := stuck.Load(); err != nil {
		return *err
	}
	return lockedCall(op, call)
}

func lockedCall(op string, call func() error) error {
	mu.Lock()
	defer mu.Unlock()
	if err := now.check(op); err != nil {
		return err
	}
	return call()
}

// checkBlocks checks the blocks of an all-gather: one count per rank, none negative,
// summing to the buffer's length n.
// checkScatter is checkBlocks for a reduce-scatter, which also takes the scratch that
// receives the other ranks' copies of this rank's block: (ranks−1)·counts[rank] elements.
func checkScatter(op string, n int, counts []int, ranks, rank, scratch int) error {
	if err := checkBlocks(op, n, counts, ranks); err != nil {
		return err
	}
	if want := (ranks - 1) * counts[rank]; scratch != want {
		return fmt.Errorf("cluster: %s: scratch holds %d elements, not (size−1)·counts[rank] = %d", op, scratch, want)
	}
	return nil
}

func checkBlocks(op string, n int, counts []int, ranks int) error {
	if len(counts) != ranks {
		return fmt.Errorf("cluster: %s: %d counts for %d ranks", op, len(counts), ranks)
	}
	sum := 0
	for r, c := range counts {
		if c < 0 {
			return fmt.Errorf("cluster: %s: counts[%d] = %d < 0", op, r, c)
		}
		sum += c
	}
	if sum != n {
		return fmt.Errorf("cluster: %s: the counts sum to %d, the buffer holds %d", op, sum, n)
	}
	return nil
}

// completed is a Pending that completed when it started (with err).
type completed struct{ err error }

func (c completed) Test() (bool, error) { return true, c.err }
func (c completed) Wait() error         { return c.err }
