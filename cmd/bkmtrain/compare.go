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

// compareFlags are the flags of bkmtrain compare-kernels.
type compareFlags struct {
	cf                   configFlags
	kernels, seeds       string
	trainPath, validPath string
	outDir               string
	evalEvery            int
	bleuSentences        int
	decode               decodeFlags
	tokenizer            string
	bpeVocab             int
	overwrite            bool
	names                []string // parsed --kernels
	seedList             []uint64 // parsed --seeds
}

func (f *compareFlags) register(fs *flag.FlagSet) {
	f.cf.register(fs)
	fs.StringVar(&f.kernels, "kernels", defaultKernels, "comma-separated kernels to compare")
	fs.StringVar(&f.seeds, "seeds", "1,2,3", "comma-separated seeds; every kernel runs with each")
	fs.StringVar(&f.trainPath, "train", "", "training data (default: the embedded corpus)")
	fs.StringVar(&f.validPath, "valid", "", "validation data")
	fs.StringVar(&f.outDir, "out", "compare-kernels", "directory for results.md, results.json, curves.png and the runs")
	fs.IntVar(&f.evalEvery, "eval-every", 100, "validate every N updates (the points of the learning curves)")
	fs.IntVar(&f.bleuSentences, "bleu-sentences", 100, "validation sentences translated for BLEU at the end of each run (translation)")
	f.decode.register(fs, "beam size for BLEU")
	fs.StringVar(&f.tokenizer, "tokenizer", "bpe", "bpe (learned from the training data) or byte; sets model.vocab")
	fs.IntVar(&f.bpeVocab, "bpe-vocab", 1000, "BPE vocabulary size")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace the runs of an earlier comparison in --out")
}

// parse parses args and the --kernels and --seeds lists.
func (f *compareFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := f.decode.check(); err != nil {
		return err
	}
	if err := checkTokenizerKind(f.tokenizer); err != nil {
		return err
	}
	if err := checkCounts(map[string]int{"eval-every": f.evalEvery, "bleu-sentences": f.bleuSentences}); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["kernel"] {
		return usagef("use --kernels (a list) with compare-kernels, not --kernel")
	}
	if set["seed"] {
		return usagef("use --seeds (a list) with compare-kernels, not --seed")
	}
	if f.names = splitList(f.kernels); len(f.names) == 0 {
		return usagef("--kernels is empty")
	}
	for _, s := range splitList(f.seeds) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return usagef("--seeds: %q is not a non-negative integer", s)
		}
		f.seedList = append(f.seedList, n)
	}
	if len(f.seedList) == 0 {
		return usagef("--seeds is empty")
	}
	return nil
}

// config resolves the shared config and checks it with every kernel before anything
// is trained.
func (f *compareFlags) config() (train.Config, error) {
	base, err := f.cf.resolve()
	if err != nil {
		return base, err
	}
	for _, k := range f.names {
		c := base
		c.Model.Kernel, c.Model.LayerKernels = k, nil
		if err := checkKernel("--kernels", c); err != nil {
			return base, err
		}
		if err := c.Validate(); err != nil {
			return base, fmt.Errorf("kernel %q: %w", k, err)
		}
	}
	return base, nil
}

func runCompare(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var f compareFlags
	if _, err := parseCommand("compare-kernels", stderr, &f, args); err != nil {
		return err
	}
	base, err := f.config()
	if err != nil {
		return err
	}
	task := taskOf(base)
	c, err := loadData(task, f.trainPath, f.validPath)
	if err != nil {
		return err
	}
	tok, err := newTokenizer(f.tokenizer, f.bpeVocab, c)
	if err != nil {
		return err
	}
	base.Model.Vocab = tok.VocabSize()
	for _, dir := range f.runDirs() {
		if err := checkOutDir(dir, "", f.overwrite); err != nil {
			return err
		}
	}
	if err := ensureWritableDir(f.outDir); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bkmtrain compare-kernels: %s on %s; kernels %s; seeds %v; %d steps each\n",
		task, c.Name, strings.Join(f.names, ", "), f.seedList, base.Schedule.Steps)
	var all []*kernelRuns
	for _, k := range f.names {
		kr, err := f.compareKernel(base, k, c, tok, stderr)
		if err != nil {
			return err
		}
		all = append(all, kr)
	}
	return f.writeResults(base, c.Name, all, stdout, stderr)
}

// runDir is the directory of the run of kernel k with seed.
func (f *compareFlags) runDir(k string, seed uint64) string {
	return filepath.Join(f.outDir, fmt.Sprintf("%s-seed%d", k, seed))
}

