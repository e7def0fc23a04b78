package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Regression tests of issue 15, each failing on the CLI before its fix.

// TestEndToEndEvalOnOtherData: eval reads only the checkpoint and --valid, so a model
// evaluates on data it was not trained on, whatever its data position (translation) or
// batch shape (language model).
func TestEndToEndEvalOnOtherData(t *testing.T) {
	dir := t.TempDir()
	g := mustWrite(t, dir, "g.tsv", "hola\thello\nadiós\tgoodbye\nsí\tyes\n")
	txt := mustWrite(t, dir, "g.txt", "hello there\ngoodbye\n")

	mt := filepath.Join(dir, "mt")
	r := runIn(t, dir, "", append([]string{"train", "--out", mt, "--steps", "4", "--eval-every", "0"}, tiny...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runIn(t, dir, "", "eval", "--checkpoint", mt, "--valid", g, "--threads", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `^step 4: valid loss \d+\.\d+, perplexity \d+\.\d+, BLEU \d+\.\d+ on 3 sentences`, r.stdout)

	lm := filepath.Join(dir, "lm")
	r = runIn(t, dir, "", "train", "--task", "lm", "--tokenizer", "byte", "--d-model", "16", "--heads", "2", "--ffn", "32", "--layers", "1",
		"--context", "32", "--batch", "4", "--max-len", "32", "--steps", "2", "--warmup", "1", "--eval-every", "0", "--samples", "0",
		"--progress", "plain", "--out", lm, "--threads", "1")
	require.Equal(t, 0, r.code, r.stderr)
	r = runIn(t, dir, "", "eval", "--checkpoint", lm, "--valid", txt, "--threads", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `^step 2: valid loss \d+\.\d+, perplexity \d+\.\d+\n$`, r.stdout)
}

// TestEndToEndResumeStaysInItsDirectory: --resume DIR without --out continues in DIR
// (not in ./bkmtrain-run), and a fresh run does not replace another run's checkpoint
// without --overwrite.
func TestEndToEndResumeStaysInItsDirectory(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "a")
	r := runIn(t, dir, "", append([]string{"train", "--out", run, "--steps", "2", "--eval-every", "0"}, tiny...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runIn(t, dir, "", "train", "--resume", "a", "--steps", "3", "--eval-every", "0", "--bleu-sentences", "1", "--progress", "plain")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "done: 3 steps")
	require.Contains(t, r.stdout, "checkpoint "+filepath.Join("a", "checkpoint.bkm"))
	require.NoDirExists(t, filepath.Join(dir, "bkmtrain-run"))
	require.Equal(t, []int{1, 2, 3}, trainSteps(readMetrics(t, filepath.Join(run, "metrics.jsonl"))))

	before := mustRead(t, filepath.Join(run, "checkpoint.bkm"))
	r = runIn(t, dir, "", append([]string{"train", "--out", "a", "--steps", "1"}, tiny...)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "a holds another run (checkpoint.bkm)")
	require.Equal(t, before, mustRead(t, filepath.Join(run, "checkpoint.bkm")), "the other run's checkpoint is untouched")
	r = runIn(t, dir, "", append([]string{"train", "--out", "a", "--steps", "1", "--overwrite", "--eval-every", "0"}, tiny...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, []int{1}, trainSteps(readMetrics(t, filepath.Join(run, "metrics.jsonl"))))

	// Resuming into another directory starts that directory's metrics at the checkpoint.
	r = runIn(t, dir, "", "train", "--resume", "a", "--out", "b", "--steps", "2", "--eval-every", "0", "--bleu-sentences", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, []int{2}, trainSteps(readMetrics(t, filepath.Join(dir, "b", "metrics.jsonl"))))
}

// TestEndToEndResumeMetricsHaveEachStepOnce: a run killed after logging steps past its
// last checkpoint logs those steps again when resumed; the log keeps each step once.
func TestEndToEndResumeMetricsHaveEachStepOnce(t *testing.T) {
	dir, r := trainTiny(t, "--steps", "2", "--eval-every", "0")
	ckpt := filepath.Join(dir, "checkpoint.bkm")
	atStep2 := mustRead(t, ckpt)
	r = runBin(t, "", "train", "--resume", dir, "--steps", "4", "--eval-every", "0", "--bleu-sentences", "1")
	require.Equal(t, 0, r.code, r.stderr)
	// As after kill -9 at step 4 with the last checkpoint at step 2.
	require.NoError(t, os.WriteFile(ckpt, []byte(atStep2), 0o644))
	r = runBin(t, "", "train", "--resume", dir, "--steps", "4", "--eval-every", "0", "--bleu-sentences", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, []int{1, 2, 3, 4}, trainSteps(readMetrics(t, filepath.Join(dir, "metrics.jsonl"))))
}

// TestEndToEndTrainHelpShowsDefaults: -h shows the default of every config flag.
func TestEndToEndTrainHelpShowsDefaults(t *testing.T) {
	r := runBin(t, "", "train", "-h")
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{
		"updates to train for (default 2600; 600 with --task lm)",
		"model width (default 128; 64 with --task lm)",
		"peak learning rate (default 0.002)",
		"attention kernel of every layer: edp (softmax), rbf, expint, poly2, taylor2, linear, favor, ... (default rbf; edp with --task lm)",
		"encoder and decoder layers (N, or ENC,DEC) (default 2,2; 0,2 with --task lm)",
		"AdamW β2 (default 0.98)",
		"translation: tokens per batch (default 1024)",
		"language model: sequences per batch (default 16)",
		"random seed (initialization, dropout, data order) (default 1)",
	} {
		require.Contains(t, r.stderr, want)
	}
}
