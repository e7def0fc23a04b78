package simd

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time this thread has run, in ns: on the shared benchmark
// machine it leaves out the time the thread waited for a core, which wall-clock
// ns/op counts.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// cpuClock measures the thread CPU time of a benchmark loop: start it before the
// loop, report after it (the goroutine is locked to its thread meanwhile).
type cpuClock struct{ t0 int64 }

func startCPUClock() cpuClock {
	runtime.LockOSThread()
	return cpuClock{threadCPU()}
}

// report adds cpu-ns/op, and GFLOP/s over CPU time for flops per op (if > 0).
func (c cpuClock) report(b *testing.B, flops float64) {
	ns := float64(threadCPU()-c.t0) / float64(b.N)
	runtime.UnlockOSThread()
	b.ReportMetric(ns, "cpu-ns/op")
	if flops > 0 {
		b.ReportMetric(flops/ns, "cpu-GFLOP/s")
	}
}
