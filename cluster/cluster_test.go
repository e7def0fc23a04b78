package cluster

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run in the default build on the single-process implementation and,
// built with -tags mpi, under mpirun on every rank (the names start with TestMPI so
// that -test.run TestMPI selects them). Their expectations are written for any Size.

func TestMain(m *testing.M) {
	if err := Init(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := Finalize(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	// Every call after Finalize must be an error, not a crash in the C library.
	if err := Barrier(); err == nil {
		fmt.Fprintln(os.Stderr, "Barrier after Finalize returned no error")
		code = 1
	}
	if err := Finalize(); err == nil {
		fmt.Fprintln(os.Stderr, "second Finalize returned no error")
		code = 1
	}
	os.Exit(code)
}

func TestMPIRankSize(t *testing.T) {
	require.GreaterOrEqual(t, Rank(), 0)
	require.Less(t, Rank(), Size())
	if s := os.Getenv("OMPI_COMM_WORLD_SIZE"); s != "" && isMPI {
		want, err := strconv.Atoi(s)
		require.NoError(t, err)
		assert.Equal(t, want, Size(), "size against mpirun's OMPI_COMM_WORLD_SIZE")
		assert.Equal(t, os.Getenv("OMPI_COMM_WORLD_RANK"), strconv.Itoa(Rank()))
	}
	w := World{}
	assert.Equal(t, Rank(), w.Rank())
	assert.Equal(t, Size(), w.Size())
}

func TestMPIInitTwice(t *testing.T) {
	require.ErrorContains(t, Init(), "Init called twice")
}

// rankSum is Σ_{r<Size} (r+1), the total of the ranks' contributions below.
func rankSum() float64 { s := float64(Size()); return s * (s + 1) / 2 }

func TestMPIAllReduceSumFloat64(t *testing.T) {
	checkAllReduceSum(t, AllReduceSumFloat64, World{}.AllReduceSumFloat64)
}

func TestMPIAllReduceSumFloat32(t *testing.T) {
	checkAllReduceSum(t, AllReduceSumFloat32, World{}.AllReduceSumFloat32)
}

// checkAllReduceSum checks one all-reduce sum, as a function and as World's method:
// rank r contributes (r+1)·(i+1) to element i, so each element ends as
// (i+1)·rankSum() (exact in float32 and float64 for the sizes tests run at); an
// empty buffer is no error.
func checkAllReduceSum[T float32 | float64](t *testing.T, reduce, method func([]T) error) {
	const n = 1000
	buf := make([]T, n)
	for i := range buf {
		buf[i] = T((Rank() + 1) * (i + 1))
	}
	require.NoError(t, reduce(buf))
	for i, v := range buf {
		require.Equal(t, T(float64(i+1)*rankSum()), v, "element %d", i)
	}
	require.NoError(t, reduce(nil), "an empty buffer")
	via := []T{T(Rank() + 1)}
	require.NoError(t, method(via))
	assert.Equal(t, T(rankSum()), via[0])
}

// TestMPIBroadcast broadcasts from every root in turn: the root holds a pattern made
// from its rank, the others hold something else, and afterwards all hold the pattern.
func TestMPIBroadcast(t *testing.T) {
	for root := range Size() {
		pattern := func(i int) int { return 1000*root + 7*i + 1 }
		const n = 300
		f32, f64, b := make([]float32, n), make([]float64, n), make([]byte, n)
		for i := range n {
			v := pattern(i)
			if Rank() != root {
				v = -1
			}
			f32[i], f64[i], b[i] = float32(v), float64(v), byte(v)
		}
		require.NoError(t, BroadcastFloat32(f32, root))
		require.NoError(t, BroadcastFloat64(f64, root))
		require.NoError(t, World{}.BroadcastBytes(b, root))
		for i := range n {
			v := pattern(i)
			require.Equal(t, float32(v), f32[i], "float32 element %d from root %d", i, root)
			require.Equal(t, float64(v), f64[i], "float64 element %d from root %d", i, root)
			require.Equal(t, byte(v), b[i], "byte element %d from root %d", i, root)
		}
	}
}

// TestMPIBroadcastInvalidRoot is the error path: a root outside [0, Size) comes back
// as an error on every rank (under MPI through MPI_ERRORS_RETURN, with MPI's text),
// and the job carries on.
func TestMPIBroadcastInvalidRoot(t *testing.T) {
	for _, root := range []int{Size(), -1} {
		buf := []float64{1, 2, 3}
		err := BroadcastFloat64(buf, root)
		require.Error(t, err, "root %d", root)
		assert.Contains(t, err.Error(), "invalid root")
		if isMPI {
			assert.Contains(t, err.Error(), "MPI_ERR_ROOT", "MPI_Error_string's text")
		}
		assert.Equal(t, []float64{1, 2, 3}, buf, "a failed broadcast leaves the buffer")
	}
	require.NoError(t, Barrier(), "the job survives a failed call")
	ones := []float64{1}
	require.NoError(t, World{}.AllReduceSumFloat64(ones))
	assert.Equal(t, float64(Size()), ones[0])
}

func TestMPIBarrier(t *testing.T) {
	require.NoError(t, Barrier())
	require.NoError(t, World{}.Barrier())
}

// TestTimeout stands in for a rank that never answers: a call that blocks past the
// timeout returns an error naming it and the limit, and every later call fails at once
// with the same error (the lock is still held by the blocked call).
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer func() {
		close(release) // the blocked call returns and frees the lock
		require.Eventually(t, func() bool { return mu.TryLock() }, time.Second, time.Millisecond)
		mu.Unlock()
		stuck.Store(nil)
		SetTimeout(0)
	}()
	SetTimeout(50 * time.Millisecond)
	start := time.Now()
	err := locked("MPI_Allreduce", func() error { <-release; return nil })
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, err.Error(), "MPI_Allreduce did not complete within 50ms: another rank has died or stopped responding")
	assert.Contains(t, err.Error(), fmt.Sprintf("rank %d of %d", Rank(), Size()))
	require.Equal(t, err, Barrier(), "a later call fails with the same error")
	require.Equal(t, err, AllReduceSumFloat64([]float64{1}))
}

