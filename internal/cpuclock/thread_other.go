//go:build !linux

package cpuclock

// threadNanos cannot read a thread's CPU time on this system.
func threadNanos() int64 { return -1 }

// ProcessNanos cannot read the process's CPU time on this system.
func ProcessNanos() int64 { return -1 }