// runDirs are the directories of every run of the comparison.
func (f *compareFlags) runDirs() []string {
	var dirs []string
	for _, k := range f.names {
		for _, seed := range f.seedList {
			dirs = append(dirs, f.runDir(k, seed))
		}
	}
	return dirs
}

// compareKernel trains kernel k once per seed; a diverged run is recorded as failed.
func (f *compareFlags) compareKernel(base train.Config, k string, c *train.Corpus, tok train.Tokenizer, stderr io.Writer) (*kernelRuns, error) {
	kr := &kernelRuns{Kernel: k, Failed: map[uint64]string{}}
	for _, seed := range f.seedList {
		cfg := base
		cfg.Model.Kernel, cfg.Model.LayerKernels, cfg.Seed = k, nil, seed
		res, err := f.compareOne(cfg, c, tok, f.runDir(k, seed), stderr)
		if err != nil {
			if !errors.Is(err, errDiverged) {
				return nil, fmt.Errorf("kernel %s, seed %d: %w", k, seed, err)
			}
			fmt.Fprintf(stderr, "%s seed %d: %v\n", k, seed, err)
			kr.Failed[seed] = err.Error()
			continue
		}
		fmt.Fprintf(stderr, "%s seed %d: valid loss %.4f, BLEU %.2f, final train loss %.4f, %s\n", k, seed, res.ValLoss, res.BLEU, res.FinalLoss, res.Wall.Round(time.Second))
		kr.Seeds = append(kr.Seeds, seed)
		kr.ValLoss = append(kr.ValLoss, res.ValLoss)
		if taskOf(cfg) == "translate" && !math.IsNaN(res.BLEU) {
			kr.BLEU = append(kr.BLEU, res.BLEU)
		}
		kr.FinalLoss = append(kr.FinalLoss, res.FinalLoss)
		kr.WallSec = append(kr.WallSec, res.Wall.Seconds())
		kr.Curves = append(kr.Curves, res.Curve)
	}
	return kr, nil
}

// writeResults prints the table and writes results.md, results.json and curves.png.
func (f *compareFlags) writeResults(base train.Config, data string, all []*kernelRuns, stdout, stderr io.Writer) error {
	table := compareTable(base, data, f.seedList, all, taskOf(base))
	fmt.Fprint(stdout, table)
	md, js, png := filepath.Join(f.outDir, "results.md"), filepath.Join(f.outDir, "results.json"), filepath.Join(f.outDir, "curves.png")
	if err := os.WriteFile(md, []byte(table), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(struct {
		Config  train.Config  `json:"config"`
		Data    string        `json:"data"`
		Results []*kernelRuns `json:"results"`
	}{base, data, all}, "", "  ")
	if err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	if err := os.WriteFile(js, b, 0o644); err != nil {
		return err
	}
	var curves []curve
	for _, kr := range all {
		if c, ok := meanCurve(kr.Kernel, kr.Curves); ok {
			curves = append(curves, c)
		}
	}
	title := fmt.Sprintf("validation loss, mean over %d seed(s)", len(f.seedList))
	if err := plotCurves(png, title, "validation loss (nats/token)", curves); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s, %s, %s\n", md, js, png)
	return nil
}

// compareOne trains one kernel with one seed into dir, validating from step 0 (the
// learning curve) and scoring BLEU at the end.
func (f *compareFlags) compareOne(cfg train.Config, c *train.Corpus, tok train.Tokenizer, dir string, log io.Writer) (runResult, error) {
	if err := ensureWritableDir(dir); err != nil {
		return runResult{}, err
	}
	s, err := newSession(cfg, c, tok)
	if err != nil {
		return runResult{}, err
	}
	metrics, err := train.CreateMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return runResult{}, err
	}
	defer metrics.Close()
	metrics.Write(train.MetricsRecord{Kind: "event", Event: "start", Detail: configJSON(cfg)})
	// Progress: a plain line per validation, prefixed with the kernel and seed.
	pw := &prefixWriter{w: log, prefix: fmt.Sprintf("[%s seed %d] ", cfg.Model.Kernel, cfg.Seed)}
	res, err := trainLoop(s, runOpts{
		outDir: dir, evalEvery: f.evalEvery, logEvery: max(f.evalEvery, 1), decode: f.decode,
		progress: "plain", log: pw, evalAtStart: true,
	}, metrics)
	if err != nil || taskOf(cfg) != "translate" || f.bleuSentences <= 0 {
		return res, err
	}
	score, _, _, _, err := s.BLEU(f.bleuSentences, f.decode.beam, f.decode.lenPenalty)
	res.BLEU = score.Score
	return res, err
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
