package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/kernelmachines/bkm/train"
)

// runOpts is everything a training run needs besides the config.
type runOpts struct {
	outDir        string
	saveEvery     int
	evalEvery     int
	logEvery      int
	samples       int // sample translations/generations printed per validation
	bleuSentences int // validation sentences decoded for BLEU (translation)
	beam          int
	progress      string // auto, bar, plain, or "" for no step lines (compare-kernels)
	log           io.Writer
	stop          <-chan os.Signal // SIGINT/SIGTERM; nil = none
	evalAtStart   bool             // validate before the first update (learning curves start at step 0)
}

// runResult is what a run measured.
type runResult struct {
	Steps        int
	FinalLoss    float64 // training loss of the last update
	ValLoss      float64 // at the end
	BLEU         float64 // at the end; NaN for language models
	Curve        curve   // validation loss against step
	Wall         time.Duration
	Checkpoint   string
	Interrupted  bool
	TokensPerSec float64
}

// errDiverged marks a run stopped by a non-finite loss.
var errDiverged = errors.New("diverged")

// checkpointPath is where a run keeps its latest checkpoint.
func checkpointPath(dir string) string { return filepath.Join(dir, "checkpoint.bkm") }

// ensureWritableDir creates dir if needed and checks that files can be created in it,
// so a run does not train for an hour and then fail at its first checkpoint.
func ensureWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint directory %s: %w", dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("checkpoint directory %s is not writable: %w", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// trainLoop trains e until cfg.Schedule.Steps updates are done, a signal arrives or the
// loss diverges, validating, logging and checkpointing on the way.
func trainLoop(e *engine, o runOpts, metrics *metricsLog) (runResult, error) {
	res := runResult{BLEU: math.NaN(), ValLoss: math.NaN(), Curve: curve{Name: e.cfg.Model.Kernel}}
	total := e.cfg.Schedule.Steps
	start := e.steps()
	t0 := time.Now()
	var prog *progress
	if o.progress != "" {
		var err error
		if prog, err = newProgress(o.log, o.progress, o.logEvery, start, total); err != nil {
			return res, err
		}
	} else {
		prog, _ = newProgress(io.Discard, "plain", o.logEvery, start, total)
	}
	say := func(format string, args ...any) {
		if o.progress != "" {
			prog.println(format, args...)
		} else {
			fmt.Fprintf(o.log, format+"\n", args...)
		}
	}
	ckpt := checkpointPath(o.outDir)
	save := func(why string) error {
		if err := e.save(ckpt); err != nil {
			return fmt.Errorf("saving checkpoint: %w", err)
		}
		res.Checkpoint = ckpt
		return metrics.write(record{Kind: "event", Step: e.steps(), Event: "checkpoint", Detail: why, Elapsed: time.Since(t0).Seconds()})
	}
	validate := func() error {
		vl := e.validate()
		res.ValLoss = vl
		res.Curve.Steps = append(res.Curve.Steps, float64(e.steps()))
		res.Curve.Vals = append(res.Curve.Vals, vl)
		rec := record{Kind: "valid", Step: e.steps(), ValLoss: f64(vl), Elapsed: time.Since(t0).Seconds()}
		msg := fmt.Sprintf("valid step %d: loss %.4f ppl %.2f", e.steps(), vl, math.Exp(vl))
		if e.task == "translate" && o.bleuSentences > 0 {
			n := min(o.bleuSentences, len(e.ds.Valid))
			src, ref := make([]string, n), make([]string, n)
			for i, p := range e.ds.Valid[:n] {
				src[i], ref[i] = p.Src, p.Tgt
			}
			hyp, err := e.translate(src, o.beam)
			if err != nil {
				return err
			}
			b := e.bleu(hyp, ref)
			res.BLEU = b
			rec.BLEU = f64(b)
			msg += fmt.Sprintf(", BLEU %.2f on %d sentences", b, n)
			say("%s", msg)
			for i := 0; i < min(o.samples, n); i++ {
				say("  src: %s\n  ref: %s\n  hyp: %s", src[i], ref[i], hyp[i])
			}
		} else {
			say("%s", msg)
			if e.task == "lm" && o.samples > 0 {
				prompts := lmPrompts(e.ds.ValidText, o.samples)
				outs, err := e.generate(prompts, 60)
				if err != nil {
					return err
				}
				for i := range prompts {
					say("  %s|%s", prompts[i], outs[i])
				}
			}
		}
		return metrics.write(rec)
	}

	if o.evalAtStart && start == 0 {
		if err := validate(); err != nil {
			return res, err
		}
	}
	var tokens int
	lastT := time.Now()
	for e.steps() < total {
		select {
		case sig := <-o.stop:
			prog.finish()
			if err := save("signal " + sig.String()); err != nil {
				return res, err
			}
			say("interrupted by %s at step %d: checkpoint saved to %s (continue with --resume %s)", sig, e.steps(), ckpt, ckpt)
			res.Interrupted = true
			res.Steps, res.Wall = e.steps(), time.Since(t0)
			return res, nil
		default:
		}
		st, err := e.step()
		if err != nil {
			prog.finish()
			if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
				metrics.write(record{Kind: "event", Step: e.steps(), Event: "diverged", Detail: fmt.Sprint(st.Loss), Elapsed: time.Since(t0).Seconds()})
				if serr := save("last good model before the loss became " + fmt.Sprint(st.Loss)); serr != nil {
					return res, fmt.Errorf("loss is %v at step %d, and %w", st.Loss, e.steps()+1, serr)
				}
				return res, fmt.Errorf("%w: loss is %v at step %d; stopped without applying that update and saved the last good model (after step %d) to %s; try a lower --lr or --clip 1",
					errDiverged, st.Loss, e.steps()+1, e.steps(), ckpt)
			}
			return res, err
		}
		tokens += st.Tokens
		res.FinalLoss = st.Loss
		s := e.steps()
		now := time.Now()
		tps := float64(st.Tokens) / now.Sub(lastT).Seconds()
		lastT = now
		if err := metrics.write(record{Kind: "train", Step: s, Loss: f64(st.Loss), LR: f64(float64(st.LR)), Tokens: st.Tokens, TokPerSec: tps, Elapsed: time.Since(t0).Seconds()}); err != nil {
			return res, err
		}
		prog.update(s, st.Loss, float64(st.LR), float64(tokens)/time.Since(t0).Seconds())
		if o.evalEvery > 0 && s%o.evalEvery == 0 && s < total {
			if err := validate(); err != nil {
				return res, err
			}
		}
		if o.saveEvery > 0 && s%o.saveEvery == 0 && s < total {
			if err := save("every --save-every steps"); err != nil {
				return res, err
			}
		}
	}
	prog.finish()
	if err := validate(); err != nil {
		return res, err
	}
	if err := save("end of run"); err != nil {
		return res, err
	}
	res.Steps, res.Wall = e.steps(), time.Since(t0)
	res.TokensPerSec = float64(tokens) / res.Wall.Seconds()
	return res, nil
}

