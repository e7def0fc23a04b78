package train

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReadRunLog: no metrics log panics ReadRunLog; a log it refuses gets an error
// naming the file, and a log it reads gives a consistent RunLog: one loss per curve
// step, no step twice in a row (a revalidated step keeps one value), at most one point
// per line, integral steps, and a wall time that is not negative. The seed corpus
// (testdata/fuzz/FuzzReadRunLog) holds a resumed two-session log, a malformed line,
// negative and huge elapsed times, null losses, blank and CRLF lines.
func FuzzReadRunLog(f *testing.F) {
	f.Add([]byte(`{"kind":"event","event":"start"}` + "\n" + `{"kind":"valid","step":0,"val_loss":5,"elapsed_s":1}` + "\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "metrics.jsonl")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		r, err := ReadRunLog(path)
		if err != nil {
			require.ErrorContains(t, err, path)
			return
		}
		require.Len(t, r.CurveLoss, len(r.CurveSteps))
		require.LessOrEqual(t, len(r.CurveSteps), bytes.Count(b, []byte("\n"))+1)
		for i, s := range r.CurveSteps {
			require.Equal(t, math.Trunc(s), s, "step %v", s)
			if i > 0 {
				require.NotEqual(t, r.CurveSteps[i-1], s, "step %v twice in a row", s)
			}
		}
		require.False(t, r.WallSec < 0 || math.IsNaN(r.WallSec), "wall time %v", r.WallSec)
		again, err := ReadRunLog(path)
		require.NoError(t, err)
		require.Equal(t, r, again, "the same log reads the same")
	})
}
