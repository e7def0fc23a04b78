package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kernelmachines/bkm/internal/atomicfile"
	"github.com/kernelmachines/bkm/train"
)

const defaultKernels = "edp,rbf,expint,poly2,taylor2,linear,favor"

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
	report               string          // --report DIR: regenerate the report of a saved study
	names                []string        // parsed --kernels
	seedList             []uint64        // parsed --seeds
	set                  map[string]bool // flags given on the command line
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
	fs.IntVar(&f.bpeVocab, "bpe-vocab", 2000, "BPE vocabulary size")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace the runs of an earlier comparison in --out (the same command without it resumes an interrupted one)")
	fs.StringVar(&f.report, "report", "", "regenerate results.md, results.json and the plots of the study saved in this directory, training nothing (no other flag but --kernels, the order of the rows)")
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
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if f.set["report"] {
		var others []string
		for name := range f.set {
			if name != "report" && name != "kernels" {
				others = append(others, "--"+name)
			}
		}
		if len(others) > 0 {
			slices.Sort(others)
			return usagef("--report DIR writes the report of the saved study and takes no flags but --kernels (the order of its rows); remove %s", strings.Join(others, ", "))
		}
	}
	if f.set["kernel"] {
		return usagef("use --kernels (a list) with compare-kernels, not --kernel")
	}
	if f.set["seed"] {
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
	// A repeated kernel or seed would name a run that is already in the list: it used
	// to be counted twice and reported as "finished earlier" right after training.
	if i, j, ok := repeated(f.names, strings.ToLower); ok { // kernel names are case-insensitive
		if f.names[i] == f.names[j] {
			return usagef("--kernels: %s is listed twice: give each kernel once", f.names[i])
		}
		return usagef("--kernels: %s and %s are one kernel: give each kernel once", f.names[i], f.names[j])
	}
	if i, _, ok := repeated(f.seedList, func(s uint64) uint64 { return s }); ok {
		return usagef("--seeds: %d is listed twice: give each seed once", f.seedList[i])
	}
	return nil
}

// repeated returns the indices i < j of the first two elements of xs with the same
// key, and whether there are any.
func repeated[T any, K comparable](xs []T, key func(T) K) (i, j int, ok bool) {
	seen := make(map[K]int, len(xs))
	for j, x := range xs {
		if i, ok := seen[key(x)]; ok {
			return i, j, true
		}
		seen[key(x)] = j
	}
	return 0, 0, false
}

