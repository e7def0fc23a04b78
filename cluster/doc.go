// Package cluster is bkm's thin binding to MPI, the standard way to run one job as
// many processes (ranks) on one or many machines: mpirun, Slurm's srun or a Kubernetes
// MPIJob starts the ranks, and the ranks combine their numbers with collectives.
//
// The API is a handful of package functions on the world communicator:
//
//	Init, Finalize                           start and stop MPI (once per process)
//	Rank, Size                               this process's rank in [0, Size)
//	AllReduceSumFloat32, AllReduceSumFloat64 in-place sum over the ranks
//	BroadcastFloat32, BroadcastFloat64,      in-place copy from a root rank
//	BroadcastBytes
//	Barrier                                  wait until every rank gets there
//	AllGatherFloat32                         in-place gather of every rank's block
//	                                         into every rank (MPI_Allgatherv)
//	StartAllReduceSumFloat32                 start a sum and return at once (a Pending:
//	                                         Test progresses it, Wait completes it)
//	StartReduceScatterFloat32                start summing each rank's block on that rank
//	                                         only (MPI_Isend/MPI_Irecv to every other rank)
//
// and World, a value whose methods are the same functions, for code (package bkm's
// distributed solver, package train's data parallelism) that takes the communicator as
// an interface and must not import cgo. NewLocalGroup makes the same interface for
// goroutines in one process (Local), so that code is tested on several ranks in the
// default build. WithMPI says which implementation is built in.
//
// SetTimeout bounds every collective: a rank that died or hangs would otherwise block
// the others forever inside MPI. A call past the bound returns an error naming the
// call, the rank and the limit, and every later call fails with it at once (the C call
// cannot be cancelled), so the process reports it and exits; the launcher then stops
// the remaining ranks.
//
// Two implementations share that API:
//
//   - with the build tag mpi (mpi.go), cgo calls into Open MPI (Debian libopenmpi-dev,
//     found with pkg-config ompi). Init asks for MPI_THREAD_SERIALIZED, because a
//     goroutine may move between OS threads between two calls, and fails if the
//     library provides less; a mutex serializes the calls. Every collective is
//     started nonblocking (MPI_Iallreduce, MPI_Ibcast, MPI_Iallgatherv, MPI_Ibarrier) and waited for by
//     MPI_Test in a loop that calls sched_yield between tests for 20 ms and then sleeps
//     between them: a blocking MPI call polls its core at full speed while it waits for
//     the other ranks, which takes the core from the compute of a rank sharing it (or
//     from Go's runtime), and the loop checks the timeout without a goroutine per call.
//     MPI_Iallreduce uses the ring algorithm (every rank adds 1/N of the buffer) unless
//     the job sets coll_libnbc_iallreduce_algorithm. The world communicator's
//     error handler is MPI_ERRORS_RETURN, so a failing call comes back as a Go error
//     carrying MPI_Error_string's text instead of aborting the job. Buffers longer
//     than a C int are sent in chunks. A completed request (a Pending, with its MPI
//     requests and an all-gather's counts and displacements) is reused by a later
//     call, so once warm the collectives allocate nothing: a Pending must not be used
//     after Test reported completion or Wait returned.
//   - without it (single.go), a pure-Go single process: rank 0 of 1, sums and
//     broadcasts leave the buffer as it is. The default build stays pure Go, no cgo.
//
// Run the MPI tests on one machine (loopback only) with
//
//	go test -c -tags mpi -o /tmp/cluster.test ./cluster/
//	mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 /tmp/cluster.test -test.run TestMPI
//
// Imports: the standard library only (and, with the tag mpi, Open MPI's C library
// through cgo).
package cluster
