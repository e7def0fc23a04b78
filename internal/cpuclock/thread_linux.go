package cpuclock

import "golang.org/x/sys/unix"

// threadNanos returns the calling thread's CPU time in ns, or -1.
func threadNanos() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return -1
	}
	return ts.Nano()
}
