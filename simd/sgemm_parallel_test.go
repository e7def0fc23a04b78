package simd

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/kernelmachines/bkm/internal/par"
	"github.com/stretchr/testify/require"
)

// TestSgemmConcurrentCalls runs Sgemm from several goroutines at once, large enough to
// take the parallel path (shared worker pool, pooled buffers), each checking its own
// result against the float64 reference. Run it with -race.
// keepThreads restores the thread count SetThreads had when the test began once the
// test ends.
func keepThreads(t *testing.T) {
	old := Threads()
	t.Cleanup(func() { SetThreads(old) })
}

func TestSgemmConcurrentCalls(t *testing.T) {
	SetThreads(3)
	t.Cleanup(func() { SetThreads(0) })
	forEachImpl(t, func(t *testing.T, im *impl) {
		const callers = 4
		var wg sync.WaitGroup
		for g := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(31, uint64(g)))
				m, n, k := 97+g*13, 131-g*7, 170+g // m·n·k ≥ parallelMinWork
				for rep := 0; rep < 3; rep++ {
					gemmCase(t, rng, g%2 == 0, g/2 == 1, m, n, k, rep, 1, float32(rep)/2)
				}
			}()
		}
		wg.Wait()
	})
}

// TestSgemmParallelSplits checks the row and column splits with more parts than
// tiles and with the thread count changing between calls.
func TestSgemmParallelSplits(t *testing.T) {
	t.Cleanup(func() { SetThreads(0) })
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(33, 34))
		for _, threads := range []int{2, 3, 8} {
			SetThreads(threads)
			for _, s := range [][3]int{{5, 700, 600}, {700, 9, 600}, {130, 130, 130}, {im.mr * 3, im.nr * 5, 2000}} {
				gemmCase(t, rng, false, false, s[0], s[1], s[2], 1, 1, 0)
				gemmCase(t, rng, true, true, s[0], s[1], s[2], 0, -1, 0.5)
			}
		}
	})
}

// TestSgemmNoAllocs: steady-state calls (buffers pooled, workers started) do not
// allocate, single-threaded or parallel, small or large.
func TestSgemmNoAllocs(t *testing.T) {
	t.Cleanup(func() { SetThreads(0) })
	for _, threads := range []int{1, 2} {
		SetThreads(threads)
		for _, s := range [][3]int{{64, 64, 64}, {200, 200, 300}, {64, 600, 64}, {96, 16, 64}} {
			m, n, k := s[0], s[1], s[2]
			a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			allocs := testing.AllocsPerRun(20, func() {
				Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
			})
			require.Zero(t, allocs, "threads=%d shape %v", threads, s)
		}
	}
}

// sgemmTasks is a parallel section whose tasks each run a parallel Sgemm, as the
// tasks of attention and bkm do: the nested calls share the one pool.
type sgemmTasks struct {
	t       *testing.T
	m, n, k int
}

func (j *sgemmTasks) Task(_, i int) {
	rng := rand.New(rand.NewPCG(41, uint64(i)))
	gemmCase(j.t, rng, i%2 == 0, i%3 == 0, j.m, j.n, j.k, 1, 1, 0)
}

// TestSgemmNestedInParallelTasks: Sgemm called from the tasks of a parallel section,
// from two sections at once, all taking the parallel path: nothing deadlocks, every
// product is right. Run it with -race.
func TestSgemmNestedInParallelTasks(t *testing.T) {
	SetThreads(2)
	t.Cleanup(func() { SetThreads(0) })
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			par.Run(6, 3, &sgemmTasks{t, 120, 140, 150}) // m·n·k ≥ parallelMinWork
		}()
	}
	wg.Wait()
}

// TestSgemmOverSplitSameBits: products of at least overSplitWork are cut into two parts
// a goroutine, along C's longer side (rows or columns); the result has the bits of
// the one-thread product.
func TestSgemmOverSplitSameBits(t *testing.T) {
	if testing.Short() {
		t.Skip("products of 2^27 multiply-adds: too slow under -race and qemu")
	}
	t.Cleanup(func() { SetThreads(0) })
	rng := rand.New(rand.NewPCG(51, 52))
	for _, s := range [][3]int{{512, 512, 512}, {1400, 200, 512}, {200, 1400, 512}, {2048, 96, 700}} {
		m, n, k := s[0], s[1], s[2]
		require.GreaterOrEqual(t, m*n*k, overSplitWork, "shape %v", s)
		a, b := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = rng.Float32() - 0.5
		}
		for i := range b {
			b[i] = rng.Float32() - 0.5
		}
		SetThreads(1)
		want := make([]float32, m*n)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
		for _, threads := range []int{2, 3} {
			parts, _ := splitProduct(threads, m, n, k, 16, 32)
			require.Greater(t, parts, threads, "shape %v: two parts a goroutine", s)
			SetThreads(threads)
			got := make([]float32, m*n)
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, got, n)
			require.Equal(t, want, got, "shape %v, %d threads", s, threads)
		}
	}
}
