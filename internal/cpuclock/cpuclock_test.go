package cpuclock

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProcessNanos: the process's CPU time grows by about the time a goroutine spins.
func TestProcessNanos(t *testing.T) {
	t0 := ProcessNanos()
	if runtime.GOOS != "linux" {
		require.Equal(t, int64(-1), t0)
		return
	}
	require.Positive(t, t0)
	for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
	}
	require.GreaterOrEqual(t, ProcessNanos()-t0, int64(time.Millisecond), "20 ms of spinning")
}
