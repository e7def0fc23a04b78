package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kernelmachines/bkm/train"
)

const defaultKernels = "edp,rbf,expint,poly2,taylor2,linear,favor"

// kernelRuns is what compare-kernels measured for one kernel over the seeds.
type kernelRuns struct {
	Kernel    string            `json:"kernel"`
	Seeds     []uint64          `json:"seeds"`
	ValLoss   []float64         `json:"val_loss"`
	BLEU      []float64         `json:"bleu,omitempty"`
	FinalLoss []float64         `json:"final_train_loss"`
	WallSec   []float64         `json:"wall_s"`
	Curves    []curve           `json:"curves"`
	Failed    map[uint64]string `json:"failed,omitempty"`
}

func runCompare(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare-kernels", stderr)
	var cf configFlags
	cf.register(fs)
	kernels := fs.String("kernels", defaultKernels, "comma-separated kernels to compare")
	seedsFlag := fs.String("seeds", "1,2,3", "comma-separated seeds; every kernel runs with each")
	trainPath := fs.String("train", "", "training data (default: the embedded corpus)")
	validPath := fs.String("valid", "", "validation data")
	outDir := fs.String("out", "compare-kernels", "directory for results.md, results.json, curves.png and the runs")
	evalEvery := fs.Int("eval-every", 100, "validate every N updates (the points of the learning curves)")
	bleuN := fs.Int("bleu-sentences", 100, "validation sentences translated for BLEU at the end of each run (translation)")
	beam := fs.Int("beam", 1, "beam size for BLEU")
	lenPenalty := lenPenaltyFlag(fs)
	tokKind := fs.String("tokenizer", "bpe", "bpe (learned from the training data) or byte; sets model.vocab")
	bpeVocab := fs.Int("bpe-vocab", 1000, "BPE vocabulary size")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *beam < 1 {
		return usagef("--beam = %d: must be ≥ 1", *beam)
	}
	if err := checkLenPenalty(*lenPenalty); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["kernel"] {
		return usagef("use --kernels (a list) with compare-kernels, not --kernel")
	}
	if set["seed"] {
		return usagef("use --seeds (a list) with compare-kernels, not --seed")
	}
	names := splitList(*kernels)
	if len(names) == 0 {
		return usagef("--kernels is empty")
	}
	var seeds []uint64
	for _, s := range splitList(*seedsFlag) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return usagef("--seeds: %q is not a non-negative integer", s)
		}
		seeds = append(seeds, n)
	}
	if len(seeds) == 0 {
		return usagef("--seeds is empty")
	}
	base, err := cf.resolve()
	if err != nil {
		return err
	}
	// Check every kernel before training anything.
	for _, k := range names {
		c := base
		c.Model.Kernel, c.Model.LayerKernels = k, nil
		if err := checkKernel("--kernels", c); err != nil {
			return err
		}
		if err := c.Validate(); err != nil {
			return fmt.Errorf("kernel %q: %w", k, err)
		}
	}
	task := taskOf(base)
	ds, err := loadData(task, *trainPath, *validPath)
	if err != nil {
		return err
	}
	tok, err := newTokenizer(*tokKind, *bpeVocab, ds)
	if err != nil {
		return err
	}
	base.Model.Vocab = tok.VocabSize()
	if err := ensureWritableDir(*outDir); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bkmtrain compare-kernels: %s on %s; kernels %s; seeds %v; %d steps each\n",
		task, ds.Name, strings.Join(names, ", "), seeds, base.Schedule.Steps)

	var all []*kernelRuns
	for _, k := range names {
		kr := &kernelRuns{Kernel: k, Failed: map[uint64]string{}}
		all = append(all, kr)
		for _, seed := range seeds {
			cfg := base
			cfg.Model.Kernel, cfg.Model.LayerKernels, cfg.Seed = k, nil, seed
			res, err := compareOne(cfg, ds, tok, filepath.Join(*outDir, fmt.Sprintf("%s-seed%d", k, seed)), *evalEvery, *bleuN, *beam, *lenPenalty, stderr)
			if err != nil {
				if !errors.Is(err, errDiverged) {
					return fmt.Errorf("kernel %s, seed %d: %w", k, seed, err)
				}
				fmt.Fprintf(stderr, "%s seed %d: %v\n", k, seed, err)
				kr.Failed[seed] = err.Error()
				continue
			}
			fmt.Fprintf(stderr, "%s seed %d: valid loss %.4f, BLEU %.2f, final train loss %.4f, %s\n", k, seed, res.ValLoss, res.BLEU, res.FinalLoss, res.Wall.Round(time.Second))
			kr.Seeds = append(kr.Seeds, seed)
			kr.ValLoss = append(kr.ValLoss, res.ValLoss)
			if task == "translate" && !math.IsNaN(res.BLEU) {
				kr.BLEU = append(kr.BLEU, res.BLEU)
			}
			kr.FinalLoss = append(kr.FinalLoss, res.FinalLoss)
			kr.WallSec = append(kr.WallSec, res.Wall.Seconds())
			kr.Curves = append(kr.Curves, res.Curve)
		}
	}

	table := compareTable(base, ds.Name, seeds, all, task)
	fmt.Fprint(stdout, table)
	if err := os.WriteFile(filepath.Join(*outDir, "results.md"), []byte(table), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(struct {
		Config  train.Config  `json:"config"`
		Data    string        `json:"data"`
		Results []*kernelRuns `json:"results"`
	}{base, ds.Name, all}, "", "  ")
	if err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(*outDir, "results.json"), js, 0o644); err != nil {
		return err
	}
	var curves []curve
	for _, kr := range all {
		if c, ok := meanCurve(kr.Kernel, kr.Curves); ok {
			curves = append(curves, c)
		}
	}
	png := filepath.Join(*outDir, "curves.png")
	title := fmt.Sprintf("validation loss, mean over %d seed(s)", len(seeds))
	if err := plotCurves(png, title, "validation loss (nats/token)", curves); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s, %s, %s\n", filepath.Join(*outDir, "results.md"), filepath.Join(*outDir, "results.json"), png)
	return nil
}

