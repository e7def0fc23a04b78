package serve

import (
	"runtime"
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// TestSetProcs: each decoder gets its share of the threads (at least one), and the
// runtime one P more than the threads.
func TestSetProcs(t *testing.T) {
	procs, threads := runtime.GOMAXPROCS(0), simd.Threads()
	t.Cleanup(func() {
		runtime.GOMAXPROCS(procs)
		simd.SetThreads(threads)
	})
	for _, c := range []struct{ threads, workers, perDecoder, procs int }{
		{2, 2, 1, 3},
		{4, 2, 2, 5},
		{2, 1, 2, 3},
		{2, 4, 1, 3},
		{1, 0, 1, 2},
	} {
		require.Equal(t, c.perDecoder, SetProcs(c.threads, c.workers), "%+v", c)
		require.Equal(t, c.perDecoder, simd.Threads(), "%+v", c)
		require.Equal(t, c.procs, runtime.GOMAXPROCS(0), "%+v", c)
	}
	runtime.GOMAXPROCS(3)
	require.Equal(t, 3, SetProcs(0, 1), "threads 0: the current GOMAXPROCS")
	require.Equal(t, 4, runtime.GOMAXPROCS(0))
}
