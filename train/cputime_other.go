//go:build !linux

package train

import "time"

// processCPU cannot read the process's CPU time on this system: 0.
func processCPU() time.Duration { return 0 }

// threadCPU cannot read a thread's CPU time on this system: 0.
func threadCPU() time.Duration { return 0 }
