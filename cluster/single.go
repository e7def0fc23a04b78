//go:build !mpi

package cluster

import "fmt"

// The single-process implementation: rank 0 of 1. The sum over one rank and a
// broadcast from rank 0 to itself leave the buffer as it is; the life cycle and the
// root are checked as with MPI, so code tested here behaves alike under mpirun.

func start() error {
	now, rank, size = stateRunning, 0, 1
	return nil
}

func stop() error { return nil }

func noop() error { return nil }

func checkRoot(op string, root int) func() error {
	return func() error {
		if root != 0 {
			return fmt.Errorf("cluster: %s: invalid root %d (size 1)", op, root)
		}
		return nil
	}
}

// AllReduceSumFloat32 leaves buf as it is: the sum over one rank.
func AllReduceSumFloat32(buf []float32) error { return locked("AllReduceSumFloat32", noop) }

// AllReduceSumFloat64 leaves buf as it is.
func AllReduceSumFloat64(buf []float64) error { return locked("AllReduceSumFloat64", noop) }

// BroadcastFloat32 leaves buf as it is; root must be 0.
func BroadcastFloat32(buf []float32, root int) error {
	return locked("BroadcastFloat32", checkRoot("BroadcastFloat32", root))
}

// BroadcastFloat64 leaves buf as it is; root must be 0.
func BroadcastFloat64(buf []float64, root int) error {
	return locked("BroadcastFloat64", checkRoot("BroadcastFloat64", root))
}

// BroadcastBytes leaves buf as it is; root must be 0.
func BroadcastBytes(buf []byte, root int) error {
	return locked("BroadcastBytes", checkRoot("BroadcastBytes", root))
}

// AllGatherFloat32 leaves buf as it is: the one rank's block is all of it (counts
// must be [len(buf)]).
func AllGatherFloat32(buf []float32, counts []int) error {
	return locked("AllGatherFloat32", func() error { return checkBlocks("AllGatherFloat32", len(buf), counts, 1) })
}

// Barrier returns at once.
func Barrier() error { return locked("Barrier", noop) }

// WithMPI is false: this build has no MPI (build with -tags mpi for it).
const WithMPI = false

// StartAllReduceSumFloat32 leaves buf as it is and returns a completed Pending.
func StartAllReduceSumFloat32(buf []float32) (Pending, error) {
	if err := AllReduceSumFloat32(buf); err != nil {
		return nil, err
	}
	return completed{}, nil
}

// StartReduceScatterFloat32 leaves buf as it is: the one rank's block is all of it
// (counts must be [len(buf)], scratch empty). It returns a completed Pending.
func StartReduceScatterFloat32(buf, scratch []float32, counts []int) (Pending, error) {
	const op = "StartReduceScatterFloat32"
	err := locked(op, func() error {
		return checkScatter(op, len(buf), counts, 1, 0, len(scratch))
	})
	if err != nil {
		return nil, err
	}
	return completed{}, nil
}
