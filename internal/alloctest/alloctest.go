package alloctest

import (
	"fmt"
	"runtime"
	"strings"
)

// modulePrefix marks the frames of bkm's own code.
const modulePrefix = "github.com/kernelmachines/bkm/"

// selfPrefix marks this package's frames: reading the profile allocates.
const selfPrefix = modulePrefix + "internal/alloctest."

// runtimeRefills are runtime functions whose allocations refill a cache the garbage
// collector empties (the sudog a parked goroutine waits in, the P's cached pinner that
// runtime.Pinner.Unpin leaves and Pin takes) or make a goroutine's own once (the timer
// of its first time.Sleep); steady-state code that parks, pins or sleeps does not
// allocate once they exist again.
var runtimeRefills = []string{"runtime.acquireSudog", "runtime.(*Pinner).Pin", "time.Sleep"}

// Library runs f and returns how many heap allocations bkm's non-test code made while
// it ran, and a report of their stacks (empty when there were none). An allocation
// counts when the innermost frame of bkm's code on its stack is not in a _test.go
// file (nor alloctest's own) and it is not a runtime cache refill. Allocations on stacks with no bkm frame
// (the GC's workers, the scavenger) do not count. Library sets runtime.MemProfileRate
// to 1 while it runs and runs two garbage collections after f so the profile holds
// f's allocations; it is for tests, not for concurrent use.
func Library(f func()) (int64, string) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	runtime.GC()
	runtime.GC()
	before := library()
	f()
	runtime.GC()
	runtime.GC()
	after := library()
	var n int64
	var report strings.Builder
	for stack, count := range after {
		if d := count - before[stack]; d > 0 {
			n += d
			fmt.Fprintf(&report, "%d allocation(s) at\n%s\n", d, stack)
		}
	}
	return n, report.String()
}

// library returns the allocation count of every profiled stack that counts, keyed by
// the stack's text.
func library() map[string]int64 {
	var records []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		records = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		if n, ok = runtime.MemProfile(records, true); ok {
			records = records[:n]
			break
		}
	}
	counts := make(map[string]int64)
	for i := range records {
		if stack, ok := libraryStack(records[i].Stack()); ok {
			counts[stack] += records[i].AllocObjects
		}
	}
	return counts
}

// libraryStack renders a stack and reports whether its allocation counts.
func libraryStack(pcs []uintptr) (string, bool) {
	frames := runtime.CallersFrames(pcs)
	var text strings.Builder
	counts, decided := false, false
	for {
		fr, more := frames.Next()
		fmt.Fprintf(&text, "\t%s\n\t\t%s:%d\n", fr.Function, fr.File, fr.Line)
		if !decided {
			for _, r := range runtimeRefills {
				if fr.Function == r {
					decided = true // counts stays false
				}
			}
			if !decided && strings.HasPrefix(fr.Function, selfPrefix) {
				decided = true // the profile's own reading
			}
			if !decided && strings.HasPrefix(fr.Function, modulePrefix) {
				counts, decided = !strings.HasSuffix(fr.File, "_test.go"), true
			}
		}
		if !more {
			break
		}
	}
	return text.String(), counts
}
