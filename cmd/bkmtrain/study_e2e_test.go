package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// TestEndToEndCompareKernelsResumes interrupts a study with SIGINT once two of its
// three runs have finished: their results are saved, and the same command run again
// keeps them (same files, not retrained), trains the third and writes the report;
// --report then regenerates it from the saved runs alone.
func TestEndToEndCompareKernelsResumes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "study")
	study := append([]string{"compare-kernels", "--kernels", "edp,rbf,poly2", "--seeds", "1", "--steps", "100", "--eval-every", "50",
		"--bleu-sentences", "2", "--out", dir}, tinyModel...)
	log, err := runUntil(t, study, "[poly2 seed 1] valid step 0:", func(p *os.Process) error { return p.Signal(syscall.SIGINT) })
	require.NoError(t, err, "log:\n%s", log)
	require.Contains(t, log, "compare-kernels interrupted: 2 of 3 runs finished and saved in "+dir)
	require.Regexp(t, `\[poly2 seed 1\] interrupted by interrupt at step \d+: checkpoint saved to \S+ \(the same compare-kernels command continues it\)`, log)
	require.NotContains(t, log, "--resume", "compare-kernels has no --resume")
	kept := map[string][]byte{}
	for _, k := range []string{"edp", "rbf"} {
		b, err := os.ReadFile(filepath.Join(dir, k+"-seed1", train.StudyRunFile))
		require.NoError(t, err, "%s's result saved when it finished", k)
		kept[k] = b
	}
	require.NoFileExists(t, filepath.Join(dir, "poly2-seed1", train.StudyRunFile), "the interrupted run has no result")
	require.NoFileExists(t, filepath.Join(dir, "results.md"))

	r := runBin(t, "", study...)
	require.Equal(t, 0, r.code, r.stderr)
	for k, b := range kept {
		require.Contains(t, r.stderr, k+" seed 1: finished earlier")
		require.NotContains(t, r.stderr, "["+k+" seed 1]", "a finished run is not trained again")
		after, err := os.ReadFile(filepath.Join(dir, k+"-seed1", train.StudyRunFile))
		require.NoError(t, err)
		require.Equal(t, b, after)
	}
	require.Regexp(t, `\[poly2 seed 1\] resumed from \S+ at step \d+`, r.stderr, "the interrupted run continues from its checkpoint")
	require.Contains(t, r.stderr, "[poly2 seed 1] valid step 100:")
	require.FileExists(t, filepath.Join(dir, "poly2-seed1", train.StudyRunFile))
	report := mustRead(t, filepath.Join(dir, "results.md"))
	require.Equal(t, report, r.stdout)
	require.Regexp(t, `(?m)^\| poly2 \| .* \| 1/1 \|$`, report)
	require.Contains(t, report, "Paired t-tests over seeds against edp")

	require.NoError(t, os.Remove(filepath.Join(dir, "results.md")))
	rr := runBin(t, "", "compare-kernels", "--report", dir)
	require.Equal(t, 0, rr.code, rr.stderr)
	require.Equal(t, report, rr.stdout, "the report from the saved runs alone")
	require.Equal(t, report, mustRead(t, filepath.Join(dir, "results.md")))

	// Another setup in the same directory is refused, and nothing is changed.
	before := snapshot(t, dir)
	r = runBin(t, "", append(study, "--lr", "1e-3")...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, dir+" holds a kernel study with another config, data or evaluation (study.json)")
	require.Equal(t, before, snapshot(t, dir))
}

// TestEndToEndCompareKernelsResumesRun kills a study (SIGKILL: no chance to save) in the
// middle of its only run, after the run validated and checkpointed at step 25: the same
// command continues the run from its checkpoint, not from step 0, and its result equals
// an uninterrupted study's bit for bit (all but the wall time); the checkpoint is
// removed once the result is saved.
func TestEndToEndCompareKernelsResumesRun(t *testing.T) {
	study := func(dir string) []string {
		return append([]string{"compare-kernels", "--kernels", "edp", "--seeds", "1", "--steps", "100", "--eval-every", "25",
			"--bleu-sentences", "2", "--out", dir}, tinyModel...)
	}
	dir := filepath.Join(t.TempDir(), "study")
	log, err := runUntil(t, study(dir), "[edp seed 1] valid step 50:", (*os.Process).Kill)
	require.Error(t, err, "killed; log:\n%s", log)
	require.FileExists(t, filepath.Join(dir, "edp-seed1", "checkpoint.bkm"), "saved at the validation of step 25")
	require.NoFileExists(t, filepath.Join(dir, "edp-seed1", train.StudyRunFile))

	r := runBin(t, "", study(dir)...)
	require.Equal(t, 0, r.code, r.stderr)
	m := regexp.MustCompile(`\[edp seed 1\] resumed from \S+ at step (\d+)\n`).FindStringSubmatch(r.stderr)
	require.NotNil(t, m, r.stderr)
	step, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	require.Contains(t, []int{25, 50}, step, "the last checkpoint before the kill")
	require.NotContains(t, r.stderr, "[edp seed 1] valid step 0:", "not trained from the start again")
	require.NoFileExists(t, filepath.Join(dir, "edp-seed1", "checkpoint.bkm"), "removed once the result is saved")

	ref := filepath.Join(t.TempDir(), "ref")
	rr := runBin(t, "", study(ref)...)
	require.Equal(t, 0, rr.code, rr.stderr)
	resumed, whole := readRun(t, filepath.Join(dir, "edp-seed1")), readRun(t, filepath.Join(ref, "edp-seed1"))
	require.Greater(t, resumed.WallSec, 0.0)
	resumed.WallSec, whole.WallSec = 0, 0
	require.Equal(t, whole, resumed)
	require.Equal(t, []float64{0, 25, 50, 75, 100}, resumed.CurveSteps, "the curve includes the steps trained before the kill")
}

func readRun(t *testing.T, dir string) train.StudyRun {
	t.Helper()
	r, err := train.ReadStudyRun(dir)
	require.NoError(t, err)
	return r
}
