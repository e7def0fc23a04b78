// Package par is bkm's one worker pool: a fixed set of long-lived goroutines that run
// the parallel loops of simd (GEMM parts), attention (per-head and per-tile phases),
// bkm (kernel-operator tiles) and train (row-parallel layers, AdamW) without
// allocating.
//
// Run(n, workers, job) runs job.Task(worker, i) for i in [0, n). The caller is worker
// 0 and sends up to workers−1 tickets to the pool; tasks are claimed one at a time
// with a compare-and-swap, so whoever is running takes the next task. The decisions,
// taken once for all four packages:
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
//     for its last tasks, for spinWait (with runtime.Gosched between polls) before
//     parking on a channel.
//   - No allocation per call: the job is an interface holding a pointer its owner
//     keeps, and the per-call state lives in groups on a free list (not a sync.Pool,
//     which the GC empties). After Run returns the pool holds no reference to the job.
//
// Imports: the standard library only; nothing of bkm.
package par
