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

// ProcessNanos returns the CPU time of the process, all threads, in ns, or -1.
func ProcessNanos() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts) != nil {
		return -1
	}
	return ts.Nano()
}
