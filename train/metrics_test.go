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
	m, err := CreateMetrics(path)
	require.NoError(t, err)
	for step := 1; step <= 4; step++ {
		require.NoError(t, m.Write(MetricsRecord{Kind: "train", Step: step}))
	}
	require.NoError(t, m.Write(MetricsRecord{Kind: "event", Step: 2, Event: "checkpoint"}))
	require.NoError(t, m.Close())
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"kind":"train","st`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	m, err = ResumeMetrics(path, 2)
	require.NoError(t, err)
	require.NoError(t, m.Write(MetricsRecord{Kind: "train", Step: 3}))
	require.NoError(t, m.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, `{"kind":"train","step":1,"elapsed_s":0}
{"kind":"train","step":2,"elapsed_s":0}
{"kind":"event","step":2,"elapsed_s":0,"event":"checkpoint"}
{"kind":"train","step":3,"elapsed_s":0}
`, string(b))

	// A missing log is started afresh.
	m, err = ResumeMetrics(filepath.Join(t.TempDir(), "new.jsonl"), 7)
	require.NoError(t, err)
	require.NoError(t, m.Close())
}