// TestMPIStartAllReduceSumFloat32 starts two sums before completing either: the first
// completes through Test (polled), the second through Wait; both hold the sums.
func TestMPIStartAllReduceSumFloat32(t *testing.T) {
	const n = 3000
	a, b := make([]float32, n), make([]float32, n)
	for i := range n {
		a[i], b[i] = float32((Rank()+1)*(i+1)), float32(Rank()+1)
	}
	pa, err := StartAllReduceSumFloat32(a)
	require.NoError(t, err)
	pb, err := World{}.StartAllReduceSumFloat32(b)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		done, err := pa.Test()
		require.NoError(t, err)
		return done
	}, 10*time.Second, 10*time.Microsecond)
	require.NoError(t, pb.Wait())
	for i := range n {
		require.Equal(t, float32(float64(i+1)*rankSum()), a[i], "first sum, element %d", i)
		require.Equal(t, float32(rankSum()), b[i], "second sum, element %d", i)
	}
}

// TestMPIAllGatherFloat32 gathers blocks of unequal sizes (rank r holds r+1 elements,
// one rank none when there are more than one): each rank writes a pattern made from its
// rank into its block and garbage elsewhere, and afterwards every rank holds every
// block. Counts that do not match the ranks or the buffer are errors, the buffer untouched.
func TestMPIAllGatherFloat32(t *testing.T) {
	counts := make([]int, Size())
	n := 0
	for r := range counts {
		counts[r] = r + 1
		if Size() > 1 && r == 1 {
			counts[r] = 0 // an empty block
		}
		n += counts[r]
	}
	buf := make([]float32, n)
	want := make([]float32, n)
	for r, off := 0, 0; r < Size(); r++ {
		for i := range counts[r] {
			want[off+i] = float32(1000*r + i + 1)
			buf[off+i] = -1
			if r == Rank() {
				buf[off+i] = want[off+i]
			}
		}
		off += counts[r]
	}
	require.NoError(t, World{}.AllGatherFloat32(buf, counts))
	require.Equal(t, want, buf)
	require.NoError(t, AllGatherFloat32(nil, make([]int, Size())), "an empty buffer")

	more, negative := slices.Clone(counts), slices.Clone(counts)
	more[0]++
	negative[0] = -1
	for _, bad := range [][]int{make([]int, Size()+1), more, negative} {
		keep := slices.Clone(buf)
		require.Error(t, AllGatherFloat32(buf, bad), "counts %v", bad)
		require.Equal(t, keep, buf)
	}
	require.ErrorContains(t, AllGatherFloat32(buf, make([]int, Size()+1)), fmt.Sprintf("%d counts for %d ranks", Size()+1, Size()))
	require.NoError(t, Barrier(), "the job survives a failed call")
}

// blockPattern is rank r's element i of the reduce-scatter tests: distinct per rank
// and position, small integers, so sums are exact.
func blockPattern(r, i int) float32 { return float32(100*(r+1) + i) }

// reduceScatterCase builds rank's buffer for blocks of unequal sizes (rank r owns r+2
// elements, rank 1 none when there are more than one), and what the buffer holds
// after the reduce-scatter: its own block summed over the ranks, the rest unchanged.
func reduceScatterCase(rank, size int) (counts []int, buf, want []float32) {
	counts = make([]int, size)
	for r := range counts {
		counts[r] = r + 2
		if size > 1 && r == 1 {
			counts[r] = 0
		}
	}
	for r, c := range counts {
		for range c {
			j := len(buf)
			buf = append(buf, blockPattern(rank, j))
			want = append(want, blockPattern(rank, j))
			if r == rank {
				want[j] = 0
				for q := range size {
					want[j] += blockPattern(q, j)
				}
			}
		}
	}
	return counts, buf, want
}

// TestMPIReduceScatterFloat32: every rank's block ends as the sum of all ranks' copies
// of it, the other blocks untouched; a scratch of the wrong length or counts that do
// not match are errors.
func TestMPIReduceScatterFloat32(t *testing.T) {
	counts, buf, want := reduceScatterCase(Rank(), Size())
	scratch := make([]float32, (Size()-1)*counts[Rank()])
	p, err := World{}.StartReduceScatterFloat32(buf, scratch, counts)
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	require.Equal(t, want, buf)

	_, err = StartReduceScatterFloat32(buf, make([]float32, len(scratch)+1), counts)
	require.ErrorContains(t, err, "scratch holds")
	_, err = StartReduceScatterFloat32(buf, scratch, make([]int, Size()+1))
	require.ErrorContains(t, err, fmt.Sprintf("%d counts for %d ranks", Size()+1, Size()))
	require.NoError(t, Barrier(), "the job survives a failed call")
}
