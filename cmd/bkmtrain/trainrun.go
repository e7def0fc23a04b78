package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/kernelmachines/bkm/train"
)

// runOpts is everything a training run needs besides the config.
type runOpts struct {
	outDir         string
	saveEvery      int
	evalEvery      int
	logEvery       int
	samples        int // sample translations/generations printed per validation
	bleuSentences  int // validation sentences decoded for BLEU at each validation (translation)
	finalSentences int // and at the end of the run, with the distinct-output ratio (0 = no BLEU)
	decode         decodeFlags
	progress       string // auto, bar, plain, or "" for no step lines (compare-kernels)
	log            io.Writer
	stop           <-chan os.Signal // SIGINT/SIGTERM; nil = none
	// stopValidation: a signal also stops a validation's BLEU (a run on one process;
	// in a data-parallel run rank 0 alone validates, and the ranks agree on stopping
	// between steps).
	stopValidation bool
	evalAtStart    bool   // validate before the first update (learning curves start at step 0)
	resumeHint     string // how to continue an interrupted run (default: --resume outDir)
}

// runResult is what a run measured.
type runResult struct {
	Steps        int
	FinalLoss    float64 // training loss of the last update
	ValLoss      float64 // at the end
	BLEU         float64 // at the end; NaN for language models
	BLEUSents    int     // validation sentences BLEU was scored on at the end
	Distinct     int     // distinct translations of the Sources distinct sources among them
	Sources      int
	Curve        curve // validation loss against step
	Wall         time.Duration
	Checkpoint   string
	Interrupted  bool
	TokensPerSec float64
}

// peerSignal stands for a signal that another rank of a data-parallel run received.
type peerSignal struct{}

func (peerSignal) String() string { return "a signal to another rank" }
func (peerSignal) Signal()        {}

// errDiverged marks a run stopped by a non-finite loss.
var errDiverged = errors.New("diverged")

