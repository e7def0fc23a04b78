package train

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMeanStdPlusMinus(t *testing.T) {
	m, s := MeanStd([]float64{1, 2, 3, 4})
	require.InDelta(t, 2.5, m, 1e-12)
	require.InDelta(t, 1.2909944487358056, s, 1e-12) // sample std, n−1
	require.Equal(t, "2.50 ± 1.29", PlusMinus([]float64{1, 2, 3, 4}, 2))
	require.Equal(t, "3.0000", PlusMinus([]float64{3}, 4))
	require.Equal(t, "—", PlusMinus(nil, 2))
}

func TestPairedT(t *testing.T) {
	// Differences 1, 2, 3: mean 2, std 1, t = 2√3 with 2 degrees of freedom, whose
	// two-sided p has the closed form 1 − t/√(2 + t²).
	mean, std, tt, df, p := PairedT([]float64{2, 4, 6}, []float64{1, 2, 3})
	require.InDelta(t, 2, mean, 1e-12)
	require.InDelta(t, 1, std, 1e-12)
	require.InDelta(t, 2*math.Sqrt(3), tt, 1e-12)
	require.Equal(t, 2, df)
	require.InDelta(t, 1-tt/math.Sqrt(2+tt*tt), p, 1e-9)
	_, _, tt, _, p = PairedT([]float64{1}, []float64{0})
	require.True(t, math.IsNaN(tt) && math.IsNaN(p), "one pair: no test")
	_, _, tt, _, p = PairedT([]float64{2, 3}, []float64{1, 2})
	require.True(t, math.IsInf(tt, 1))
	require.Zero(t, p)
}

func studyRun(kernel string, seed uint64, bleu, val float64) StudyRun {
	return StudyRun{Kernel: kernel, Seed: seed, BLEU: &bleu, ValLoss: val, FinalLoss: val + 0.5, WallSec: 60,
		CurveSteps: []float64{0, 10, 20}, CurveLoss: []float64{7, val + 1, val}}
}

// A study written run by run reads back whole, ordered by kernel and seed, and its
// report holds the table, the paired tests against edp and the sweeps.
func TestStudyRoundTripAndReport(t *testing.T) {
	dir := t.TempDir()
	cfg, err := QuickConfig("encdec")
	require.NoError(t, err)
	cfg.Model.Vocab, cfg.Model.DModel, cfg.Model.Heads = 1000, 128, 4
	spec := StudySpec{Config: cfg, Data: "d", Tokenizer: "bpe", EvalEvery: 10, BLEUSentences: 50, Beam: 1, Threads: 2}
	require.NoError(t, WriteStudyJSON(filepath.Join(dir, StudySpecFile), spec))
	runs := []StudyRun{
		studyRun("taylor2", 2, 7, 3.3), studyRun("edp", 1, 9, 3.1), studyRun("edp", 2, 10, 3.0),
		studyRun("taylor1", 1, 5, 3.5), studyRun("taylor2", 1, 8, 3.2), studyRun("taylor1", 2, 6, 3.4),
		{Kernel: "favor", Seed: 1, Diverged: "diverged: loss is NaN at step 3"},
	}
	runs[1].Build = "0123456789ab"
	for _, r := range runs {
		d := filepath.Join(dir, r.Kernel+"-seed"+string(rune('0'+r.Seed)))
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, WriteStudyJSON(filepath.Join(d, StudyRunFile), r))
	}
	got, read, err := ReadStudy(dir, []string{"edp", "taylor1", "taylor2", "favor"})
	require.NoError(t, err)
	require.True(t, got.Same(spec))
	require.Len(t, read, len(runs))
	var order []string
	for _, r := range read {
		order = append(order, r.Kernel)
	}
	require.Equal(t, []string{"edp", "edp", "taylor1", "taylor1", "taylor2", "taylor2", "favor"}, order)
	require.Equal(t, uint64(1), read[0].Seed)

	rep := StudyReport(spec, read)
	require.Contains(t, rep, "| edp | 9.50 ± 0.71 | 3.0500 ± 0.0707 |")
	require.Contains(t, rep, "| favor | — | — | — | — | 0/1 (diverged: seeds 1) |")
	require.Contains(t, rep, "Paired t-tests over seeds against edp")
	// taylor1 − edp: BLEU −4, −4 (identical differences: t = −Inf, p = 0).
	require.Contains(t, rep, "| taylor1 | 2 | -4.00 ± 0.00 | -Inf | 0.000 |")
	require.Contains(t, rep, "Sweep of taylor: feature dimension")
	require.Contains(t, rep, "| taylor1 | 33 | 5.50 ± 0.71 | 3.4500 ± 0.0707 | 2 |") // head dim 32: C(33, 1)
	require.Contains(t, rep, "| taylor2 | 561 |")                                    // C(34, 2)
	require.Contains(t, rep, "- edp: seed 1 9.00 / 3.1000 (build 0123456789ab); seed 2 10.00 / 3.0000;")

	groups := GroupStudy(read)
	steps, loss := groups[0].MeanCurve()
	require.Equal(t, []float64{0, 10, 20}, steps)
	require.InDeltaSlice(t, []float64{7, 4.05, 3.05}, loss, 1e-12)
}

