//go:build !linux

package cpuclock

// threadNanos cannot read a thread's CPU time on this system.
func threadNanos() int64 { return -1 }
