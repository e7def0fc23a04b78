package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

func TestEndToEndTrainResumeEvalTranslate(t *testing.T) {
	dir, r := trainTiny(t, "--steps", "4", "--eval-every", "2", "--save-every", "2")
	require.Contains(t, r.stderr, "translate on embedded Spanish→English Bible verses")
	require.Contains(t, r.stderr, "step 4/4")
	require.Contains(t, r.stderr, "valid step 2: loss")
	require.Contains(t, r.stdout, "done: 4 steps")
	ckpt := filepath.Join(dir, "checkpoint.bkm")
	require.FileExists(t, ckpt)
	recs := readMetrics(t, filepath.Join(dir, "metrics.jsonl"))
	require.Equal(t, []int{1, 2, 3, 4}, trainSteps(recs))
	var valid int
	for _, rec := range recs {
		if rec.Kind == "valid" {
			valid++
			require.NotNil(t, rec.ValLoss)
			require.Greater(t, *rec.ValLoss, 0.0)
		}
		if rec.Kind == "train" {
			require.NotNil(t, rec.Loss)
			require.Greater(t, rec.Tokens, 0)
		}
	}
	require.Equal(t, 2, valid, "validation at step 2 and at the end")

	// Resume for two more steps: the step count continues and the log is appended to.
	r = runBin(t, "", append([]string{"train"}, "--resume", dir, "--steps", "6", "--out", dir, "--eval-every", "0", "--progress", "plain", "--bleu-sentences", "2")...)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Contains(t, r.stderr, "resumed from "+ckpt+" at step 4")
	require.Contains(t, r.stdout, "done: 6 steps")
	require.Equal(t, []int{1, 2, 3, 4, 5, 6}, trainSteps(readMetrics(t, filepath.Join(dir, "metrics.jsonl"))))

	// A config flag cannot change a resumed run.
	r = runBin(t, "", "train", "--resume", dir, "--d-model", "32", "--out", dir)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "--d-model cannot change a resumed run")

	r = runBin(t, "", "eval", "--checkpoint", dir, "--bleu-sentences", "3", "--threads", "1")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Regexp(t, `^step 6: valid loss \d+\.\d+, perplexity \d+\.\d+`, r.stdout)

	r = runBin(t, "Y dijo Dios\nEN el principio\n", "translate", "--checkpoint", ckpt, "--threads", "1")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Len(t, strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"), 2, "one output line per input line: %q", r.stdout)

	// Beam search with the length penalty set, at both ends of its usual range.
	for _, alpha := range []string{"0", "2"} {
		r = runBin(t, "Y dijo Dios\n", "translate", "--checkpoint", ckpt, "--threads", "1", "--beam", "3", "--len-penalty", alpha)
		require.Equal(t, 0, r.code, "--len-penalty %s: stderr: %s", alpha, r.stderr)
		require.Len(t, strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"), 1, "--len-penalty %s: %q", alpha, r.stdout)
	}

	r = runBin(t, "hola\n", "generate", "--checkpoint", ckpt)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "holds a translation model: use bkmtrain translate")
}

func TestEndToEndLanguageModel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lm")
	r := runBin(t, "", "train", "--task", "lm", "--tokenizer", "byte", "--d-model", "16", "--heads", "2", "--ffn", "32", "--layers", "1",
		"--context", "32", "--batch", "4", "--max-len", "32", "--steps", "3", "--warmup", "1", "--eval-every", "0", "--samples", "1",
		"--progress", "plain", "--out", dir, "--threads", "1")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Contains(t, r.stderr, "lm on embedded")
	require.Contains(t, r.stdout, "done: 3 steps")
	r = runBin(t, "In the beginning\n", "generate", "--checkpoint", dir, "--tokens", "5")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "In the beginning"), "%q", r.stdout)
	// A line that is not UTF-8 stops generation there, naming it; the lines before it
	// are continued.
	r = runBin(t, "In the beginning\nadi\xf3s\n", "generate", "--checkpoint", dir, "--tokens", "5")
	require.Equal(t, 1, r.code, "stderr: %s", r.stderr)
	require.Equal(t, "bkmtrain generate: stdin:2: invalid UTF-8\n", r.stderr)
	require.Equal(t, 1, strings.Count(r.stdout, "\n"), "%q", r.stdout)
}

