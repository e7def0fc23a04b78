package par

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// traceDelta turns tracing on, runs body and returns what the pool counted meanwhile,
// after the pool goroutines have taken every ticket body sent.
func traceDelta(t *testing.T, body func()) Stats {
	t.Helper()
	defer SetTrace(SetTrace(true))
	before := ReadStats()
	body()
	var d Stats
	require.Eventually(t, func() bool {
		d = ReadStats().Sub(before)
		return d.Joins+d.Late == d.Invites
	}, time.Minute, time.Millisecond, "every ticket sent is taken")
	return d
}

func TestTraceCountsCalls(t *testing.T) {
	j := &nopJob{}
	Run(4, 2, j) // the pool goroutine exists
	d := traceDelta(t, func() {
		for range 10 {
			Run(4, 2, j)
		}
		Run(4, 1, j)
		Run(1, 2, j)
	})
	require.Equal(t, int64(10), d.Calls)
	require.Equal(t, int64(2), d.Alone)
	require.Equal(t, int64(40), d.Tasks)
	require.Equal(t, int64(10), d.Invites+d.Full)
	require.LessOrEqual(t, d.Helped, d.Tasks)
	require.Positive(t, d.Wall)
	require.GreaterOrEqual(t, d.Wall, d.CallerWait)
}

// A pool goroutine left without work for longer than spinWait parks, and a later
// call's ticket wakes it. (Parked goroutines take tickets first come, first served:
// those that parked before tracing began take the first tickets, uncounted.)
func TestTraceCountsParksAndWakes(t *testing.T) {
	j := &nopJob{}
	Run(2, 2, j)
	d := traceDelta(t, func() {
		before := ReadStats()
		for i := 0; i < 3 || ReadStats().Sub(before).Wakes == 0 && i < 1000; i++ {
			time.Sleep(4 * spinWait)
			Run(2, 2, j)
		}
	})
	require.Positive(t, d.Parks)
	require.Positive(t, d.Wakes)
	require.Positive(t, d.Parked)
	require.GreaterOrEqual(t, d.Start, d.WakeStart)
	require.Positive(t, d.Spin)
}

// Calls made with tracing off count nothing (a pool goroutine's wait that began while
// it was on may still end and count its spin and park).
func TestTraceOff(t *testing.T) {
	defer SetTrace(SetTrace(false))
	j := &nopJob{}
	before := ReadStats()
	for range 10 {
		Run(4, 2, j)
	}
	time.Sleep(time.Millisecond)
	d := ReadStats().Sub(before)
	d.Spin, d.Parks, d.Parked, d.Wakes, d.WakeStart = 0, 0, 0, 0, 0
	require.Equal(t, Stats{}, d)
}

func TestStatsAddSub(t *testing.T) {
	a := Stats{Calls: 3, Parks: 2, Spin: 5, Wall: 7}
	b := Stats{Calls: 1, Wakes: 4, Spin: 2, CallerWait: 1}
	require.Equal(t, Stats{Calls: 4, Parks: 2, Wakes: 4, Spin: 7, Wall: 7, CallerWait: 1}, a.Add(b))
	require.Equal(t, a, a.Add(b).Sub(b))
}

// TestEnvPanics: BKM_TRACE and BKM_PAR_SPIN both reject bad values with a panic that
// names the variable and what is allowed, and accept the valid ones.
func TestEnvPanics(t *testing.T) {
	require.PanicsWithValue(t, `par: BKM_TRACE="par,gemm" names "gemm": allowed are par and all, comma-separated`,
		func() { traceNamed("par,gemm") })
	require.PanicsWithValue(t, `par: BKM_PAR_SPIN="2" is not a non-negative duration`, func() { spinBudget("2") })
	require.PanicsWithValue(t, `par: BKM_PAR_SPIN="-1ms" is not a non-negative duration`, func() { spinBudget("-1ms") })
	require.False(t, traceNamed(""))
	require.True(t, traceNamed("par"))
	require.True(t, traceNamed("all"))
	require.Equal(t, defaultSpinWait, spinBudget(""))
	require.Equal(t, 2*time.Millisecond, spinBudget("2ms"))
}
