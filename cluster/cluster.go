package cluster

import (
	"fmt"
	"sync"
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
	mu.Lock()
	defer mu.Unlock()
	if err := now.check("Finalize"); err != nil {
		return err
	}
	now = stateFinalized
	return stop()
}

// Rank is this process's rank in [0, Size) (MPI_Comm_rank, read once by Init).
func Rank() int {
	mu.Lock()
	defer mu.Unlock()
	now.mustRun("Rank")
	return rank
}

// Size is the number of ranks (MPI_Comm_size, read once by Init).
func Size() int {
	mu.Lock()
	defer mu.Unlock()
	now.mustRun("Size")
	return size
}

// locked runs call holding the lock, if the job is running.
func locked(op string, call func() error) error {
	mu.Lock()
	defer mu.Unlock()
	if err := now.check(op); err != nil {
		return err
	}
	return call()
}
