package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/kernelmachines/bkm/internal/atomicfile"
)

// MetricsRecord is one line of a run's metrics log (metrics.jsonl). Kind is "train" (one
// optimizer update), "valid" (a validation pass) or "event" (start, checkpoint, stop).
type MetricsRecord struct {
	Kind      string   `json:"kind"`
	Step      int      `json:"step"`
	Loss      *float64 `json:"loss,omitempty"`
	LR        *float64 `json:"lr,omitempty"`
	Tokens    int      `json:"tokens,omitempty"`
	TokPerSec float64  `json:"tok_per_s,omitempty"`
	ValLoss   *float64 `json:"val_loss,omitempty"`
	BLEU      *float64 `json:"bleu,omitempty"`
	Elapsed   float64  `json:"elapsed_s"`
	Event     string   `json:"event,omitempty"`
	Detail    string   `json:"detail,omitempty"`
	// Build is a start event's binary (StudyRun.Build): a run resumed by another build
	// has one start event for each.
	Build string `json:"build,omitempty"`
}

// MetricsLog appends one JSON object per line to a file, flushed after every record so
// a killed run keeps everything it logged.
type MetricsLog struct {
	f *os.File
	w *bufio.Writer
}

// CreateMetrics starts a new metrics log at path, replacing any file there.
func CreateMetrics(path string) (*MetricsLog, error) {
	return openMetrics(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
}

// ResumeMetrics continues the metrics log at path for a run resumed at step: records
// after step (logged by the run after its checkpoint, or a line cut short by a kill) are
// dropped first, so the log holds each step once.
func ResumeMetrics(path string, step int) (*MetricsLog, error) {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("metrics log: %w", err)
	}
	var kept []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		var r MetricsRecord
		if json.Unmarshal(line, &r) == nil && r.Step <= step && bytes.HasSuffix(line, []byte("\n")) {
			kept = append(kept, line...)
		}
	}
	if len(kept) != len(b) {
		if err := atomicfile.WriteFile(path, kept, 0o644); err != nil {
			return nil, fmt.Errorf("metrics log: %w", err)
		}
	}
	return openMetrics(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
}

func openMetrics(path string, mode int) (*MetricsLog, error) {
	f, err := os.OpenFile(path, mode, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics log: %w", err)
	}
	return &MetricsLog{f: f, w: bufio.NewWriter(f)}, nil
}

// Write appends r and flushes it to the file. A nil log (the ranks other than 0 of a
// data-parallel run) writes nothing.
func (m *MetricsLog) Write(r MetricsRecord) error {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	m.w.Write(b)
	m.w.WriteByte('\n')
	return m.w.Flush()
}

// Close flushes and closes the log.
func (m *MetricsLog) Close() error {
	if m == nil {
		return nil
	}
	if err := m.w.Flush(); err != nil {
		m.f.Close()
		return err
	}
	return m.f.Close()
}
