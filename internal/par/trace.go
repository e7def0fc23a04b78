package par

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Tracing counts what the pool does — calls, invitations, parks and wake-ups, and
// where its goroutines' time goes — so that the idle time of a parallel program can be
// attributed. It is off unless SetTrace turns it on or BKM_TRACE names "par" (a
// comma-separated list, or "all"); off, it costs one atomic load per call and per
// ticket.

// Stats is what the pool did while tracing was on. Durations are wall time.
type Stats struct {
	Calls  int64 // Run calls that invited pool goroutines
	Alone  int64 // Run calls that ran on the caller alone (one task, or workers ≤ 1)
	Tasks  int64 // tasks of the calls that invited pool goroutines
	Helped int64 // of those, tasks a pool goroutine ran

	Invites int64 // tickets sent
	Full    int64 // tickets not sent: the queue was full
	Joins   int64 // tickets whose goroutine ran at least one task
	Late    int64 // tickets whose goroutine found every task claimed

	Parks       int64 // pool goroutines that parked after spinning for spinWait
	Wakes       int64 // tickets taken by a parked goroutine (each a futex wake-up)
	CallerParks int64 // callers that parked waiting for the last tasks

	// Start is the time from a ticket's send to its goroutine's taking it, summed over
	// the tickets taken; WakeStart the same over the tickets that woke a parked
	// goroutine.
	Start, WakeStart time.Duration
	Spin             time.Duration // pool goroutines polling for a ticket
	Parked           time.Duration // pool goroutines parked
	Helping          time.Duration // pool goroutines holding a ticket (running tasks)
	// CallerWait is the time callers spent after their last task waiting for the tasks
	// others were still running; CallerParked the part of it they were parked.
	CallerWait, CallerParked time.Duration
	Wall                     time.Duration // the calls that invited pool goroutines, call to return
}

// Sub returns s − o, field by field: the activity between two ReadStats.
func (s Stats) Sub(o Stats) Stats { return s.plus(o, -1) }

// Add returns s + o, field by field.
func (s Stats) Add(o Stats) Stats { return s.plus(o, 1) }

func (s Stats) plus(o Stats, sign int64) Stats {
	sc, oc := s.counters(), o.counters()
	for i := range sc {
		*sc[i] += sign * *oc[i]
	}
	sd, od := s.durations(), o.durations()
	for i := range sd {
		*sd[i] += time.Duration(sign) * *od[i]
	}
	return s
}

// SetTrace turns tracing on or off and returns the previous setting. Counts taken
// while it was on are kept (ReadStats adds them up from the start of the process).
func SetTrace(on bool) bool { return tracing.Swap(on) }

// ReadStats returns the counts since the process started. A call, and a pool
// goroutine's wait for a ticket, are counted when they end: the counts of a call and
// of the tickets it sent when it was traced, a wait when tracing was on as it began.
func ReadStats() Stats {
	var s Stats
	for i, p := range s.counters() {
		*p = traced[i].Load()
	}
	for i, p := range s.durations() {
		*p = time.Duration(traced[nCounters+i].Load())
	}
	return s
}

// The traced values, in the order of Stats' fields (counters, then durations).
const (
	tCalls = iota
	tAlone
	tTasks
	tHelped
	tInvites
	tFull
	tJoins
	tLate
	tParks
	tWakes
	tCallerParks
	nCounters

	tStart = iota - 1
	tWakeStart
	tSpin
	tParked
	tHelping
	tCallerWait
	tCallerParked
	tWall
	nTraced
)

func (s *Stats) counters() [nCounters]*int64 {
	return [...]*int64{&s.Calls, &s.Alone, &s.Tasks, &s.Helped, &s.Invites, &s.Full, &s.Joins, &s.Late,
		&s.Parks, &s.Wakes, &s.CallerParks}
}

func (s *Stats) durations() [nTraced - nCounters]*time.Duration {
	return [...]*time.Duration{&s.Start, &s.WakeStart, &s.Spin, &s.Parked, &s.Helping, &s.CallerWait,
		&s.CallerParked, &s.Wall}
}

var (
	tracing atomic.Bool
	traced  [nTraced]atomic.Int64
	epoch   = time.Now()
)

func init() { tracing.Store(traceNamed(os.Getenv("BKM_TRACE"))) }

// traceNamed parses BKM_TRACE: it reports whether the list names par (or all), and
// panics on any other name, as BKM_PAR_SPIN does on a bad value (a measurement must
// not silently run untraced).
func traceNamed(env string) bool {
	on := false
	for _, name := range strings.Split(env, ",") {
		switch name {
		case "":
		case "par", "all":
			on = true
		default:
			panic(fmt.Sprintf("par: BKM_TRACE=%q names %q: allowed are par and all, comma-separated", env, name))
		}
	}
	return on
}

// now is the monotonic time since epoch in ns; never 0 after the first µs, so a 0
// ticket time means "not traced".
func now() int64 { return int64(time.Since(epoch)) }

func count(i int, v int64) { traced[i].Add(v) }

// traceTicket is poolWorker's wait for a ticket, traced: poll, maybe park.
func traceTicket() ticket {
	t0 := now()
	t, ok := pollTicket()
	t1 := now()
	count(tSpin, t1-t0)
	if ok {
		return t
	}
	count(tParks, 1)
	t = <-tickets
	t2 := now()
	count(tParked, t2-t1)
	if t.sent != 0 {
		count(tWakes, 1)
		count(tWakeStart, t2-max(t.sent, t1))
	}
	return t
}

// traceWork runs a traced call's ticket.
func traceWork(t ticket) {
	t1 := now()
	count(tStart, t1-t.sent)
	ran := t.g.work(t.gen, t.n, t.w)
	if ran > 0 {
		count(tJoins, 1)
		count(tHelped, int64(ran))
	} else {
		count(tLate, 1)
	}
	count(tHelping, now()-t1)
}

// traceCallerWait is Run's final wait for the tasks others run, traced: the caller
// finished its last task at t1, the call started at t0.
func traceCallerWait(g *group, n uint32, t0, t1 int64) {
	parked := g.done.Load() < n
	t2 := now()
	<-g.finished
	t3 := now()
	if parked {
		count(tCallerParks, 1)
		count(tCallerParked, t3-t2)
	}
	count(tCallerWait, t3-t1)
	count(tWall, t3-t0)
}
