package serve

import (
	"bufio"
	"bytes"
	"io/fs"
	"math"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/kernelmachines/bkm/simd"
)

// SetProcs sets the process up to serve with workers decoders on threads cores
// (threads ≤ 0: the current GOMAXPROCS), and returns the threads each decoder's parallel routines
// get. Two process-wide settings, so programs opt in (bkmtrain serve does):
//
//   - simd.SetThreads(max(1, threads/workers)): with a decoder per core, each decodes
//     on its own thread. Decoders splitting their small products (a step's rows, one
//     sentence's source) across the shared worker pool wait on each other's halves
//     and spin for them, for no gain when every core already runs a decoder.
//   - runtime.GOMAXPROCS(threads+1): one P more than the decoders keep busy. A
//     goroutine whose connection became readable runs only once the runtime polls the
//     network, which a P does when it runs out of work, or the runtime's monitor every
//     10 ms: with every P stepping a decoder, requests and answers waited up to 10 ms
//     a hop, and the running batches ran emptier (mean 25 of 32 sentences at 64
//     clients, 29 with the spare P; bench/RESULTS.md).
//
// The spare P stays within the process's cgroup CPU limit (cgroup v2 cpu.max, v1
// cpu.cfs_quota_us, the lowest of its cgroup and their parents, rounded up as the Go
// runtime rounds it): where the limit is threads or fewer CPUs, GOMAXPROCS is threads.
// The decoders keep threads Ps busy, so a P beyond the limit would have the kernel
// stop the whole process for the rest of each period once the quota is spent, a
// longer wait than the network poll it saves.
//
// Call it before New (New's default Workers is the Translator's Parallelism, which is
// simd.Threads), and pass workers as Config.Workers.
func SetProcs(threads, workers int) int {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	perDecoder := max(1, threads/max(1, workers))
	simd.SetThreads(perDecoder)
	procs := threads + 1
	if limit, ok := cpuLimit(cgroupFS); ok && float64(procs) > math.Ceil(limit) {
		procs = threads
	}
	runtime.GOMAXPROCS(procs)
	return perDecoder
}

// cgroupFS is the file system cpuLimit reads (the root; tests swap it).
var cgroupFS = os.DirFS("/")

// cpuLimit returns the CPU bandwidth limit (quota ÷ period, in CPUs) of the process's
// cgroup read from fsys (a view of /), the lowest of its cgroup's and its ancestors',
// and whether there is one. It reads cgroup v2's cpu.max under sys/fs/cgroup, else
// cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us under sys/fs/cgroup/cpu (or
// cpu,cpuacct), for the cgroup proc/self/cgroup names; anything unreadable or
// malformed counts as no limit.
func cpuLimit(fsys fs.FS) (float64, bool) {
	b, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	limit, found := math.Inf(1), false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// hierarchy-ID:controllers:path
		f := strings.SplitN(sc.Text(), ":", 3)
		if len(f) != 3 {
			continue
		}
		var dirs []string
		var read func(dir string) (float64, bool)
		switch {
		case f[0] == "0" && f[1] == "":
			dirs, read = []string{"sys/fs/cgroup"}, func(dir string) (float64, bool) { return cpuMax(fsys, dir) }
		case slices.Contains(strings.Split(f[1], ","), "cpu"):
			dirs = []string{"sys/fs/cgroup/cpu", "sys/fs/cgroup/cpu,cpuacct", "sys/fs/cgroup/cpuacct,cpu"}
			read = func(dir string) (float64, bool) { return cfsQuota(fsys, dir) }
		default:
			continue
		}
		for _, root := range dirs {
			for p := path.Clean("/" + f[2]); ; p = path.Dir(p) {
				if l, ok := read(path.Join(root, p)); ok {
					limit, found = min(limit, l), true
				}
				if p == "/" {
					break
				}
			}
		}
	}
	return limit, found
}

// cpuMax reads dir/cpu.max ("QUOTA PERIOD" or "max PERIOD").
func cpuMax(fsys fs.FS, dir string) (float64, bool) {
	b, err := fs.ReadFile(fsys, path.Join(dir, "cpu.max"))
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] == "max" {
		return 0, false
	}
	return ratio(f[0], f[1])
}

// cfsQuota reads dir/cpu.cfs_quota_us (−1: none) and dir/cpu.cfs_period_us.
func cfsQuota(fsys fs.FS, dir string) (float64, bool) {
	q, err1 := fs.ReadFile(fsys, path.Join(dir, "cpu.cfs_quota_us"))
	p, err2 := fs.ReadFile(fsys, path.Join(dir, "cpu.cfs_period_us"))
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return ratio(strings.TrimSpace(string(q)), strings.TrimSpace(string(p)))
}

// ratio is quota ÷ period for positive integers, else no limit.
func ratio(quota, period string) (float64, bool) {
	q, err1 := strconv.ParseInt(quota, 10, 64)
	p, err2 := strconv.ParseInt(period, 10, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0, false
	}
	return float64(q) / float64(p), true
}
