package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows training progress: a bar redrawn in place on a terminal, or one plain
// line every logEvery steps otherwise (logs, CI, pipes).
type progress struct {
	w        io.Writer
	bar      bool
	logEvery int
	total    int // last step of the run
	start    int // first step of this run (after --resume)
	t0       time.Time
	lastDraw time.Time
	barShown bool
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, mode string, logEvery, start, total int) (*progress, error) {
	p := &progress{w: w, logEvery: max(logEvery, 1), total: total, start: start, t0: time.Now()}
	switch mode {
	case "auto":
		p.bar = isTerminal(w)
	case "bar":
		p.bar = true
	case "plain":
	default:
		return nil, usagef("--progress = %q: want auto, bar or plain", mode)
	}
	return p, nil
}

// update reports the state after step (1-based count of updates done).
func (p *progress) update(step int, loss, lr, tokPerSec float64) {
	done, todo := step-p.start, p.total-step
	var eta time.Duration
	if done > 0 {
		eta = time.Duration(float64(time.Since(p.t0)) / float64(done) * float64(todo)).Round(time.Second)
	}
	if !p.bar {
		if step%p.logEvery == 0 || step == p.total {
			fmt.Fprintf(p.w, "step %d/%d  loss %.4f  lr %.3g  %.0f tok/s  eta %s\n", step, p.total, loss, lr, tokPerSec, eta)
		}
		return
	}
	if time.Since(p.lastDraw) < 100*time.Millisecond && step != p.total {
		return
	}
	p.lastDraw = time.Now()
	const width = 24
	frac := float64(step) / float64(max(p.total, 1))
	n := int(frac * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	fmt.Fprintf(p.w, "\r\x1b[K%s %d/%d  loss %.4f  lr %.3g  %.0f tok/s  eta %s", bar, step, p.total, loss, lr, tokPerSec, eta)
	p.barShown = true
}

// println prints a message on its own line, keeping the bar below it.
func (p *progress) println(format string, args ...any) {
	if p.bar && p.barShown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.barShown = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.bar && p.barShown {
		fmt.Fprintln(p.w)
		p.barShown = false
	}
}