// config resolves the shared config and checks it with every kernel before anything
// is trained.
func (f *compareFlags) config() (train.Config, error) {
	base, err := f.cf.resolve(f.set)
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
	if f.report != "" {
		return writeStudyReport(f.report, f.names, stdout, stderr)
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
	spec := train.StudySpec{Config: base, Data: c.Name, Tokenizer: f.tokenizer, EvalEvery: f.evalEvery,
		BLEUSentences: f.bleuSentences, Beam: f.decode.beam, LenPenalty: f.decode.lenPenalty, Threads: threadsOf(base)}
	if task != "translate" {
		spec.BLEUSentences, spec.Beam, spec.LenPenalty = 0, 0, 0
	}
	if err := f.checkStudyDir(spec); err != nil {
		return err
	}
	if err := ensureWritableDir("checkpoint directory", f.outDir); err != nil {
		return err
	}
	if err := f.startStudy(spec); err != nil {
		return err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	fmt.Fprintf(stderr, "bkmtrain compare-kernels: %s on %s; kernels %s; seeds %v; %d steps each\n",
		task, c.Name, strings.Join(f.names, ", "), f.seedList, base.Schedule.Steps)
	done, err := f.runStudy(base, c, tok, sigs, stderr)
	if err != nil {
		return err
	}
	if !done {
		return nil
	}
	return writeStudyReport(f.outDir, f.names, stdout, stderr)
}

// checkStudyDir checks --out before anything is written: a study with the same spec
// resumes, one with another spec is kept unless --overwrite; a directory that is not a
// study must not hold runs in the run directories.
func (f *compareFlags) checkStudyDir(spec train.StudySpec) error {
	if f.overwrite {
		return nil
	}
	old, err := train.ReadStudySpec(f.outDir)
	switch {
	case err == nil:
		if !old.Same(spec) {
			return fmt.Errorf("%s holds a kernel study with another config, data or evaluation (%s): choose another --out, or give --overwrite to replace it", f.outDir, train.StudySpecFile)
		}
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	for _, dir := range f.runDirs() {
		if err := checkOutDir(dir, "", false); err != nil {
			return err
		}
	}
	return nil
}

// startStudy writes the study's spec; with --overwrite it first removes the results
// and checkpoints of the runs of an earlier study in --out, so they are trained again
// from the start.
func (f *compareFlags) startStudy(spec train.StudySpec) error {
	if f.overwrite {
		for _, name := range []string{train.StudyRunFile, filepath.Base(checkpointPath(""))} {
			old, err := filepath.Glob(filepath.Join(f.outDir, "*", name))
			if err != nil {
				return err
			}
			for _, p := range old {
				if err := os.Remove(p); err != nil {
					return err
				}
			}
		}
	}
	return train.WriteStudyJSON(filepath.Join(f.outDir, train.StudySpecFile), spec)
}

// runStudy trains every kernel with every seed whose result is not saved yet, saving
// each result as its run finishes and then removing the run's checkpoint. A signal
// stops the study (the run in progress saves a checkpoint and continues from it when
// the study resumes); done is false then.
func (f *compareFlags) runStudy(base train.Config, c *train.Corpus, tok train.Tokenizer, stop <-chan os.Signal, stderr io.Writer) (done bool, err error) {
	total, finished := len(f.names)*len(f.seedList), 0
	for _, k := range f.names {
		for _, seed := range f.seedList {
			dir := f.runDir(k, seed)
			if _, err := train.ReadStudyRun(dir); err == nil {
				fmt.Fprintf(stderr, "%s seed %d: finished earlier (%s), kept\n", k, seed, filepath.Join(dir, train.StudyRunFile))
				finished++
				continue
			} else if !errors.Is(err, fs.ErrNotExist) {
				return false, err
			}
			select {
			case sig := <-stop:
				return false, f.stopped(sig, finished, total, stderr)
			default:
			}
			cfg := base
			cfg.Model.Kernel, cfg.Model.LayerKernels, cfg.Seed = k, nil, seed
			run, interrupted, err := f.compareOne(cfg, c, tok, dir, stop, stderr)
			if err != nil {
				return false, fmt.Errorf("kernel %s, seed %d: %w", k, seed, err)
			}
			if interrupted {
				return false, f.stopped(nil, finished, total, stderr)
			}
			if err := train.WriteStudyJSON(filepath.Join(dir, train.StudyRunFile), run); err != nil {
				return false, err
			}
			// The result is saved: the run's model is not kept (a study would grow by a
			// model per run).
			if err := os.Remove(checkpointPath(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return false, err
			}
			finished++
		}
	}
	return true, nil
}

// stopped says how far an interrupted study got and how to resume it.
func (f *compareFlags) stopped(sig os.Signal, finished, total int, stderr io.Writer) error {
	why := "interrupted"
	if sig != nil {
		why = "interrupted by " + sig.String()
	}
	fmt.Fprintf(stderr, "compare-kernels %s: %d of %d runs finished and saved in %s; run the same command again to resume (a run in progress continues from its checkpoint), or write the report of the finished runs with --report %s\n",
		why, finished, total, f.outDir, f.outDir)
	return nil
}

// compareOne trains one kernel with one seed into dir, validating from step 0 (the
// learning curve) and scoring BLEU at the end.
func (f *compareFlags) compareOne(cfg train.Config, c *train.Corpus, tok train.Tokenizer, dir string, stop <-chan os.Signal, log io.Writer) (run train.StudyRun, interrupted bool, err error) {
	run = train.StudyRun{Kernel: cfg.Model.Kernel, Seed: cfg.Seed, Build: buildRevision()}
	if err := ensureWritableDir("checkpoint directory", dir); err != nil {
		return run, false, err
	}
	// Progress: a plain line per validation, prefixed with the kernel and seed.
	pw := &prefixWriter{w: log, prefix: fmt.Sprintf("[%s seed %d] ", cfg.Model.Kernel, cfg.Seed)}
	s, metrics, err := openStudyRun(cfg, c, tok, dir, pw)
	if err != nil {
		return run, false, err
	}
	defer metrics.Close()
	metrics.Write(train.MetricsRecord{Kind: "event", Step: s.Steps(), Event: "start", Detail: configJSON(cfg), Build: run.Build})
	final := 0
	if taskOf(cfg) == "translate" {
		final = f.bleuSentences
	}
	res, err := trainLoop(s, runOpts{
		outDir: dir, evalEvery: f.evalEvery, saveEvery: f.evalEvery, logEvery: max(f.evalEvery, 1), finalSentences: final, decode: f.decode,
		progress: "plain", log: pw, stop: stop, evalAtStart: true, resumeHint: "the same compare-kernels command continues it",
	}, metrics)
	if errors.Is(err, errDiverged) {
		fmt.Fprintf(log, "%s seed %d: %v\n", cfg.Model.Kernel, cfg.Seed, err)
		run.Diverged = err.Error()
		return run, false, nil
	}
	if err != nil || res.Interrupted {
		return run, res.Interrupted, err
	}
	// The log holds the whole run, also the part trained before a resume.
	if err := metrics.Close(); err != nil {
		return run, false, err
	}
	rl, err := train.ReadRunLog(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return run, false, err
	}
	run.ValLoss, run.FinalLoss, run.WallSec = res.ValLoss, rl.FinalLoss, rl.WallSec
	run.CurveSteps, run.CurveLoss = rl.CurveSteps, rl.CurveLoss
	run.Build = strings.Join(rl.Builds, "+") // every build that trained part of it
	bleu := ""
	if !math.IsNaN(res.BLEU) {
		run.BLEU = &res.BLEU
		run.Distinct, run.Sources = res.Distinct, res.Sources
		bleu = fmt.Sprintf(", BLEU %.2f", res.BLEU)
	}
	fmt.Fprintf(log, "%s seed %d: valid loss %.4f%s, final train loss %.4f, %s\n", cfg.Model.Kernel, cfg.Seed, res.ValLoss, bleu, run.FinalLoss, time.Duration(run.WallSec*float64(time.Second)).Round(time.Second))
	return run, false, nil
}

// openStudyRun starts the run of cfg in dir, or continues it from the checkpoint an
// interrupted study left there (saved at every validation and on a signal), with its
// metrics log cut back to the checkpoint.
func openStudyRun(cfg train.Config, c *train.Corpus, tok train.Tokenizer, dir string, log io.Writer) (*train.Session, *train.MetricsLog, error) {
	ckpt, metricsPath := checkpointPath(dir), filepath.Join(dir, "metrics.jsonl")
	if _, err := os.Stat(ckpt); errors.Is(err, fs.ErrNotExist) {
		s, err := newSession(cfg, c, tok)
		if err != nil {
			return nil, nil, err
		}
		m, err := train.CreateMetrics(metricsPath)
		return s, m, err
	}
	hdr, err := readCheckpointHeader(ckpt)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (remove it to train this run from the start)", err)
	}
	if configJSON(hdr.Config) != configJSON(cfg) {
		return nil, nil, fmt.Errorf("%s was trained with another config than this study's run (remove it to train the run from the start)", ckpt)
	}
	s, err := train.ResumeSession(ckpt, cfg, c)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	m, err := train.ResumeMetrics(metricsPath, s.Steps())
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(log, "resumed from %s at step %d\n", ckpt, s.Steps())
	return s, m, nil
}

// writeStudyReport writes results.md, results.json, curves.png (mean validation loss
// against step per kernel) and a sweep-FAMILY.png per feature-dimension sweep from the
// study saved in dir, and prints the table.
func writeStudyReport(dir string, order []string, stdout, stderr io.Writer) error {
	spec, runs, err := train.ReadStudy(dir, order)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return fmt.Errorf("%s: no finished runs to report", dir)
	}
	report := train.StudyReport(spec, runs)
	fmt.Fprint(stdout, report)
	md, js := filepath.Join(dir, "results.md"), filepath.Join(dir, "results.json")
	if err := atomicfile.WriteFile(md, []byte(report), 0o644); err != nil {
		return err
	}
	if err := train.WriteStudyJSON(js, struct {
		Spec train.StudySpec  `json:"spec"`
		Runs []train.StudyRun `json:"runs"`
	}{spec, runs}); err != nil {
		return err
	}
	written := []string{md, js}
	groups := train.GroupStudy(runs)
	var curves []curve
	for _, g := range groups {
		if steps, loss := g.MeanCurve(); len(steps) > 0 {
			curves = append(curves, curve{Name: g.Kernel, Steps: steps, Vals: loss})
		}
	}
	png := filepath.Join(dir, "curves.png")
	title := fmt.Sprintf("validation loss, mean over the seeds (%d runs)", len(runs))
	if err := plotCurves(png, axes{title: title, x: "step", y: "validation loss (nats/token)"}, curves); err != nil {
		return err
	}
	written = append(written, png)
	m := spec.Config.Model
	sweeps := train.Sweeps(groups, m.DModel/max(m.Heads, 1))
	for _, family := range slices.Sorted(maps.Keys(sweeps)) {
		for _, what := range []string{"val", "bleu"} {
			path := filepath.Join(dir, "sweep-"+family+".png")
			if what == "bleu" {
				if taskOf(spec.Config) != "translate" {
					continue
				}
				path = filepath.Join(dir, "sweep-"+family+"-bleu.png")
			}
			if err := plotSweep(path, family, what, sweeps[family], groups); err != nil {
				return err
			}
			written = append(written, path)
		}
	}
	fmt.Fprintf(stderr, "wrote %s\n", strings.Join(written, ", "))
	return nil
}

// plotSweep plots the mean validation loss (what "val") or BLEU ("bleu") of a sweep's
// kernels against their feature dimension (log scale), with error bars of one sample
// std over the seeds where a point has two or more, and edp's mean, when the study has
// it, as the line they approach.
func plotSweep(path, family, what string, pts []train.SweepPoint, groups []train.KernelRuns) error {
	var measure, label string
	switch what {
	case "val":
		measure, label = "validation loss", "validation loss (nats/token)"
	case "bleu":
		measure, label = "BLEU", "BLEU"
	default:
		panic("plotSweep: what = " + what)
	}
	c := curve{Name: family}
	for _, p := range pts {
		v := p.ValLoss
		if what == "bleu" {
			v = p.BLEU
		}
		if len(v) == 0 {
			continue
		}
		m, sd := train.MeanStd(v)
		if len(v) < 2 {
			sd = 0
		}
		c.Steps, c.Vals, c.Err = append(c.Steps, float64(p.FeatureDim)), append(c.Vals, m), append(c.Err, sd)
	}
	curves := []curve{c}
	for _, g := range groups {
		if g.Kernel == "edp" && len(g.Runs) > 0 && len(c.Steps) > 0 {
			var v []float64
			for _, r := range g.Runs {
				switch {
				case what == "val":
					v = append(v, r.ValLoss)
				case r.BLEU != nil:
					v = append(v, *r.BLEU)
				}
			}
			if len(v) == 0 {
				continue
			}
			m, _ := train.MeanStd(v)
			lo, hi := c.Steps[0], c.Steps[len(c.Steps)-1]
			curves = append(curves, curve{Name: fmt.Sprintf("edp (infinite), %d seeds", len(v)), Steps: []float64{lo, hi}, Vals: []float64{m, m}})
		}
	}
	title := family + ": " + measure + " against feature dimension, mean ± std over the seeds"
	return plotCurves(path, axes{title: title, x: "feature dimension", y: label, logX: true}, curves)
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

// buildRevision is the version-control revision this binary was built from, its first
// 12 hex digits with "+dirty" if the work tree was modified, or "" when the build
// recorded none (go run, go test, -buildvcs=false).
func buildRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	rev = rev[:min(len(rev), 12)]
	if dirty {
		rev += "+dirty"
	}
	return rev
}
