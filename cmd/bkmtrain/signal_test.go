package main

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEndToEndSignalSavesAndExits sends SIGINT and SIGTERM to a long run once it has
// logged a few steps: it must save a checkpoint, say where, and exit with status 0; the
// run then resumes from that checkpoint.
func TestEndToEndSignalSavesAndExits(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			log, err := runUntil(t, append([]string{"train", "--out", dir, "--steps", "1000000", "--eval-every", "0", "--log-every", "3"}, tiny...),
				"step 6/", func(p *os.Process) error { return p.Signal(sig) })
			require.NoError(t, err, "exit status; log:\n%s", log)
			ckpt := filepath.Join(dir, "checkpoint.bkm")
			require.Regexp(t, `interrupted by `+sig.String()+` at step \d+: checkpoint saved to `+regexpQuote(ckpt), log)
			require.FileExists(t, ckpt)
			recs := readMetrics(t, filepath.Join(dir, "metrics.jsonl"))
			last := recs[len(recs)-1]
			require.Equal(t, "checkpoint", last.Event)
			require.Contains(t, last.Detail, "signal")

			r := runBin(t, "", "train", "--resume", dir, "--steps", itoa(last.Step+2), "--out", dir, "--progress", "plain", "--eval-every", "0", "--bleu-sentences", "1")
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, "done: "+itoa(last.Step+2)+" steps")
		})
	}
}

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }

func itoa(n int) string { return strconv.Itoa(n) }

// TestEndToEndProfilesAndProgressBar checks --cpuprofile/--memprofile write pprof files
// (gzip-compressed protobuf) and that --progress bar redraws one line in place.
func TestEndToEndProfilesAndProgressBar(t *testing.T) {
	tmp := t.TempDir()
	cpu, mem := filepath.Join(tmp, "cpu.pprof"), filepath.Join(tmp, "mem.pprof")
	a := append([]string{"train", "--out", filepath.Join(tmp, "run"), "--steps", "5", "--eval-every", "0", "--cpuprofile", cpu, "--memprofile", mem}, tinyModel...)
	a = append(a, "--progress", "bar", "--bleu-sentences", "1", "--samples", "1")
	r := runBin(t, "", a...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "\r\x1b[K")
	require.Contains(t, r.stderr, "5/5  loss")
	require.Contains(t, r.stderr, "tok/s  eta")
	for _, p := range []string{cpu, mem} {
		f, err := os.Open(p)
		require.NoError(t, err)
		zr, err := gzip.NewReader(f)
		require.NoError(t, err, "%s is a gzip-compressed pprof profile", p)
		b, err := io.ReadAll(zr)
		require.NoError(t, err)
		require.NotEmpty(t, b)
		f.Close()
	}
}

// TestEndToEndSignalStopsFinalValidation: Ctrl-C during the final validation's BLEU
// (all the validation sentences, which can take minutes) stops it at the next
// sentence: the finished run's checkpoint is saved and the run says so, exit status 0.
// The signal used to wait for the whole BLEU and then be dropped.
func TestEndToEndSignalStopsFinalValidation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	a := append([]string{"train", "--out", dir, "--steps", "1", "--eval-every", "0", "--log-every", "1"}, tiny...)
	log, err := runUntil(t, append(a, "--final-bleu-sentences", "0"), "step 1/", func(p *os.Process) error { return p.Signal(syscall.SIGINT) })
	require.NoError(t, err, "exit status; log:\n%s", log)
	ckpt := filepath.Join(dir, "checkpoint.bkm")
	require.Contains(t, log, "; BLEU stopped by interrupt")
	require.Contains(t, log, "interrupted by interrupt during the final validation: the run's 1 steps are done, checkpoint saved to "+ckpt)
	require.FileExists(t, ckpt)
	recs := readMetrics(t, filepath.Join(dir, "metrics.jsonl"))
	require.Equal(t, "end of run", recs[len(recs)-1].Detail)
}

// TestEndToEndSignalStopsValidation: Ctrl-C during a validation mid-run stops its BLEU
// and the run saves and exits as on a signal between steps, ready to resume.
func TestEndToEndSignalStopsValidation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	a := append([]string{"train", "--out", dir, "--steps", "5", "--eval-every", "2", "--log-every", "1"}, tiny...)
	log, err := runUntil(t, append(a, "--bleu-sentences", "100000"), "step 2/", func(p *os.Process) error { return p.Signal(syscall.SIGINT) })
	require.NoError(t, err, "exit status; log:\n%s", log)
	require.Contains(t, log, "valid step 2: loss")
	require.Contains(t, log, "; BLEU stopped by interrupt")
	require.Contains(t, log, "interrupted by interrupt at step 2: checkpoint saved to "+filepath.Join(dir, "checkpoint.bkm"))
	r := runBin(t, "", "train", "--resume", dir, "--steps", "3", "--progress", "plain", "--eval-every", "0", "--bleu-sentences", "1")
	require.Equal(t, 0, r.code, r.stderr)
}
