package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// TestEndToEndDivergedRunSavesLastGood: a learning rate that overflows the update
// (3e38) or makes finite parameters whose loss is NaN (1e12) stops the run, and the
// model it saves as the last good one evaluates to a finite loss (it used to save NaN
// parameters, or finite ones whose eval loss was NaN and translations NUL bytes).
func TestEndToEndDivergedRunSavesLastGood(t *testing.T) {
	for _, lr := range []string{"3e38", "1e12"} {
		t.Run(lr, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			r := runBin(t, "", append([]string{"train"}, args("--out", dir, "--steps", "20", "--lr", lr, "--warmup", "1", "--clip", "0",
				"--schedule", "constant", "--eval-every", "0")...)...)
			require.Equal(t, 1, r.code, "stderr: %s", r.stderr)
			require.Regexp(t, `diverged: .* at step \d+; stopped without applying that update and saved the last good model \(after step \d+\) to `, r.stderr)
			require.NotContains(t, r.stderr, "goroutine", "no stack trace")
			r = runBin(t, "", "eval", "--checkpoint", dir, "--bleu-sentences", "1")
			require.Equal(t, 0, r.code, "the saved model evaluates: %s", r.stderr)
			require.NotContains(t, r.stdout, "NaN")
		})
	}
}

// TestEndToEndNonFiniteModelFails: eval and translate of a checkpoint whose parameters
// are NaN (as older versions saved after a divergence) fail with one line saying so,
// instead of printing a NaN loss and NUL bytes with status 0.
func TestEndToEndNonFiniteModelFails(t *testing.T) {
	dir, _ := trainTiny(t, "--steps", "1", "--eval-every", "0")
	path := filepath.Join(dir, "checkpoint.bkm")
	tr, hdr, err := train.Load(path)
	require.NoError(t, err)
	for i := range tr.Model.Params {
		tr.Model.Params[i] = float32(math.NaN())
	}
	tok, err := hdr.Tokenizer.Tokenizer()
	require.NoError(t, err)
	require.NoError(t, tr.Save(path, hdr.Data, tok))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	for _, cmd := range [][]string{{"eval", "--checkpoint", dir, "--bleu-sentences", "1"}, {"translate", "--checkpoint", dir}} {
		r := runBin(t, "hola\n", cmd...)
		require.Equal(t, 1, r.code, "%v: stdout %q stderr %q", cmd, r.stdout, r.stderr)
		require.Contains(t, r.stderr, "the model produces non-finite values", cmd)
		require.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
	}
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after, "the checkpoint is left as it was")
}

// TestEndToEndNaNValidationAfterLastUpdate: an update huge but finite (--lr 1e30) as
// the run's last makes the final validation loss NaN before any later step could
// notice: the run stops as diverged and saves the model of before that update, which
// evaluates to a finite loss (it used to fail with "json: unsupported value: NaN",
// saving nothing and saying nothing of why).
func TestEndToEndNaNValidationAfterLastUpdate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r := runBin(t, "", append([]string{"train"}, args("--out", dir, "--steps", "2", "--lr", "1e30", "--warmup", "1", "--clip", "0",
		"--eval-every", "0")...)...)
	require.Equal(t, 1, r.code, "stderr: %s", r.stderr)
	require.Contains(t, r.stderr, "diverged: validation loss is NaN at step 2; stopped without applying that update and saved the last good model (after step 1)")
	require.NotContains(t, r.stderr, "json")
	r = runBin(t, "", "eval", "--checkpoint", dir, "--bleu-sentences", "1")
	require.Equal(t, 0, r.code, "the saved model evaluates: %s", r.stderr)
	require.Contains(t, r.stdout, "step 1: valid loss")
	require.NotContains(t, r.stdout, "NaN")
}