// ensureWritableDir creates dir if needed and checks that files can be created in it,
// so a run does not train for an hour and then fail at its first checkpoint; what
// names the directory in errors ("checkpoint directory").
func ensureWritableDir(what, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s %s: %w", what, dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("%s %s is not writable: %w", what, dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// loop is a training run in progress: what it drives, where it reports, what it measured.
type loop struct {
	s        *train.Session
	o        runOpts
	metrics  *train.MetricsLog
	prog     *progress
	res      runResult
	ckpt     string
	pending  os.Signal // a signal that stopped a validation, for the loop to act on
	total    int
	tokens   int
	t0, last time.Time
}

// trainLoop trains s until its config's Schedule.Steps updates are done, a signal
// arrives or the loss diverges, validating, logging and checkpointing on the way.
func trainLoop(s *train.Session, o runOpts, metrics *train.MetricsLog) (runResult, error) {
	l := &loop{s: s, o: o, metrics: metrics, ckpt: checkpointPath(o.outDir), total: s.Trainer.Cfg.Schedule.Steps,
		res: runResult{BLEU: math.NaN(), ValLoss: math.NaN(), Curve: curve{Name: s.Trainer.Cfg.Model.Kernel}}}
	l.t0, l.last = time.Now(), time.Now()
	var err error
	if o.progress == "" {
		l.prog, _ = newProgress(io.Discard, "plain", o.logEvery, s.Steps(), l.total)
	} else if l.prog, err = newProgress(o.log, o.progress, o.logEvery, s.Steps(), l.total); err != nil {
		return l.res, err
	}
	if o.evalAtStart && s.Steps() == 0 {
		if err := l.validate(o.bleuSentences); err != nil && !errors.Is(err, errValidationStopped) {
			return l.res, err
		}
	}
	for s.Steps() < l.total {
		sig := l.pending
		if sig == nil {
			select {
			case sig = <-o.stop:
			default:
			}
		}
		// In a data-parallel run all ranks stop after the same step, if any got a signal.
		stop, err := s.Stop(sig != nil)
		if err != nil {
			return l.res, err
		}
		if stop {
			if sig == nil {
				sig = peerSignal{}
			}
			return l.interrupted(sig)
		}
		if err := l.step(); err != nil {
			return l.res, err
		}
	}
	return l.finish()
}

// say prints a line of the run's log (above the progress bar, if any).
func (l *loop) say(format string, args ...any) {
	if l.o.progress != "" {
		l.prog.println(format, args...)
	} else {
		fmt.Fprintf(l.o.log, format+"\n", args...)
	}
}

func (l *loop) elapsed() float64 { return time.Since(l.t0).Seconds() }

// step does one update, logs it, and validates and checkpoints when due.
func (l *loop) step() error {
	st, err := l.s.Step()
	if err != nil {
		l.prog.finish()
		if errors.Is(err, train.ErrDiverged) {
			return l.diverged(err)
		}
		return err
	}
	l.tokens += st.Tokens
	l.res.FinalLoss = st.Loss
	s := l.s.Steps()
	now := time.Now()
	tps := float64(st.Tokens) / now.Sub(l.last).Seconds()
	l.last = now
	if err := l.metrics.Write(train.MetricsRecord{Kind: "train", Step: s, Loss: f64(st.Loss), LR: f64(float64(st.LR)), Tokens: st.Tokens, TokPerSec: tps, Elapsed: l.elapsed()}); err != nil {
		return err
	}
	l.prog.update(s, st.Loss, float64(st.LR), float64(l.tokens)/time.Since(l.t0).Seconds())
	if l.o.evalEvery > 0 && s%l.o.evalEvery == 0 && s < l.total {
		if err := l.validate(l.o.bleuSentences); errors.Is(err, errValidationStopped) {
			return nil // the loop saves and stops at l.pending
		} else if err != nil {
			return err
		}
	}
	if l.o.saveEvery > 0 && s%l.o.saveEvery == 0 && s < l.total {
		return l.save("every --save-every steps")
	}
	return nil
}

// save writes the checkpoint and logs why.
func (l *loop) save(why string) error {
	if err := l.s.Save(l.ckpt); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	l.res.Checkpoint = l.ckpt
	return l.metrics.Write(train.MetricsRecord{Kind: "event", Step: l.s.Steps(), Event: "checkpoint", Detail: why, Elapsed: l.elapsed()})
}

// validate logs the validation loss and, for translation, BLEU on the first
// bleuSentences validation pairs (none for 0), how many distinct translations their
// distinct sources got, and sample translations; for a language model, sample
// continuations.
//
// In a data-parallel run rank 0 alone validates (it alone reports): the other ranks
// wait for it at the next collective, without using their cores.
func (l *loop) validate(bleuSentences int) error {
	if !l.s.IsRoot() {
		return nil
	}
	step, vl := l.s.Steps(), l.s.Validate()
	if math.IsNaN(vl) || math.IsInf(vl, 0) {
		return l.badValidation(vl)
	}
	l.res.ValLoss = vl
	l.res.Curve.Steps = append(l.res.Curve.Steps, float64(step))
	l.res.Curve.Vals = append(l.res.Curve.Vals, vl)
	rec := train.MetricsRecord{Kind: "valid", Step: step, ValLoss: f64(vl), Elapsed: l.elapsed()}
	msg := fmt.Sprintf("valid step %d: loss %.4f ppl %.2f", step, vl, math.Exp(vl))
	var samples []string
	switch task := taskOf(l.s.Trainer.Cfg); {
	case task == "translate" && bleuSentences > 0:
		ctx, end := l.watchStop()
		score, src, ref, hyp, err := l.s.BLEU(ctx, bleuSentences, l.o.decode.beam, l.o.decode.lenPenalty)
		end()
		if errors.Is(err, context.Canceled) {
			l.prog.finish()
			l.say("%s; BLEU stopped by %s", msg, l.pending)
			return errValidationStopped
		}
		if err != nil {
			return err
		}
		l.res.BLEU, rec.BLEU, l.res.BLEUSents = score.Score, f64(score.Score), len(src)
		l.res.Distinct, l.res.Sources = train.DistinctOutputs(src, hyp)
		msg += fmt.Sprintf(", BLEU %.2f on %d sentences, %s", score.Score, len(src), distinctDesc(l.res.Distinct, l.res.Sources))
		for i := 0; i < min(l.o.samples, len(src)); i++ {
			samples = append(samples, fmt.Sprintf("  src: %s\n  ref: %s\n  hyp: %s", src[i], ref[i], hyp[i]))
		}
	case task == "lm" && l.o.samples > 0:
		prompts := lmPrompts(l.s.Corpus.ValidText, l.o.samples)
		outs, err := l.s.Generate(prompts, 60)
		if err != nil {
			return err
		}
		for i := range prompts {
			samples = append(samples, fmt.Sprintf("  %s|%s", prompts[i], outs[i]))
		}
	}
	l.say("%s", msg)
	for _, s := range samples {
		l.say("%s", s)
	}
	return l.metrics.Write(rec)
}

// interrupted saves the run on a signal and says how to continue it.
func (l *loop) interrupted(sig os.Signal) (runResult, error) {
	l.prog.finish()
	if err := l.save("signal " + sig.String()); err != nil {
		return l.res, err
	}
	hint := l.o.resumeHint
	if hint == "" {
		hint = "continue with --resume " + l.o.outDir
	}
	l.say("interrupted by %s at step %d: checkpoint saved to %s (%s)", sig, l.s.Steps(), l.ckpt, hint)
	l.res.Interrupted = true
	l.res.Steps, l.res.Wall = l.s.Steps(), time.Since(l.t0)
	return l.res, nil
}

// diverged saves the last good model (train.Trainer.Step went back to it) after a
// non-finite loss, gradient or update and returns errDiverged.
func (l *loop) diverged(cause error) error {
	step := l.s.Steps()
	l.metrics.Write(train.MetricsRecord{Kind: "event", Step: step, Event: "diverged", Detail: cause.Error(), Elapsed: l.elapsed()})
	if err := l.save("last good model before: " + cause.Error()); err != nil {
		return fmt.Errorf("%v, and %w", cause, err)
	}
	return fmt.Errorf("%w: %v; stopped without applying that update and saved the last good model (after step %d) to %s; try a lower --lr or --clip 1",
		errDiverged, cause, step, l.ckpt)
}

// errValidationStopped: a signal stopped a validation (l.pending holds it).
var errValidationStopped = errors.New("validation stopped by a signal")

// watchStop returns a context that a signal on the run's stop channel cancels, kept in
// l.pending, until end is called (a background context when stopValidation is off).
func (l *loop) watchStop() (ctx context.Context, end func()) {
	if !l.o.stopValidation || l.o.stop == nil {
		return context.Background(), func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case sig := <-l.o.stop:
			l.pending = sig
			cancel()
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		<-watched // l.pending is set, if at all, before end returns
		cancel()
	}
}

// badValidation stops the run on a NaN or infinite validation loss after finite
// training losses (an update huge but finite, which Step cannot see as bad): the
// trainer goes back to the state before that update, which is saved as the last good
// model (diverged); without such a state nothing is saved.
func (l *loop) badValidation(vl float64) error {
	l.prog.finish()
	what := fmt.Sprintf("validation loss is %v", vl)
	err := l.s.Trainer.Revert(what)
	if de := (*train.DivergedError)(nil); errors.As(err, &de) {
		return l.diverged(err)
	}
	step := l.s.Steps()
	l.metrics.Write(train.MetricsRecord{Kind: "event", Step: step, Event: "diverged", Detail: what, Elapsed: l.elapsed()})
	saved := "no checkpoint was written"
	if l.res.Checkpoint != "" {
		saved = l.res.Checkpoint + " holds the last checkpoint"
	}
	return fmt.Errorf("%w: %s after step %d, with no earlier state to go back to: the model was not saved (%s); try a lower --lr or --clip 1",
		errDiverged, what, step, saved)
}

// finish validates and saves at the end of the run.
func (l *loop) finish() (runResult, error) {
	l.prog.finish()
	stopped := false
	if err := l.validate(l.o.finalSentences); errors.Is(err, errValidationStopped) {
		stopped = true
	} else if err != nil {
		return l.res, err
	}
	if err := l.save("end of run"); err != nil {
		return l.res, err
	}
	if stopped {
		l.say("interrupted by %s during the final validation: the run's %d steps are done, checkpoint saved to %s (bkmtrain eval --checkpoint %s scores it)",
			l.pending, l.s.Steps(), l.ckpt, l.o.outDir)
		l.res.Interrupted = true
	}
	l.res.Steps, l.res.Wall = l.s.Steps(), time.Since(l.t0)
	l.res.TokensPerSec = float64(l.tokens) / l.res.Wall.Seconds()
	return l.res, nil
}

// distinctDesc says how many distinct outputs the distinct sources got.
func distinctDesc(distinct, sources int) string {
	return fmt.Sprintf("%d distinct outputs for %d distinct sources (%.1f%%)", distinct, sources, 100*float64(distinct)/float64(max(sources, 1)))
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

// configJSON is the config as one line of JSON, for logs.
func configJSON(cfg train.Config) string {
	b, _ := json.Marshal(cfg)
	return string(b)
}

func f64(x float64) *float64 { return &x }
