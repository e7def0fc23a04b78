package serve

import (
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// TestSetProcs: each decoder gets its share of the threads (at least one), and the
// runtime one P more than the threads, unless the cgroup's CPU limit is threads or
// fewer CPUs.
func TestSetProcs(t *testing.T) {
	procs, threads, fsys := runtime.GOMAXPROCS(0), simd.Threads(), cgroupFS
	t.Cleanup(func() {
		runtime.GOMAXPROCS(procs)
		simd.SetThreads(threads)
		cgroupFS = fsys
	})
	cgroupFS = fstest.MapFS{} // no cgroup
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

	for _, c := range []struct {
		cpuMax         string
		threads, procs int
	}{
		{"200000 100000", 2, 2}, // 2 CPUs: no spare P
		{"250000 100000", 2, 3}, // 2.5, rounded up to 3
		{"100000 100000", 2, 2}, // 1 CPU: threads as asked
		{"400000 100000", 2, 3},
		{"max 100000", 2, 3},
	} {
		cgroupFS = fstest.MapFS{
			"proc/self/cgroup":      {Data: []byte("0::/\n")},
			"sys/fs/cgroup/cpu.max": {Data: []byte(c.cpuMax + "\n")},
		}
		SetProcs(c.threads, c.threads)
		require.Equal(t, c.procs, runtime.GOMAXPROCS(0), "cpu.max %q", c.cpuMax)
	}
}

// TestCPULimit: cgroup v2 and v1 limits, the lowest of a cgroup and its parents, and
// no limit for "max", −1, missing or malformed files.
func TestCPULimit(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, c := range []struct {
		name  string
		fs    fstest.MapFS
		limit float64
		ok    bool
	}{
		{"v2", fstest.MapFS{"proc/self/cgroup": file("0::/a/b\n"), "sys/fs/cgroup/a/b/cpu.max": file("150000 100000\n")}, 1.5, true},
		{"v2 parent lower", fstest.MapFS{"proc/self/cgroup": file("0::/a/b\n"),
			"sys/fs/cgroup/a/b/cpu.max": file("300000 100000\n"), "sys/fs/cgroup/a/cpu.max": file("50000 100000\n")}, 0.5, true},
		{"v2 max", fstest.MapFS{"proc/self/cgroup": file("0::/\n"), "sys/fs/cgroup/cpu.max": file("max 100000\n")}, 0, false},
		{"v2 malformed", fstest.MapFS{"proc/self/cgroup": file("0::/\n"), "sys/fs/cgroup/cpu.max": file("lots\n")}, 0, false},
		{"v1", fstest.MapFS{"proc/self/cgroup": file("4:memory:/x\n3:cpu,cpuacct:/x\n"),
			"sys/fs/cgroup/cpu,cpuacct/x/cpu.cfs_quota_us": file("300000\n"), "sys/fs/cgroup/cpu,cpuacct/x/cpu.cfs_period_us": file("100000\n")}, 3, true},
		{"v1 none", fstest.MapFS{"proc/self/cgroup": file("1:cpu:/\n"),
			"sys/fs/cgroup/cpu/cpu.cfs_quota_us": file("-1\n"), "sys/fs/cgroup/cpu/cpu.cfs_period_us": file("100000\n")}, 0, false},
		{"no cgroup file", fstest.MapFS{}, 0, false},
	} {
		limit, ok := cpuLimit(c.fs)
		require.Equal(t, c.ok, ok, c.name)
		if ok {
			require.InDelta(t, c.limit, limit, 1e-12, c.name)
		}
	}
}
