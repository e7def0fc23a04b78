// Package cpuclock measures the CPU time of the calling thread, for benchmarks on a
// shared machine: unlike wall-clock ns/op it leaves out the time the thread waited
// for a core (ProcessNanos reads the whole process's, for load runs). It imports
// golang.org/x/sys/unix and the standard library only.
package cpuclock

import (
	"runtime"
	"testing"
)

// Clock measures the thread CPU time of a benchmark loop: Start before the loop,
// Report after it; the goroutine stays locked to its thread in between.
type Clock struct{ t0 int64 }

// Start locks the goroutine to its thread and reads the thread's CPU time.
func Start() Clock {
	runtime.LockOSThread()
	return Clock{threadNanos()}
}

// Report unlocks the thread and adds cpu-ns/op to b, and cpu-GFLOP/s when flops (per
// op) is positive. Where the thread's CPU time cannot be read it reports nothing.
func (c Clock) Report(b *testing.B, flops float64) {
	t1 := threadNanos()
	runtime.UnlockOSThread()
	if c.t0 < 0 || t1 < 0 || b.N == 0 {
		return
	}
	ns := float64(t1-c.t0) / float64(b.N)
	b.ReportMetric(ns, "cpu-ns/op")
	if flops > 0 && ns > 0 {
		b.ReportMetric(flops/ns, "cpu-GFLOP/s")
	}
}
