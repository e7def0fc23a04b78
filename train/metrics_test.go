package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResumeMetricsCutsBackToTheCheckpoint: records after the resumed step, and a line
// cut short by a kill, are dropped before the log continues, so each step is logged once.
func TestResumeMetricsCutsBackToTheCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	writeMetricsLog(t, path, -1, MetricsRecord{Kind: "train", Step: 1}, MetricsRecord{Kind: "train", Step: 2},
		MetricsRecord{Kind: "train", Step: 3}, MetricsRecord{Kind: "train", Step: 4}, MetricsRecord{Kind: "event", Step: 2, Event: "checkpoint"})
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"kind":"train","st`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	writeMetricsLog(t, path, 2, MetricsRecord{Kind: "train", Step: 3})
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, `{"kind":"train","step":1,"elapsed_s":0}
{"kind":"train","step":2,"elapsed_s":0}
{"kind":"event","step":2,"elapsed_s":0,"event":"checkpoint"}
{"kind":"train","step":3,"elapsed_s":0}
`, string(b))

	// A missing log is started afresh.
	writeMetricsLog(t, filepath.Join(t.TempDir(), "new.jsonl"), 7)
}

// writeMetricsLog writes recs to the metrics log at path: a new log (CreateMetrics)
// when resumeAt < 0, else the log resumed at step resumeAt (ResumeMetrics).
func writeMetricsLog(t *testing.T, path string, resumeAt int, recs ...MetricsRecord) {
	t.Helper()
	open := func() (*MetricsLog, error) { return ResumeMetrics(path, resumeAt) }
	if resumeAt < 0 {
		open = func() (*MetricsLog, error) { return CreateMetrics(path) }
	}
	m, err := open()
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, m.Write(r))
	}
	require.NoError(t, m.Close())
}