// compareOne trains one kernel with one seed into dir.
func compareOne(cfg train.Config, ds *dataSet, tok train.Tokenizer, dir string, evalEvery, bleuN, beam int, lenPenalty float64, log io.Writer) (runResult, error) {
	if err := ensureWritableDir(dir); err != nil {
		return runResult{}, err
	}
	e, err := newEngine(cfg, ds, tok)
	if err != nil {
		return runResult{}, err
	}
	e.lenPenalty = lenPenalty
	metrics, err := openMetrics(filepath.Join(dir, "metrics.jsonl"), false)
	if err != nil {
		return runResult{}, err
	}
	defer metrics.Close()
	metrics.write(record{Kind: "event", Event: "start", Detail: configJSON(cfg)})
	// Curves need the loss at step 0 too.
	// Progress: a plain line per validation, prefixed with the kernel and seed.
	pw := &prefixWriter{w: log, prefix: fmt.Sprintf("[%s seed %d] ", cfg.Model.Kernel, cfg.Seed)}
	res, err := trainLoop(e, runOpts{
		outDir: dir, saveEvery: 0, evalEvery: evalEvery, logEvery: max(evalEvery, 1), samples: 0, bleuSentences: 0,
		beam: beam, progress: "plain", log: pw, evalAtStart: true,
	}, metrics)
	if err != nil {
		return res, err
	}
	if cfg.Model.Arch == "encdec" && bleuN > 0 {
		n := min(bleuN, len(ds.Valid))
		src, ref := make([]string, n), make([]string, n)
		for i, p := range ds.Valid[:n] {
			src[i], ref[i] = p.Src, p.Tgt
		}
		hyp, err := e.translate(src, beam)
		if err != nil {
			return res, err
		}
		res.BLEU = e.bleu(hyp, ref)
	}
	return res, nil
}

// meanCurve averages the seeds' curves point by point (they share the eval steps).
func meanCurve(name string, cs []curve) (curve, bool) {
	if len(cs) == 0 {
		return curve{}, false
	}
	n := len(cs[0].Steps)
	for _, c := range cs {
		n = min(n, len(c.Steps))
	}
	out := curve{Name: name, Steps: append([]float64(nil), cs[0].Steps[:n]...), Vals: make([]float64, n)}
	for _, c := range cs {
		for i := 0; i < n; i++ {
			out.Vals[i] += c.Vals[i] / float64(len(cs))
		}
	}
	return out, true
}