// lmPrompts takes the first words of the first n validation lines.
func lmPrompts(lines []string, n int) []string {
	var out []string
	for _, l := range lines {
		if len(out) == n {
			break
		}
		w := strings.Fields(l)
		if len(w) < 2 {
			continue
		}
		out = append(out, strings.Join(w[:min(3, len(w)-1)], " ")+" ")
	}
	return out
}

func runTrain(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	var cf configFlags
	cf.register(fs)
	trainPath := fs.String("train", "", "training data: TSV source<TAB>target (translate) or text (lm); default: the embedded corpus")
	validPath := fs.String("valid", "", "validation data, same format as --train")
	outDir := fs.String("out", "bkmtrain-run", "directory for checkpoint.bkm and metrics.jsonl")
	saveEvery := fs.Int("save-every", 300, "checkpoint every N updates (and at the end and on SIGINT/SIGTERM)")
	evalEvery := fs.Int("eval-every", 300, "validate every N updates (and at the end)")
	logEvery := fs.Int("log-every", 10, "without a terminal: one log line every N updates")
	samples := fs.Int("samples", 2, "sample translations or generations printed at each validation")
	bleuN := fs.Int("bleu-sentences", 40, "validation sentences translated for BLEU at each validation (0 = loss only)")
	beam := fs.Int("beam", 1, "beam size for the validation translations (1 = greedy)")
	lenPenalty := lenPenaltyFlag(fs)
	resume := fs.String("resume", "", "continue from this checkpoint (file or run directory); config flags other than --steps and --threads are not allowed")
	tokKind := fs.String("tokenizer", "bpe", "bpe (learned from the training data) or byte; sets model.vocab")
	bpeVocab := fs.Int("bpe-vocab", 1000, "BPE vocabulary size (ids, including the 256 bytes and 3 specials)")
	progressMode := fs.String("progress", "auto", "auto (a bar on a terminal, log lines otherwise), bar or plain")
	cpuprofile := fs.String("cpuprofile", "", "write a pprof CPU profile to this file")
	memprofile := fs.String("memprofile", "", "write a pprof heap profile to this file at the end")
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

	var cfg train.Config
	var err error
	if *resume != "" {
		for name := range set {
			if isConfigFlag(fs, name) && name != "steps" && name != "threads" {
				return usagef("--%s cannot change a resumed run (only --steps and --threads can)", name)
			}
		}
		if st, err := os.Stat(*resume); err == nil && st.IsDir() {
			*resume = checkpointPath(*resume)
		}
		if cfg, err = checkpointConfig(*resume); err != nil {
			return err
		}
		for _, f := range cf.pending {
			if err := f(&cfg); err != nil {
				return usagef("%v", err)
			}
		}
	} else if cfg, err = cf.resolve(); err != nil {
		return err
	}
	task := taskOf(cfg)
	ds, err := loadData(task, *trainPath, *validPath)
	if err != nil {
		return err
	}
	if err := ensureWritableDir(*outDir); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	var e *engine
	if *resume != "" {
		if e, err = loadEngine(*resume, cfg, ds); err != nil {
			return err
		}
	} else {
		tok, err := newTokenizer(*tokKind, *bpeVocab, ds)
		if err != nil {
			return err
		}
		cfg.Model.Vocab = tok.VocabSize()
		if e, err = newEngine(cfg, ds, tok); err != nil {
			return err
		}
	}
	metrics, err := openMetrics(filepath.Join(*outDir, "metrics.jsonl"), *resume != "")
	if err != nil {
		return err
	}
	defer metrics.Close()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	m := cfg.Model
	fmt.Fprintf(stderr, "bkmtrain: %s on %s (%d train, %d valid); %s d_model %d, %d heads, ffn %d, layers %d/%d, kernel %s, %d parameters; %s lr %g, %d steps; seed %d, %d threads\n",
		task, ds.Name, max(len(ds.Train), len(ds.TrainText)), max(len(ds.Valid), len(ds.ValidText)), m.Arch, m.DModel, m.Heads, m.FFN, m.EncLayers, m.DecLayers, m.Kernel,
		e.numParams(), cfg.Schedule.Kind, cfg.Optim.LR, cfg.Schedule.Steps, cfg.Seed, e.threads())
	if *resume != "" {
		fmt.Fprintf(stderr, "bkmtrain: resumed from %s at step %d\n", *resume, e.steps())
	}
	e.lenPenalty = *lenPenalty
	metrics.write(record{Kind: "event", Step: e.steps(), Event: "start", Detail: configJSON(cfg)})

	res, err := trainLoop(e, runOpts{
		outDir: *outDir, saveEvery: *saveEvery, evalEvery: *evalEvery, logEvery: *logEvery,
		samples: *samples, bleuSentences: *bleuN, beam: *beam, progress: *progressMode,
		log: stderr, stop: sigs,
	}, metrics)
	if err != nil {
		return err
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--memprofile: %w", err)
		}
		f.Close()
	}
	if res.Interrupted {
		return nil
	}
	summary := fmt.Sprintf("done: %d steps in %s (%.0f tok/s); final train loss %.4f, valid loss %.4f", res.Steps, res.Wall.Round(time.Second), res.TokensPerSec, res.FinalLoss, res.ValLoss)
	if !math.IsNaN(res.BLEU) {
		summary += fmt.Sprintf(", BLEU %.2f", res.BLEU)
	}
	fmt.Fprintf(stdout, "%s; checkpoint %s\n", summary, res.Checkpoint)
	return nil
}

// isConfigFlag reports whether the flag sets a train.Config field.
func isConfigFlag(fs *flag.FlagSet, name string) bool {
	switch name {
	case "train", "valid", "out", "save-every", "eval-every", "log-every", "samples", "bleu-sentences",
		"beam", "len-penalty", "resume", "progress", "cpuprofile", "memprofile", "tokenizer", "bpe-vocab":
		return false
	}
	return fs.Lookup(name) != nil
}
