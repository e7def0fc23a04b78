// Package par is bkm's one worker pool: a fixed set of long-lived goroutines that run
// the parallel loops of simd (GEMM parts), attention (per-head and per-tile phases),
// bkm (kernel-operator tiles) and train (row-parallel layers, AdamW) without
// allocating.
//
// Run(n, workers, job) runs job.Task(worker, i) for i in [0, n). The caller is worker
// 0 and sends up to workers−1 tickets to the pool; tasks are claimed one at a time
// with a compare-and-swap, so whoever is running takes the next task. FreeList is the
// GC-proof free list the pool and simd's packing buffers use.
//
// It replaces four pools: simd's (claimed parts, polling workers), attention's
// (claimed tasks, but the caller waited for every goroutine it had invited, so a late
// one held the call up), train's (fixed chunks sent over a channel, a WaitGroup) and
// bkm's (threads−1 goroutines per Operator, woken through one channel each). The
// decisions, taken once for all four packages:
//
//   - Claiming, not assigning: a pool goroutine that wakes late (the machine is busy)
//     finds the work done instead of holding the caller up, and a caller waits only
//     for tasks someone has already claimed and is running. So concurrent callers
//     share the pool, and a task may call Run (attention and bkm tasks call a parallel
//     Sgemm): when every pool goroutine is busy the inner caller runs its tasks itself,
//     and nested calls cannot deadlock.
//   - Long-lived goroutines, started on first need up to the largest workers−1 asked
//     for, shared by every caller; a ticket send never blocks.
//   - Spin, then park: an idle pool goroutine polls for the next ticket, and a caller
//     for its last tasks, for spinWait = 200µs (with runtime.Gosched between polls)
//     before parking on a channel. This was simd's policy (introduced with 512×512×64
//     on 2 threads going from 119 to 215 GFLOP/s); attention, train and bkm parked at
//     once. BenchmarkRun: a 2-worker call costs 0.3–1.5 µs back to back and 6–16 µs
//     when the pool goroutines have parked. Sgemm 256³, 512×512×64 and 1024³ and the
//     training step on 2 threads, spinWait 0, 50µs and 200µs alternated, showed no
//     consistent order beyond the run-to-run noise (2–3×: 2 vCPUs at load 10–24), so
//     the budget stays at 200µs until a quiet machine says otherwise.
//   - No allocation per call: the job is an interface holding a pointer its owner
//     keeps, and the per-call state lives in groups on a free list (not a sync.Pool,
//     which the GC empties). After Run returns the pool holds no reference to the job.
//
// Tracing (trace.go): with BKM_TRACE=par (or all; any other name panics at init), or SetTrace, the pool counts its calls,
// invitations, parks and wake-ups and where its goroutines' time goes (ReadStats);
// bench's BenchmarkTrainProfile charges them to the sections of a training step. Off,
// it costs one atomic load per call and per ticket. BKM_PAR_SPIN overrides spinWait
// for measuring the policy.
//
// Imports: the standard library only; nothing of bkm.
package par
