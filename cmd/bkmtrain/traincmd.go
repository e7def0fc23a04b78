package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/kernelmachines/bkm/cluster"
	"github.com/kernelmachines/bkm/internal/atomicfile"
	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

// trainFlags are the flags of bkmtrain train.
type trainFlags struct {
	cf                     configFlags
	trainPath, validPath   string
	outDir, resume         string
	saveEvery, evalEvery   int
	logEvery, samples      int
	bleuSentences          int
	finalSentences         int
	decode                 decodeFlags
	tokenizer              string
	bpeVocab               int
	progress               string
	cpuprofile, memprofile string
	overwrite              bool
	dist                   distFlags
	set                    map[string]bool // flags given on the command line
}

func (f *trainFlags) register(fs *flag.FlagSet) {
	f.cf.register(fs)
	fs.StringVar(&f.trainPath, "train", "", "training data: TSV source<TAB>target (translate) or text (lm); default: the embedded corpus")
	fs.StringVar(&f.validPath, "valid", "", "validation data, same format as --train")
	fs.StringVar(&f.outDir, "out", "bkmtrain-run", "directory for checkpoint.bkm and metrics.jsonl (with --resume: the checkpoint's directory)")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace the checkpoint and metrics of another run in --out")
	fs.IntVar(&f.saveEvery, "save-every", 300, "checkpoint every N updates (and at the end and on SIGINT/SIGTERM)")
	fs.IntVar(&f.evalEvery, "eval-every", 500, "validate every N updates (and at the end)")
	fs.IntVar(&f.logEvery, "log-every", 10, "without a terminal: one log line every N updates")
	fs.IntVar(&f.samples, "samples", 3, "sample translations or generations printed at each validation")
	fs.IntVar(&f.bleuSentences, "bleu-sentences", 40, "validation sentences translated for BLEU at each validation (0 = loss only)")
	fs.IntVar(&f.finalSentences, "final-bleu-sentences", 0, "validation sentences translated for BLEU and the distinct-output ratio at the end (0 = all; none with --bleu-sentences 0)")
	f.dist.register(fs)
	f.decode.register(fs, "beam size for the validation translations (1 = greedy)")
	fs.StringVar(&f.resume, "resume", "", "continue from this checkpoint (file or run directory); config flags other than --steps and --threads are not allowed")
	fs.StringVar(&f.tokenizer, "tokenizer", "bpe", "bpe (learned from the training data) or byte; sets model.vocab")
	fs.IntVar(&f.bpeVocab, "bpe-vocab", 2000, "BPE vocabulary size (ids, including the 256 bytes and 3 specials)")
	fs.StringVar(&f.progress, "progress", "auto", "auto (a bar on a terminal, log lines otherwise), bar or plain")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a pprof CPU profile to this file")
	fs.StringVar(&f.memprofile, "memprofile", "", "write a pprof heap profile to this file at the end")
}

// parse parses args and checks the flags that need no file.
func (f *trainFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if err := f.decode.check(); err != nil {
		return err
	}
	if err := f.dist.check(); err != nil {
		return err
	}
	if err := checkTokenizerKind(f.tokenizer); err != nil {
		return err
	}
	if f.progress != "auto" && f.progress != "bar" && f.progress != "plain" {
		return usagef("--progress = %q: want auto, bar or plain", f.progress)
	}
	return checkCounts(map[string]int{"save-every": f.saveEvery, "eval-every": f.evalEvery, "log-every": f.logEvery,
		"samples": f.samples, "bleu-sentences": f.bleuSentences, "final-bleu-sentences": f.finalSentences})
}

// config is the run's config: the checkpoint's with --steps and --threads applied on
// --resume, else the task defaults, the --config file and the flags. A run must have
// updates to do.
func (f *trainFlags) config(fs *flag.FlagSet) (train.Config, error) {
	if f.resume != "" {
		return f.resumedConfig(fs)
	}
	cfg, err := f.cf.resolve(f.set)
	if err == nil && cfg.Schedule.Steps < 1 {
		err = usagef("--steps = %d: must be ≥ 1", cfg.Schedule.Steps)
	}
	return cfg, err
}