func TestEndToEndCompareKernels(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cmp")
	r := runBin(t, "", append([]string{"compare-kernels", "--kernels", "edp,rbf", "--seeds", "1", "--steps", "3", "--eval-every", "1", "--out", dir}, tinyModel...)...)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Contains(t, r.stderr, "[edp seed 1] valid step 0: loss")
	require.Contains(t, r.stderr, "[rbf seed 1] step 3/3  loss")
	for _, out := range []string{r.stdout, mustRead(t, filepath.Join(dir, "results.md"))} {
		require.Contains(t, out, "| kernel | BLEU | valid loss | final train loss | wall time | runs |")
		require.Regexp(t, `(?m)^\| edp \| .* \| 1/1 \|$`, out)
		require.Regexp(t, `(?m)^\| rbf \| .* \| 1/1 \|$`, out)
	}
	var res struct {
		Runs []train.StudyRun `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(mustRead(t, filepath.Join(dir, "results.json"))), &res))
	require.Len(t, res.Runs, 2)
	for _, r := range res.Runs {
		require.NotNil(t, r.BLEU)
		require.Equal(t, []float64{0, 1, 2, 3}, r.CurveSteps)
	}
	requirePNG(t, filepath.Join(dir, "curves.png"))
}

func TestEndToEndErrors(t *testing.T) {
	tmp := t.TempDir()
	bad := mustWrite(t, tmp, "bad.tsv", "hola\thello\nsin tabulador\n")
	good := mustWrite(t, tmp, "good.tsv", "hola\thello\n")
	aFile := mustWrite(t, tmp, "plainfile", "x")
	badCfg := mustWrite(t, tmp, "bad.json", `{"model": {"d_model": 30, "heads": 4}}`)
	typoCfg := mustWrite(t, tmp, "typo.json", `{"model": {"dmodel": 32}}`)
	out := filepath.Join(tmp, "out")

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"trian"}, 2, `unknown command "trian"`},
		{"unknown flag", []string{"train", "--bogus", "1"}, 2, "flag provided but not defined: -bogus"},
		{"eval without a checkpoint", []string{"eval"}, 2, "--checkpoint is required"},
		{"bad flag value", []string{"train", "--steps", "many"}, 2, `invalid value "many" for flag -steps`},
		{"unknown kernel", []string{"train", "--kernel", "gaussian", "--out", out}, 1, `--kernel: unknown kernel "gaussian" (want edp, rbf`},
		{"unknown kernel in compare", []string{"compare-kernels", "--kernels", "edp,nope", "--out", out}, 1, `--kernels: unknown kernel "nope" (want edp, rbf`},
		{"missing data file", []string{"train", "--train", filepath.Join(tmp, "missing.tsv"), "--valid", good, "--out", out}, 1, "missing.tsv: no such file or directory"},
		{"malformed data file", []string{"train", "--train", bad, "--valid", good, "--out", out}, 1, "bad.tsv:2: no tab"},
		{"inconsistent sizes (flags)", []string{"train", "--d-model", "30", "--heads", "4", "--out", out}, 1, "model.heads = 4: must divide model.d_model = 30"},
		{"attention dropout out of range", []string{"train", "--attention-dropout", "1", "--out", out}, 1, "model.attention_dropout = 1: must be in [0, 1)"},
		{"inconsistent sizes (config file)", []string{"train", "--config", badCfg, "--out", out}, 1, "model.heads = 4: must divide model.d_model = 30"},
		{"misspelt config field", []string{"train", "--config", typoCfg, "--out", out}, 1, `unknown field "dmodel"`},
		{"unwritable checkpoint dir", append([]string{"train", "--out", filepath.Join(aFile, "run")}, tiny...), 1, "checkpoint directory " + filepath.Join(aFile, "run")},
		{"missing checkpoint", []string{"eval", "--checkpoint", filepath.Join(tmp, "nope.bkm")}, 1, "nope.bkm: no such file"},
		{"corrupt checkpoint", []string{"translate", "--checkpoint", good}, 1, "not a bkm checkpoint (bad magic)"},
		{"bkm without subcommand", []string{"bkm"}, 2, "want bkm fit or bkm predict"},
		{"serve batch beyond memory bound", []string{"serve", "--max-batch", "100000"}, 2, "--max-batch × --max-beam = 100000 × 16: must be ≤ 4096"},
		{"negative tokens", []string{"generate", "--checkpoint", good, "--tokens", "-1"}, 2, "bkmtrain generate: --tokens = -1: must be ≥ 0 (see bkmtrain generate -h)"},
		{"zero beam in compare", []string{"compare-kernels", "--beam", "0", "--out", out}, 2, "bkmtrain compare-kernels: --beam = 0: must be ≥ 1"},
		{"zero beam", []string{"translate", "--checkpoint", good, "--beam", "0"}, 2, "bkmtrain translate: --beam = 0: must be ≥ 1 (see bkmtrain translate -h)"},
		{"NaN length penalty", []string{"translate", "--checkpoint", good, "--beam", "4", "--len-penalty", "NaN"}, 2, "bkmtrain translate: --len-penalty = NaN: must be a finite number"},
		{"infinite length penalty in eval", []string{"eval", "--checkpoint", good, "--len-penalty", "-Inf"}, 2, "bkmtrain eval: --len-penalty = -Inf: must be a finite number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runBin(t, "", tc.args...)
			require.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		})
	}

	t.Run("NaN loss", func(t *testing.T) {
		dir := filepath.Join(tmp, "nan")
		r := runBin(t, "", append([]string{"train", "--out", dir, "--steps", "20", "--lr", "1e30", "--clip", "0", "--warmup", "0", "--schedule", "constant", "--eval-every", "0"}, tiny...)...)
		require.Equal(t, 1, r.code, "stderr: %s", r.stderr)
		require.Regexp(t, `diverged: loss is NaN at step \d+; stopped without applying that update and saved the last good model \(after step \d+\) to `, r.stderr)
		require.FileExists(t, filepath.Join(dir, "checkpoint.bkm"))
		r = runBin(t, "", "eval", "--checkpoint", dir, "--bleu-sentences", "1")
		require.Equal(t, 0, r.code, "the saved model loads: %s", r.stderr)
	})
}

// TestEndToEndHelp: -h and --help print a command's usage to stderr and exit 0, for
// bkm (which has subcommands) as for the others.
func TestEndToEndHelp(t *testing.T) {
	for _, args := range [][]string{{"bkm", "-h"}, {"bkm", "--help"}} {
		r := runBin(t, "", args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, "usage: bkmtrain bkm fit [flags]", args)
		require.Contains(t, r.stderr, "Usage of bkmtrain bkm fit:", args)
		require.Contains(t, r.stderr, "regularization λ > 0", args)
		require.Contains(t, r.stderr, "Usage of bkmtrain bkm predict:", args)
		require.Contains(t, r.stderr, "model written by bkm fit", args)
		require.Empty(t, r.stdout, args)
	}
	for _, args := range [][]string{{"bkm", "fit", "-h"}, {"generate", "-h"}} {
		r := runBin(t, "", args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, "Usage of bkmtrain "+strings.Join(args[:len(args)-1], " ")+":", args)
	}
}

// TestEndToEndConfigFileAndOverrides: a JSON config sets the model; flags override it.
func TestEndToEndConfigFileAndOverrides(t *testing.T) {
	tmp := t.TempDir()
	cfgPath := filepath.Join(tmp, "tiny.json")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`{
  "model": {"arch": "encdec", "vocab": 259, "d_model": 16, "heads": 2, "ffn": 32, "enc_layers": 1, "dec_layers": 1,
            "max_len": 40, "kernel": "rbf", "pad": 256, "bos": 257, "eos": 258},
  "optim": {"lr": 0.001, "beta1": 0.9, "beta2": 0.98, "eps": 1e-8, "clip_norm": 1, "accumulate": 1},
  "schedule": {"kind": "constant", "steps": 50},
  "data": {"max_tokens": 160},
  "seed": 7
}`), 0o644))
	dir := filepath.Join(tmp, "run")
	r := runBin(t, "", "train", "--config", cfgPath, "--steps", "3", "--lr", "0.002", "--tokenizer", "byte",
		"--attention-dropout", "0.2",
		"--out", dir, "--eval-every", "0", "--bleu-sentences", "2", "--progress", "plain", "--threads", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "d_model 16, 2 heads, ffn 32, layers 1/1, kernel rbf")
	require.Contains(t, r.stderr, "constant lr 0.002, 3 steps; seed 7")
	recs := readMetrics(t, filepath.Join(dir, "metrics.jsonl"))
	require.Equal(t, "start", recs[0].Event)
	require.Contains(t, recs[0].Detail, `"kernel":"rbf"`)
	require.Contains(t, recs[0].Detail, `"attention_dropout":0.2`)
	require.Equal(t, []int{1, 2, 3}, trainSteps(recs))

	r = runBin(t, "")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "usage: bkmtrain COMMAND")

	r = runBin(t, "", "info", "--threads", "1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `(?m)^simd path: +\w+ \(`, r.stdout)
	require.Regexp(t, `(?m)^threads: +1 `, r.stdout)
}

// TestEndToEndResumeIsExact: 3 steps, stop, resume to 6 gives the same losses as 6
// steps straight (same seed and threads; residual and attention dropout on, so the
// dropout streams and the data position must all be restored).
func TestEndToEndResumeIsExact(t *testing.T) {
	tmp := t.TempDir()
	losses := func(dir string) []float64 {
		var l []float64
		for _, r := range readMetrics(t, filepath.Join(dir, "metrics.jsonl")) {
			if r.Kind == "train" {
				l = append(l, *r.Loss)
			}
		}
		return l
	}
	common := append([]string{"--eval-every", "0", "--dropout", "0.1", "--attention-dropout", "0.1", "--bleu-sentences", "1"}, tiny...)
	straight, split := filepath.Join(tmp, "straight"), filepath.Join(tmp, "split")
	r := runBin(t, "", append([]string{"train", "--out", straight, "--steps", "6"}, common...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runBin(t, "", append([]string{"train", "--out", split, "--steps", "3"}, common...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = runBin(t, "", "train", "--resume", split, "--out", split, "--steps", "6", "--eval-every", "0", "--bleu-sentences", "1", "--threads", "1")
	require.Equal(t, 0, r.code, r.stderr)
	a, b := losses(straight), losses(split)
	require.Len(t, a, 6)
	require.Equal(t, a, b, "bit-identical losses")
}

// TestEndToEndRunDirInUse: a run into a directory another run holds (its lock, taken
// here by the test) fails at once and writes nothing there; two runs into one --out
// used to interleave their metrics lines and replace each other's checkpoint.
func TestEndToEndRunDirInUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	require.NoError(t, os.Mkdir(dir, 0o755))
	unlock, err := lockRunDir(dir)
	require.NoError(t, err)
	r := runBin(t, "", append([]string{"train"}, args("--out", dir, "--steps", "1")...)...)
	require.Equal(t, 1, r.code, "stderr: %s", r.stderr)
	require.Contains(t, r.stderr, dir+" is in use by another bkmtrain run: wait for it to end, or choose another --out")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
	unlock()
	r = runBin(t, "", append([]string{"train"}, args("--out", dir, "--steps", "1")...)...)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
}
