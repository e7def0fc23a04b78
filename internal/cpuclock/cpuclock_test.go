package cpuclock

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProcessNanos: the process's CPU time grows while a goroutine spins (until it has
// grown by 1 ms; the wall-clock cap only stops a clock that never moves).
func TestProcessNanos(t *testing.T) {
	t0 := ProcessNanos()
	if runtime.GOOS != "linux" {
		require.Equal(t, int64(-1), t0)
		return
	}
	require.Positive(t, t0)
	start := time.Now()
	for ProcessNanos()-t0 < int64(time.Millisecond) && time.Since(start) < 10*time.Second {
	}
	require.GreaterOrEqual(t, ProcessNanos()-t0, int64(time.Millisecond), "10 s of spinning")
}