func meanStd(x []float64) (mean, std float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

// compareTable is the Markdown report: the configuration, then one row per kernel.
func compareTable(cfg train.Config, data string, seeds []uint64, all []*kernelRuns, task string) string {
	var b strings.Builder
	m := cfg.Model
	fmt.Fprintf(&b, "Task %s on %s. Model %s, d_model %d, %d heads, FFN %d, layers %d/%d, max_len %d, dropout %g. "+
		"Vocabulary %d. AdamW lr %g, %s schedule (warm-up %d), %d steps, clip %g; batch %s. Seeds %v, %d thread(s). "+
		"Mean ± sample std over seeds (no ± with one seed); wall time per run.\n\n",
		task, data, m.Arch, m.DModel, m.Heads, m.FFN, m.EncLayers, m.DecLayers, m.MaxLen, m.Dropout,
		m.Vocab, cfg.Optim.LR, cfg.Schedule.Kind, cfg.Schedule.Warmup, cfg.Schedule.Steps, cfg.Optim.ClipNorm,
		batchDesc(cfg), seeds, threadsOf(cfg))
	if task == "translate" {
		b.WriteString("| kernel | BLEU | valid loss | final train loss | wall time | runs |\n|---|---|---|---|---|---|\n")
	} else {
		b.WriteString("| kernel | valid loss | valid ppl | final train loss | wall time | runs |\n|---|---|---|---|---|---|\n")
	}
	for _, kr := range all {
		runs := fmt.Sprintf("%d/%d", len(kr.Seeds), len(kr.Seeds)+len(kr.Failed))
		if len(kr.Failed) > 0 {
			runs += " (diverged: seeds"
			for s := range kr.Failed {
				runs += fmt.Sprintf(" %d", s)
			}
			runs += ")"
		}
		if len(kr.Seeds) == 0 {
			fmt.Fprintf(&b, "| %s | — | — | — | — | %s |\n", kr.Kernel, runs)
			continue
		}
		vm, _ := meanStd(kr.ValLoss)
		wm, _ := meanStd(kr.WallSec)
		wall := time.Duration(wm * float64(time.Second))
		if wall < 10*time.Second {
			wall = wall.Round(100 * time.Millisecond)
		} else {
			wall = wall.Round(time.Second)
		}
		if task == "translate" {
			bleu := "—"
			if len(kr.BLEU) > 0 {
				bleu = pm(kr.BLEU, 2)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", kr.Kernel, bleu, pm(kr.ValLoss, 4), pm(kr.FinalLoss, 4), wall, runs)
		} else {
			fmt.Fprintf(&b, "| %s | %s | %.2f | %s | %s | %s |\n", kr.Kernel, pm(kr.ValLoss, 4), math.Exp(vm), pm(kr.FinalLoss, 4), wall, runs)
		}
	}
	return b.String()
}

func batchDesc(cfg train.Config) string {
	if cfg.Model.Arch == "decoder" {
		return fmt.Sprintf("%d×%d tokens", cfg.Data.Batch, cfg.Data.Context)
	}
	return fmt.Sprintf("%d tokens", cfg.Data.MaxTokens)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func threadsOf(cfg train.Config) int {
	if cfg.Threads > 0 {
		return cfg.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// prefixWriter starts every line written through it with prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
	mid    bool // inside a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if !p.mid {
			if _, err := io.WriteString(p.w, p.prefix); err != nil {
				return 0, err
			}
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			_, err := p.w.Write(b)
			p.mid = true
			return n, err
		}
		if _, err := p.w.Write(b[:i+1]); err != nil {
			return 0, err
		}
		p.mid = false
		b = b[i+1:]
	}
	return n, nil
}

// pm formats mean ± sample std with the given decimals; one value has no spread.
func pm(x []float64, decimals int) string {
	m, sd := meanStd(x)
	if len(x) < 2 {
		return strconv.FormatFloat(m, 'f', decimals, 64)
	}
	return strconv.FormatFloat(m, 'f', decimals, 64) + " ± " + strconv.FormatFloat(sd, 'f', decimals, 64)
}