// resumedConfig is the config of the checkpoint of --resume with --steps and --threads
// applied. The other config flags, and a tokenizer other than the checkpoint's, are
// errors; so is a --steps the run has already reached. Without --out, the run continues
// in the checkpoint's directory.
func (f *trainFlags) resumedConfig(fs *flag.FlagSet) (train.Config, error) {
	for name := range f.set {
		if isConfigFlag(fs, name) && name != "steps" && name != "threads" {
			return train.Config{}, usagef("--%s cannot change a resumed run (only --steps and --threads can)", name)
		}
	}
	f.resume = resolveCheckpoint(f.resume)
	if !f.set["out"] {
		f.outDir = filepath.Dir(f.resume)
	}
	hdr, err := readCheckpointHeader(f.resume)
	if err != nil {
		return train.Config{}, err
	}
	if err := f.checkResumedTokenizer(hdr); err != nil {
		return train.Config{}, err
	}
	cfg := hdr.Config
	for _, set := range f.cf.pending {
		if err := set(&cfg); err != nil {
			return cfg, usagef("%v", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("inconsistent config: %w", err)
	}
	if cfg.Schedule.Steps <= hdr.Steps {
		return cfg, usagef("--steps = %d: the checkpoint is at step %d already; give a larger --steps to train on", cfg.Schedule.Steps, hdr.Steps)
	}
	return cfg, nil
}

// checkResumedTokenizer rejects --tokenizer and --bpe-vocab values that differ from
// the checkpoint's tokenizer (a resumed run keeps its tokenizer).
func (f *trainFlags) checkResumedTokenizer(hdr *train.CheckpointHeader) error {
	kind := ""
	if hdr.Tokenizer != nil {
		kind = hdr.Tokenizer.Kind
	}
	if f.set["tokenizer"] && f.tokenizer != kind {
		return usagef("--tokenizer = %s: the checkpoint's tokenizer is %q, and a resumed run keeps it", f.tokenizer, kind)
	}
	if f.set["bpe-vocab"] && (kind != "bpe" || f.bpeVocab != hdr.Config.Model.Vocab) {
		return usagef("--bpe-vocab = %d: the checkpoint's %s tokenizer has %d ids, and a resumed run keeps it", f.bpeVocab, kind, hdr.Config.Model.Vocab)
	}
	return nil
}

// session builds the run: restored from --resume, or a fresh model with a new tokenizer.
func (f *trainFlags) session(cfg train.Config, c *train.Corpus) (*train.Session, error) {
	if f.resume != "" {
		s, err := train.ResumeSession(f.resume, cfg, c)
		if errors.Is(err, train.ErrOtherCorpus) {
			return nil, usagef("%v: give the run's --train and --valid", err)
		}
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		return s, nil
	}
	tok, err := newTokenizer(f.tokenizer, f.bpeVocab, c)
	if err != nil {
		return nil, err
	}
	cfg.Model.Vocab = tok.VocabSize()
	return newSession(cfg, c, tok)
}

// runOpts are the run's options; the final validation translates --final-bleu-sentences
// of the nValid validation pairs (0: all of them), or none with --bleu-sentences 0.
func (f *trainFlags) runOpts(log io.Writer, stop <-chan os.Signal, nValid int) runOpts {
	final := f.finalSentences
	switch {
	case f.bleuSentences == 0:
		final = 0
	case final == 0:
		final = nValid
	}
	return runOpts{outDir: f.outDir, saveEvery: f.saveEvery, evalEvery: f.evalEvery, logEvery: f.logEvery, stopValidation: !f.dist.on,
		samples: f.samples, bleuSentences: f.bleuSentences, finalSentences: final, decode: f.decode, progress: f.progress, log: log, stop: stop}
}

func runTrain(args []string, _ io.Reader, stdout, stderr io.Writer) (err error) {
	var f trainFlags
	fs, err := parseCommand("train", stderr, &f, args)
	if err != nil {
		return err
	}
	if err := f.dist.join(); err != nil {
		return err
	}
	defer f.dist.leave(&err)
	cfg, err := f.config(fs)
	if err != nil {
		return err
	}
	if err := checkOutDir(f.outDir, f.resume, f.overwrite); err != nil {
		return err
	}
	c, err := loadData(taskOf(cfg), f.trainPath, f.validPath)
	if err != nil {
		return err
	}
	s, err := f.session(cfg, c)
	if err != nil {
		return err
	}
	if f.dist.on {
		if err := s.Distribute(cluster.World{}); err != nil {
			return err
		}
		if !s.IsRoot() { // rank 0 alone prints, writes metrics and checkpoints
			stdout, stderr = io.Discard, io.Discard
		}
	}
	if s.IsRoot() {
		if err := ensureWritableDir("checkpoint directory", f.outDir); err != nil {
			return err
		}
		unlock, err := lockRunDir(f.outDir)
		if err != nil {
			return err
		}
		defer unlock()
		// Again under the lock: a run into the same --out may have ended since.
		if err := checkOutDir(f.outDir, f.resume, f.overwrite); err != nil {
			return err
		}
	}
	stopProfile, err := startCPUProfile(f.cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()
	var metrics *train.MetricsLog // nil on ranks other than 0: no metrics
	if s.IsRoot() {
		if metrics, err = openRunMetrics(f.outDir, f.resume, s.Steps()); err != nil {
			return err
		}
		defer metrics.Close()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	if f.dist.on {
		notifyRankStop(sigs)
	}
	defer signal.Stop(sigs)
	printStart(stderr, s, f.resume)
	metrics.Write(train.MetricsRecord{Kind: "event", Step: s.Steps(), Event: "start", Detail: configJSON(s.Trainer.Cfg), Build: buildRevision()})
	res, err := trainLoop(s, f.runOpts(stderr, sigs, len(c.Valid)), metrics)
	if err != nil {
		return err
	}
	if err := writeHeapProfile(f.memprofile); err != nil {
		return err
	}
	if f.dist.on {
		if err := printCommTimes(stderr, s); err != nil {
			return err
		}
	}
	if !res.Interrupted {
		printSummary(stdout, res)
	}
	return nil
}

// checkTokenizerKind rejects a --tokenizer other than byte and bpe.
func checkTokenizerKind(kind string) error {
	if kind != "byte" && kind != "bpe" {
		return usagef("--tokenizer = %q: want byte or bpe", kind)
	}
	return nil
}

// checkCounts rejects negative values of the flags that count steps or sentences.
func checkCounts(counts map[string]int) error {
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		if counts[name] < 0 {
			return usagef("--%s = %d: must be ≥ 0", name, counts[name])
		}
	}
	return nil
}

// newTokenizer makes the tokenizer of a fresh run from the training text of c.
func newTokenizer(kind string, vocab int, c *train.Corpus) (train.Tokenizer, error) {
	if err := checkTokenizerKind(kind); err != nil {
		return nil, err
	}
	tok, err := train.NewCorpusTokenizer(kind, vocab, c)
	if err != nil {
		return nil, fmt.Errorf("--bpe-vocab %d: %w", vocab, err)
	}
	return tok, nil
}

// newSession builds a fresh model for cfg and tok with the data of c.
func newSession(cfg train.Config, c *train.Corpus, tok train.Tokenizer) (*train.Session, error) {
	s, err := train.NewSession(cfg, tok)
	if err != nil {
		return nil, fmt.Errorf("inconsistent config: %w", err)
	}
	if err := s.SetData(c); err != nil {
		return nil, err
	}
	return s, nil
}

// openRunMetrics opens dir's metrics log: when the run resumes the checkpoint in dir,
// the old log cut back to the checkpoint's step; otherwise a new one.
func openRunMetrics(dir, resumed string, step int) (*train.MetricsLog, error) {
	path := filepath.Join(dir, "metrics.jsonl")
	if resumed != "" && sameFile(resumed, checkpointPath(dir)) {
		return train.ResumeMetrics(path, step)
	}
	return train.CreateMetrics(path)
}

// printStart describes the run on one line (two when resumed).
func printStart(w io.Writer, s *train.Session, resumed string) {
	cfg, c := s.Trainer.Cfg, s.Corpus
	m := cfg.Model
	fmt.Fprintf(w, "bkmtrain: %s on %s (%d train, %d valid); %s d_model %d, %d heads, ffn %d, layers %d/%d, kernel %s, %d parameters; %s lr %g, %d steps; seed %d, %d threads\n",
		taskOf(cfg), c.Name, max(len(c.Train), len(c.TrainText)), max(len(c.Valid), len(c.ValidText)), m.Arch, m.DModel, m.Heads, m.FFN, m.EncLayers, m.DecLayers, m.Kernel,
		s.Trainer.Model.NumParams(), cfg.Schedule.Kind, cfg.Optim.LR, cfg.Schedule.Steps, cfg.Seed, simd.Threads())
	if n := s.Trainer.Ranks(); n > 1 {
		fmt.Fprintf(w, "bkmtrain: data-parallel on %d ranks: each takes its rows of every batch, gradients summed across ranks\n", n)
	}
	if resumed != "" {
		fmt.Fprintf(w, "bkmtrain: resumed from %s at step %d\n", resumed, s.Steps())
	}
}

// printSummary prints the result of a finished run on stdout.
func printSummary(w io.Writer, res runResult) {
	summary := fmt.Sprintf("done: %d steps in %s (%.0f tok/s); final train loss %.4f, valid loss %.4f", res.Steps, res.Wall.Round(time.Second), res.TokensPerSec, res.FinalLoss, res.ValLoss)
	if !math.IsNaN(res.BLEU) {
		summary += fmt.Sprintf(", BLEU %.2f on %d validation sentences, %s", res.BLEU, res.BLEUSents, distinctDesc(res.Distinct, res.Sources))
	}
	fmt.Fprintf(w, "%s; checkpoint %s\n", summary, res.Checkpoint)
}

// startCPUProfile starts --cpuprofile (nothing for an empty path); the returned
// function stops it.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeHeapProfile writes --memprofile (nothing for an empty path), atomically: a
// failed write leaves an earlier profile as it was.
func writeHeapProfile(path string) error {
	if path == "" {
		return nil
	}
	runtime.GC()
	if err := atomicfile.Write(path, 0o644, pprof.WriteHeapProfile); err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	return nil
}

// isConfigFlag reports whether the flag sets a train.Config field.
func isConfigFlag(fs *flag.FlagSet, name string) bool {
	switch name {
	case "train", "valid", "out", "save-every", "eval-every", "log-every", "samples", "bleu-sentences",
		"final-bleu-sentences", "beam", "len-penalty", "resume", "progress", "cpuprofile", "memprofile", "tokenizer", "bpe-vocab",
		"distributed", "collective-timeout":
		return false
	}
	return fs.Lookup(name) != nil
}