// A study directory is read strictly: no spec, or a result with an unknown field, is
// an error naming the file.
func TestReadStudyErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := ReadStudy(dir, nil)
	require.ErrorContains(t, err, "holds no kernel study (no study.json)")
	require.NoError(t, WriteStudyJSON(filepath.Join(dir, StudySpecFile), StudySpec{}))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "edp-seed1"), 0o755))
	bad := filepath.Join(dir, "edp-seed1", StudyRunFile)
	require.NoError(t, os.WriteFile(bad, []byte(`{"kernel": "edp", "bleux": 3}`), 0o644))
	_, _, err = ReadStudy(dir, nil)
	require.ErrorContains(t, err, bad)
	require.ErrorContains(t, err, `unknown field "bleux"`)
}

// TestReadRunLog reads a log that spans two sessions, the second resumed at the step the
// first last validated: the curve holds each step once (the later value), the final loss
// is the last update's, and the wall time sums the sessions' last elapsed times.
func TestReadRunLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	f := func(x float64) *float64 { return &x }
	writeMetricsLog(t, path, -1, []MetricsRecord{
		{Kind: "event", Event: "start", Build: "aaa"},
		{Kind: "valid", Step: 0, ValLoss: f(5), Elapsed: 1},
		{Kind: "train", Step: 1, Loss: f(4.5), Elapsed: 2},
		{Kind: "train", Step: 2, Loss: f(4), Elapsed: 3},
		{Kind: "valid", Step: 2, ValLoss: f(3.5), Elapsed: 4},
		{Kind: "event", Step: 2, Event: "checkpoint", Elapsed: 5},
		{Kind: "train", Step: 3, Loss: f(9), Elapsed: 6}, // cut by the resume
	}...)
	writeMetricsLog(t, path, 2, []MetricsRecord{
		{Kind: "event", Step: 2, Event: "start", Build: "bbb"},
		{Kind: "valid", Step: 2, ValLoss: f(3.25), Elapsed: 0.5},
		{Kind: "train", Step: 3, Loss: f(3), Elapsed: 1},
		{Kind: "valid", Step: 3, ValLoss: f(3.125), Elapsed: 2},
	}...)
	got, err := ReadRunLog(path)
	require.NoError(t, err)
	require.Equal(t, RunLog{CurveSteps: []float64{0, 2, 3}, CurveLoss: []float64{5, 3.25, 3.125}, FinalLoss: 3, WallSec: 7,
		Builds: []string{"aaa", "bbb"}}, got) // resumed by another build: both

	require.NoError(t, os.WriteFile(path, []byte("{\"kind\":\"train\"}\n{oops\n"), 0o644))
	_, err = ReadRunLog(path)
	require.ErrorContains(t, err, path+":2:")
	_, err = ReadRunLog(filepath.Join(t.TempDir(), "none"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
