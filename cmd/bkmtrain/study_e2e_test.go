package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
	cmd := exec.Command(bkmtrainBinary(t), study...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Start())
	deadline := time.AfterFunc(120*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "[poly2 seed 1] valid step 0:") {
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		}
	}
	require.NoError(t, cmd.Wait(), "log:\n%s", log.String())
	require.Contains(t, log.String(), "compare-kernels interrupted: 2 of 3 runs finished and saved in "+dir)
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
	require.Contains(t, r.stderr, "[poly2 seed 1] valid step 0:")
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
