//go:build mpi

package cluster

/*
#cgo pkg-config: ompi
#include <mpi.h>

// MPI_COMM_WORLD, MPI_IN_PLACE and the datatypes are macros over Open MPI's globals,
// which cgo cannot name: these wrappers take a kind instead.
enum { kindFloat32, kindFloat64, kindByte };

static MPI_Datatype bkm_type(int kind) {
	switch (kind) {
	case kindFloat32: return MPI_FLOAT;
	case kindFloat64: return MPI_DOUBLE;
	default:          return MPI_BYTE;
	}
}

static int bkm_init(int required, int *provided) {
	int rc = MPI_Init_thread(NULL, NULL, required, provided);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static int bkm_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int bkm_size(int *s) { return MPI_Comm_size(MPI_COMM_WORLD, s); }
static int bkm_allreduce_sum(void *buf, int count, int kind) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, count, bkm_type(kind), MPI_SUM, MPI_COMM_WORLD);
}
static int bkm_bcast(void *buf, int count, int kind, int root) {
	return MPI_Bcast(buf, count, bkm_type(kind), root, MPI_COMM_WORLD);
}
static int bkm_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// chunkElems is the most elements one MPI call carries: counts are C ints. A variable
// so the tests can exercise the chunking on small buffers.
var chunkElems = math.MaxInt32

// mpiError turns an MPI return code into a Go error with MPI_Error_string's text.
func mpiError(op string, rc C.int) error {
	if rc == C.MPI_SUCCESS {
		return nil
	}
	var buf [C.MPI_MAX_ERROR_STRING]C.char
	var n C.int
	if C.MPI_Error_string(rc, &buf[0], &n) != C.MPI_SUCCESS {
		return fmt.Errorf("cluster: %s: MPI error %d", op, int(rc))
	}
	return fmt.Errorf("cluster: %s: %s", op, C.GoStringN(&buf[0], n))
}

// start runs MPI_Init_thread asking for MPI_THREAD_SERIALIZED (a goroutine may run on
// another OS thread at each call, but the lock keeps the calls from overlapping),
// fails if the library provides less, and sets MPI_ERRORS_RETURN on MPI_COMM_WORLD
// (MPI_Comm_set_errhandler) so later failures are returned, not fatal. It reads the
// rank and size once (MPI_Comm_rank, MPI_Comm_size).
func start() error {
	var provided C.int
	if err := mpiError("MPI_Init_thread", C.bkm_init(C.MPI_THREAD_SERIALIZED, &provided)); err != nil {
		return err
	}
	now = stateRunning // from here on Finalize is due
	if provided < C.MPI_THREAD_SERIALIZED {
		return fmt.Errorf("cluster: MPI_Init_thread provided thread level %d < MPI_THREAD_SERIALIZED (%d): this MPI library cannot be called from Go's threads",
			int(provided), int(C.MPI_THREAD_SERIALIZED))
	}
	var r, s C.int
	if err := mpiError("MPI_Comm_rank", C.bkm_rank(&r)); err != nil {
		return err
	}
	if err := mpiError("MPI_Comm_size", C.bkm_size(&s)); err != nil {
		return err
	}
	rank, size = int(r), int(s)
	return nil
}

func stop() error { return mpiError("MPI_Finalize", C.MPI_Finalize()) }

// chunked runs call on consecutive pieces of at most chunkElems elements of an n-element
// buffer at base (elem bytes each), at least once (count 0 for an empty buffer, so an
// invalid argument such as the root is still reported). All ranks pass equal n, so
// they cut alike.
func chunked(op string, base unsafe.Pointer, n, elem int, call func(p unsafe.Pointer, count C.int) C.int) error {
	return locked(op, func() error {
		for off := 0; off == 0 || off < n; off += chunkElems {
			count := min(chunkElems, n-off)
			if err := mpiError(op, call(unsafe.Add(base, off*elem), C.int(count))); err != nil {
				return err
			}
		}
		return nil
	})
}

func allReduceSum(op string, base unsafe.Pointer, n, elem int, kind C.int) error {
	return chunked(op, base, n, elem, func(p unsafe.Pointer, count C.int) C.int {
		return C.bkm_allreduce_sum(p, count, kind)
	})
}

func broadcast(op string, base unsafe.Pointer, n, elem int, kind C.int, root int) error {
	return chunked(op, base, n, elem, func(p unsafe.Pointer, count C.int) C.int {
		return C.bkm_bcast(p, count, kind, C.int(root))
	})
}

// AllReduceSumFloat32 replaces buf by its elementwise sum over all ranks
// (MPI_Allreduce with MPI_IN_PLACE, MPI_FLOAT, MPI_SUM). Every rank passes the same length.
func AllReduceSumFloat32(buf []float32) error {
	return allReduceSum("MPI_Allreduce", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4, C.kindFloat32)
}

// AllReduceSumFloat64 is AllReduceSumFloat32 for float64 (MPI_DOUBLE).
func AllReduceSumFloat64(buf []float64) error {
	return allReduceSum("MPI_Allreduce", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 8, C.kindFloat64)
}

// BroadcastFloat32 copies root's buf into every other rank's buf (MPI_Bcast, MPI_FLOAT).
func BroadcastFloat32(buf []float32, root int) error {
	return broadcast("MPI_Bcast", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4, C.kindFloat32, root)
}

// BroadcastFloat64 is BroadcastFloat32 for float64 (MPI_DOUBLE).
func BroadcastFloat64(buf []float64, root int) error {
	return broadcast("MPI_Bcast", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 8, C.kindFloat64, root)
}

// BroadcastBytes is BroadcastFloat32 for bytes (MPI_BYTE).
func BroadcastBytes(buf []byte, root int) error {
	return broadcast("MPI_Bcast", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 1, C.kindByte, root)
}

// Barrier returns when every rank has called it (MPI_Barrier).
func Barrier() error {
	return locked("MPI_Barrier", func() error { return mpiError("MPI_Barrier", C.bkm_barrier()) })
}

// WithMPI is true: this build calls Open MPI.
const WithMPI = true
