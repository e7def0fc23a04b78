package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// metricsLog appends one JSON object per line to a file, flushed after every record so
// a killed run keeps everything it logged.
type metricsLog struct {
	f *os.File
	w *bufio.Writer
}

// record is one line of the metrics log. Kind is "train" (one optimizer update),
// "valid" (a validation pass) or "event" (start, checkpoint, stop).
type record struct {
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
}

func openMetrics(path string, appendTo bool) (*metricsLog, error) {
	mode := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		mode = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, mode, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics log: %w", err)
	}
	return &metricsLog{f: f, w: bufio.NewWriter(f)}, nil
}

func (m *metricsLog) write(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	m.w.Write(b)
	m.w.WriteByte('\n')
	return m.w.Flush()
}

func (m *metricsLog) Close() error {
	if err := m.w.Flush(); err != nil {
		m.f.Close()
		return err
	}
	return m.f.Close()
}

func f64(x float64) *float64 { return &x }
