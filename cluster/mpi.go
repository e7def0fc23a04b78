//go:build mpi

package cluster

/*
#cgo pkg-config: ompi
#include <mpi.h>
#include <sched.h>

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
static int bkm_iallreduce_sum(void *buf, int count, int kind, MPI_Request *req) {
	return MPI_Iallreduce(MPI_IN_PLACE, buf, count, bkm_type(kind), MPI_SUM, MPI_COMM_WORLD, req);
}
static int bkm_ibcast(void *buf, int count, int kind, int root, MPI_Request *req) {
	return MPI_Ibcast(buf, count, bkm_type(kind), root, MPI_COMM_WORLD, req);
}
static int bkm_iallgatherv(void *buf, const int *counts, const int *displs, int kind, MPI_Request *req) {
	return MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, bkm_type(kind), MPI_COMM_WORLD, req);
}
static int bkm_ibarrier(MPI_Request *req) { return MPI_Ibarrier(MPI_COMM_WORLD, req); }
static int bkm_isend_f32(void *buf, int count, int dest, MPI_Request *req) {
	return MPI_Isend(buf, count, MPI_FLOAT, dest, 0, MPI_COMM_WORLD, req);
}
static int bkm_irecv_f32(void *buf, int count, int source, MPI_Request *req) {
	return MPI_Irecv(buf, count, MPI_FLOAT, source, 0, MPI_COMM_WORLD, req);
}
static int bkm_test(MPI_Request *req, int *done) { return MPI_Test(req, done, MPI_STATUS_IGNORE); }
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"
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
	chooseAllReduceAlgorithm()
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

// allReduceAlgorithm is the Open MPI parameter that picks MPI_Iallreduce's algorithm
// (component libnbc), and ring its value for the ring algorithm.
const (
	allReduceAlgorithm = "OMPI_MCA_coll_libnbc_iallreduce_algorithm"
	ring               = "1"
)

// chooseAllReduceAlgorithm makes MPI_Iallreduce use the ring algorithm unless the job
// chose one (mpirun --mca coll_libnbc_iallreduce_algorithm N, or the variable in the
// environment). Open MPI 4.1's default for an in-place sum is the binomial tree: rank 0
// receives every other rank's buffer, adds them alone and sends the sum back, so it
// does all the additions while the others wait. The ring splits the buffer in N
// segments, each rank adding one (reduce-scatter) before the sums go round
// (all-gather): the same work on every rank and the least traffic for large buffers.
// Measured on 2 ranks of this 2-core machine, shared memory (BenchmarkMPIAllReduceSumFloat32,
// load ≈ 12): the 5.75 MB gradient of the Bible recipe in 0.96 ms against 3.3 ms, a
// 1 MiB bucket in 0.24 ms against 0.35–0.41 ms. MPI reads the variable at
// MPI_Init_thread, from the environment the process passes to C (os.Setenv does so
// in a cgo binary).
func chooseAllReduceAlgorithm() {
	if _, set := os.LookupEnv(allReduceAlgorithm); !set {
		os.Setenv(allReduceAlgorithm, ring)
	}
}

func stop() error { return mpiError("MPI_Finalize", C.MPI_Finalize()) }

// request is a nonblocking MPI collective in flight: one MPI_Request per piece of at
// most chunkElems elements (counts are C ints), and the pinned buffer MPI reads and
// writes until the last piece completes.
type request struct {
	op     string
	reqs   []C.MPI_Request
	next   int // reqs[:next] have completed
	pin    runtime.Pinner
	err    error
	closed bool
	kept   bool // in abandoned
	// ints holds the counts and displacements of an all-gather, which MPI reads until
	// it completes (pinned with the buffer).
	ints []C.int
	// A reduce-scatter adds parts (the other ranks' blocks, one after the other) into
	// sum once every message has arrived.
	sum, parts []float32
	done       C.int // MPI_Test's flag (a field: a local passed to C would be allocated)
}

// free holds completed requests for reuse (newRequest): a step's collectives then
// allocate nothing. A request goes back when it completes without error; one given up
// on stays in abandoned instead. created counts the requests made, all of which fit in
// free's capacity, so that returning one never grows it.
var (
	freeMu  sync.Mutex
	free    []*request
	created int
)

// minRequests is the fewest requests the pool makes at once: more than a step of
// package train's data parallelism has in flight for models of up to ~30 gradient
// buckets. How many are in flight at once depends on timing (which bucket's
// reduce-scatter completes before the next starts), so a pool grown one request at a
// time allocated in whichever later step first exceeded the warm-up's peak.
const minRequests = 32

// newRequest returns a request for op with room for n MPI requests, reused if one is
// free. An empty pool doubles (at least minRequests), so a step allocates only when
// more collectives are in flight at once than twice the most ever before.
func newRequest(op string, n int) *request {
	freeMu.Lock()
	if len(free) == 0 {
		grow := max(minRequests, created)
		free = slices.Grow(free, created+grow) // free is empty
		for range grow {
			// Sized once for every collective of this world (a reduce-scatter's
			// 2(size−1) requests, an all-gather's counts and displacements), so that a
			// request from free never grows whichever collective used it before.
			r := &request{reqs: make([]C.MPI_Request, 0, max(1, 2*(size-1))), ints: make([]C.int, 0, 2*size)}
			r.pin.Pin(r) // see unpin
			free = append(free, r)
		}
		created += grow
	}
	r := free[len(free)-1]
	free = free[:len(free)-1]
	freeMu.Unlock()
	r.op, r.next, r.err, r.closed = op, 0, nil, false
	r.reqs = slices.Grow(r.reqs[:0], n)
	r.sum, r.parts = nil, nil
	return r
}

// unpin unpins the buffers of a request's collective and pins the request itself
// again. A Pinner allocates its state at its first Pin; Unpin hands that state to the
// runtime's per-P cache when the cache is empty, and the next Pin takes a cached one
// or allocates. Requests pinned at once, as a step's collectives are, then allocated
// now and then; pinning the request again at once takes its state straight back from
// the cache (unless the goroutine moved to another P in between), which makes that
// rare, not impossible. A request stays pinned while it is in free or abandoned, which
// keep it for the rest of the process; one dropped in flight (a Pending never waited
// for) is never freed.
func (r *request) unpin() {
	r.pin.Unpin()
	r.pin.Pin(r)
}

// complete unpins a request whose pieces have all completed, finishes a reduce-scatter
// and returns the request to free: the caller must not use it again.
func (r *request) complete() {
	r.closed = true
	r.unpin()
	if r.sum != nil {
		for k := 0; k < len(r.parts); k += len(r.sum) {
			part := r.parts[k : k+len(r.sum)]
			for i, v := range part {
				r.sum[i] += v
			}
		}
	}
	freeMu.Lock()
	free = append(free, r)
	freeMu.Unlock()
}

// abandoned holds every request given up on while pieces of it may still be in flight
// (a timeout or a failed MPI_Test): MPI may still write its buffer, so the buffer must
// stay pinned, and the request must stay reachable for the rest of the process — the
// garbage collector panics when it collects a Pinner that still pins.
var (
	abandonedMu sync.Mutex
	abandoned   []*request
)

// abandon keeps r, and so its pinned buffer, reachable for good.
func (r *request) abandon() {
	abandonedMu.Lock()
	defer abandonedMu.Unlock()
	if !r.kept {
		r.kept = true
		abandoned = append(abandoned, r)
	}
}

// startChunked starts call on consecutive pieces of at most chunkElems elements of an
// n-element buffer at base (elem bytes each), at least once (count 0 for an empty
// buffer, so an invalid argument such as the root is still reported). All ranks pass
// equal n, so they cut alike. The buffer stays pinned until the request completes: MPI
// keeps its address after the call returns.
func startChunked(op string, base unsafe.Pointer, n, elem int, call func(p unsafe.Pointer, count C.int, req *C.MPI_Request) C.int) (*request, error) {
	r := newRequest(op, (n+chunkElems-1)/chunkElems)
	if n > 0 {
		r.pin.Pin(base)
	}
	err := unbounded(op, func() error {
		for off := 0; off == 0 || off < n; off += chunkElems {
			count := min(chunkElems, n-off)
			r.reqs = append(r.reqs, nil)
			if err := mpiError(op, call(unsafe.Add(base, off*elem), C.int(count), &r.reqs[len(r.reqs)-1])); err != nil {
				r.reqs = r.reqs[:len(r.reqs)-1]
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The pieces already started still run: wait for them (test unpins the buffer
		// once they complete; a timeout abandons the request, its buffer pinned).
		r.wait(time.Duration(timeout.Load()))
		return nil, err
	}
	return r, nil
}

// test progresses MPI and reports whether every piece has completed (MPI_Test), or
// the first error. A request that fails with pieces still in flight is abandoned.
func (r *request) test() (bool, error) {
	if r.closed {
		return true, r.err
	}
	if r.next == len(r.reqs) {
		r.complete()
		return true, nil
	}
	err := unbounded("MPI_Test", func() error {
		for r.next < len(r.reqs) {
			if err := mpiError(r.op, C.bkm_test(&r.reqs[r.next], &r.done)); err != nil {
				return err
			}
			if r.done == 0 {
				return nil
			}
			r.next++
		}
		return nil
	})
	if err != nil {
		r.closed, r.err = true, err
		r.abandon()
		return true, err
	}
	if r.next == len(r.reqs) {
		r.complete()
		return true, nil
	}
	return false, nil
}

// The waiting strategy: MPI_Test in a loop, calling sched_yield between tests for
// spinFor, then sleeping between tests, for pauseMin doubling up to pauseMax. A
// blocking MPI call (or MPI_Wait) polls its core at full speed; with sched_yield the
// waiting rank still answers at once when its core has nothing else to run (the
// usual case: one rank per core), but gives the core to any other runnable thread —
// another rank's compute when cores are shared, Go's runtime, the machine's other
// jobs. Long waits (rank 0 validating or writing a checkpoint) sleep instead.
// Measured on 2 ranks of a loaded 2-core machine, a 1 MiB sum took 0.58 ms this way,
// 0.70 ms spinning without yielding, and 4.6 ms sleeping after 50 µs.
const (
	spinFor  = 20 * time.Millisecond
	pauseMin = 10 * time.Microsecond
	pauseMax = time.Millisecond
)

// wait tests until the request completes, giving up after limit (0: never) with the
// timeout error (see SetTimeout): the request then stays in flight, its buffer pinned
// (it is abandoned), and every later call fails.
func (r *request) wait(limit time.Duration) error {
	start := time.Now()
	pause := pauseMin
	for {
		done, err := r.test()
		if done {
			return err
		}
		waited := time.Since(start)
		if limit > 0 && waited > limit {
			r.abandon()
			return timedOut(r.op, limit)
		}
		if waited > spinFor {
			time.Sleep(pause)
			pause = min(2*pause, pauseMax)
		} else {
			C.sched_yield()
		}
	}
}

// Test reports whether the collective has completed, progressing it (MPI_Test); after
// it reports true the buffer holds the result and may be used again, and the request
// is reused by a later call: it must not be used again.
func (r *request) Test() (bool, error) { return r.test() }

// Wait returns when the collective has completed (MPI_Test in a loop that calls
// sched_yield between tests for the first 20 ms, then sleeps between them, bounded by
// SetTimeout's limit); the request must not be used after it.
func (r *request) Wait() error { return r.wait(time.Duration(timeout.Load())) }

// run starts a collective and waits for it: the blocking calls are their nonblocking
// twins plus request.wait, so no call polls a core at full speed while it waits for the
// other ranks, and the timeout needs no extra goroutine.
func run(r *request, err error) error {
	if err != nil {
		return err
	}
	return r.Wait()
}

func startAllReduceSum(op string, base unsafe.Pointer, n, elem int, kind C.int) (*request, error) {
	return startChunked(op, base, n, elem, func(p unsafe.Pointer, count C.int, req *C.MPI_Request) C.int {
		return C.bkm_iallreduce_sum(p, count, kind, req)
	})
}

func startBroadcast(op string, base unsafe.Pointer, n, elem int, kind C.int, root int) (*request, error) {
	return startChunked(op, base, n, elem, func(p unsafe.Pointer, count C.int, req *C.MPI_Request) C.int {
		return C.bkm_ibcast(p, count, kind, C.int(root), req)
	})
}

// StartAllReduceSumFloat32 starts replacing buf by its elementwise sum over all ranks
// (MPI_Iallreduce with MPI_IN_PLACE, MPI_FLOAT, MPI_SUM) and returns at once; buf must
// not be touched until the returned Pending completes. MPI makes progress on it during
// the Pending's Test and Wait calls (and those of other requests). Every rank starts
// the same collectives in the same order, with the same lengths.
func StartAllReduceSumFloat32(buf []float32) (Pending, error) {
	r, err := startAllReduceSum("MPI_Iallreduce", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4, C.kindFloat32)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// AllReduceSumFloat32 replaces buf by its elementwise sum over all ranks
// (MPI_Iallreduce with MPI_IN_PLACE, MPI_FLOAT, MPI_SUM, then MPI_Test until done).
// Every rank passes the same length.
func AllReduceSumFloat32(buf []float32) error {
	return run(startAllReduceSum("MPI_Allreduce", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4, C.kindFloat32))
}

// AllReduceSumFloat64 is AllReduceSumFloat32 for float64 (MPI_DOUBLE).
func AllReduceSumFloat64(buf []float64) error { return run(startAllReduceSumFloat64(buf)) }

func startAllReduceSumFloat64(buf []float64) (*request, error) {
	return startAllReduceSum("MPI_Allreduce", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 8, C.kindFloat64)
}

// BroadcastFloat32 copies root's buf into every other rank's buf (MPI_Ibcast, MPI_FLOAT,
// then MPI_Test until done).
func BroadcastFloat32(buf []float32, root int) error {
	return run(startBroadcast("MPI_Bcast", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4, C.kindFloat32, root))
}

// BroadcastFloat64 is BroadcastFloat32 for float64 (MPI_DOUBLE).
func BroadcastFloat64(buf []float64, root int) error {
	return run(startBroadcast("MPI_Bcast", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 8, C.kindFloat64, root))
}

// BroadcastBytes is BroadcastFloat32 for bytes (MPI_BYTE).
func BroadcastBytes(buf []byte, root int) error {
	return run(startBroadcast("MPI_Bcast", unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 1, C.kindByte, root))
}

// AllGatherFloat32 makes every rank's buf the concatenation of the ranks' blocks:
// rank r's block is the counts[r] elements after the blocks of ranks 0..r−1, and after
// the call every rank holds every rank's block at that place (MPI_Iallgatherv with
// MPI_IN_PLACE, MPI_FLOAT, then MPI_Test until done). Every rank passes the same
// counts, one per rank, summing to len(buf); a buffer longer than a C int (2³¹−1
// elements) is an error, not cut in pieces: the displacements are C ints too.
func AllGatherFloat32(buf []float32, counts []int) error {
	if err := checkBlocks("MPI_Allgatherv", len(buf), counts, size); err != nil {
		return err
	}
	if len(buf) > chunkElems {
		return fmt.Errorf("cluster: MPI_Allgatherv: %d elements, more than one call carries (%d)", len(buf), chunkElems)
	}
	// MPI reads the counts and displacements until the gather completes: they are
	// pinned with the buffer.
	r := newRequest("MPI_Allgatherv", 1)
	r.reqs = r.reqs[:1]
	cs := slices.Grow(r.ints[:0], 2*len(counts))[:2*len(counts)]
	r.ints = cs
	for k, off := 0, 0; k < len(counts); k++ {
		cs[k], cs[len(counts)+k] = C.int(counts[k]), C.int(off)
		off += counts[k]
	}
	if len(buf) > 0 {
		r.pin.Pin(unsafe.SliceData(buf))
	}
	r.pin.Pin(&cs[0])
	err := unbounded(r.op, func() error {
		return mpiError(r.op, C.bkm_iallgatherv(unsafe.Pointer(unsafe.SliceData(buf)), &cs[0], &cs[len(counts)], C.kindFloat32, &r.reqs[0]))
	})
	if err != nil {
		r.complete() // nothing started: the request goes back to the pool
		return err
	}
	return r.Wait()
}

// StartReduceScatterFloat32 starts summing the ranks' buffers block by block, each
// block on the rank that owns it, and returns at once: rank r's block of buf (the
// counts[r] elements after the blocks of ranks 0..r−1) becomes the sum of every
// rank's block r, added in rank order after this rank's own; the other blocks of buf
// are sent to their owners and left as they were. scratch receives the other ranks'
// blocks: it holds (Size()−1)·counts[Rank()] elements. Neither buffer may be touched
// until the Pending completes. It is one MPI_Isend and one MPI_Irecv (MPI_FLOAT) per
// other rank: with one rank per core, each message completes at the receiver's next
// MPI_Test after the sender started it (shared memory copies it in one piece, CMA), where
// MPI_Iallreduce's ring needs every rank to progress every one of its 2(N−1) rounds.
// Every rank passes the same counts; a block longer than a C int is an error.
func StartReduceScatterFloat32(buf, scratch []float32, counts []int) (Pending, error) {
	const op = "MPI_Reduce_scatter"
	if err := checkScatter(op, len(buf), counts, size, rank, len(scratch)); err != nil {
		return nil, err
	}
	mine := counts[rank]
	if slices.Max(counts) > chunkElems {
		return nil, fmt.Errorf("cluster: %s: a block of %d elements, more than one call carries (%d)", op, slices.Max(counts), chunkElems)
	}
	r := newRequest(op, 2*(size-1))
	off := 0
	for q := range rank {
		off += counts[q]
	}
	r.sum, r.parts = buf[off:off+mine], scratch
	if len(buf) > 0 {
		r.pin.Pin(unsafe.SliceData(buf))
	}
	if len(scratch) > 0 {
		r.pin.Pin(unsafe.SliceData(scratch))
	}
	err := unbounded(op, func() error {
		k, lo := 0, 0
		for q, c := range counts {
			if q != rank {
				r.reqs = append(r.reqs, nil, nil)
				n := len(r.reqs)
				if err := mpiError("MPI_Irecv", C.bkm_irecv_f32(unsafe.Pointer(unsafe.SliceData(scratch[k*mine:])), C.int(mine), C.int(q), &r.reqs[n-2])); err != nil {
					r.reqs = r.reqs[:n-2]
					return err
				}
				if err := mpiError("MPI_Isend", C.bkm_isend_f32(unsafe.Pointer(unsafe.SliceData(buf[lo:])), C.int(c), C.int(q), &r.reqs[n-1])); err != nil {
					r.reqs = r.reqs[:n-1]
					return err
				}
				k++
			}
			lo += c
		}
		return nil
	})
	if err != nil {
		r.sum = nil // no sums from a partial exchange
		r.wait(time.Duration(timeout.Load()))
		return nil, err
	}
	return r, nil
}

// Barrier returns when every rank has called it (MPI_Ibarrier, then MPI_Test until done).
func Barrier() error {
	r := newRequest("MPI_Barrier", 1)
	r.reqs = r.reqs[:1]
	return run(r, unbounded("MPI_Barrier", func() error { return mpiError("MPI_Barrier", C.bkm_ibarrier(&r.reqs[0])) }))
}

// WithMPI is true: this build calls Open MPI.
const WithMPI = true
