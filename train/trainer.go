package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// Trainer owns a model, its optimizer and the step counters. One Step is one optimizer
// update over Optim.Accumulate micro-batches.
type Trainer struct {
	Cfg   Config
	Model *Model
	Opt   *AdamW
	// Steps counts updates, Micro micro-batches (it numbers the dropout streams).
	Steps int
	Micro uint64

	good     goodState     // the last state whose loss was finite, for Step to fall back to
	normPart []float64     // the gradient norm's chunk sums
	dp       *dataParallel // set by Distribute
	halves   halves        // the step's two halves (alone, not distributed)
}

// goodState is a copy of everything an update changes — parameters, AdamW moments and
// counters — taken at the start of the last step whose loss and gradients were finite.
// Step restores it when the update it saved before turns out bad (the next loss is not
// finite, or the update itself overflows), so that the model in memory, and anything
// saved from it, is always the last one known good.
type goodState struct {
	valid        bool
	params, opt  []float32
	adamT, steps int
	micro        uint64
}

// StepStats reports one update.
type StepStats struct {
	Loss     float64 // mean label-smoothed loss per target token over the micro-batches
	Tokens   int     // target tokens
	GradNorm float64 // before clipping
	LR       float32
}

// ErrDiverged is wrapped by the errors of a Step that met a NaN or infinite loss,
// gradient norm, parameter or moment (errors.Is(err, ErrDiverged)).
var ErrDiverged = errors.New("training diverged")

// DivergedError says how a step diverged and which state the trainer went back to.
type DivergedError struct {
	Step    int    // the update (1-based) that met the non-finite value
	What    string // e.g. "loss is NaN"
	Restore int    // the updates done in the state the trainer holds now
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("%s at step %d", e.What, e.Step)
}

// Is makes errors.Is(err, ErrDiverged) true.
func (e *DivergedError) Is(target error) bool { return target == ErrDiverged }

// NewTrainer validates cfg, sets the simd thread count and builds the model (initialized
// from cfg.Seed) and its optimizer.
func NewTrainer(cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	simd.SetThreads(cfg.Threads)
	m, err := NewModel(cfg.Model, cfg.Seed)
	if err != nil {
		return nil, err
	}
	m.DropoutSeed = cfg.Seed
	return &Trainer{Cfg: cfg, Model: m, Opt: NewAdamW(cfg.Optim, m.Tensors, len(m.Params))}, nil
}

// Step runs forward and backward on each micro-batch, accumulating gradients so that the
// update follows the mean loss over all their target tokens, then clips and applies AdamW.
//
// Divergence is an error wrapping ErrDiverged (a *DivergedError), and the trainer is
// left in the last state known good, ready to save: a NaN or infinite loss or gradient
// norm means the previous update made the parameters bad, so they go back to what they
// were before it (the last state whose loss was finite); an update that makes a
// parameter or moment NaN or infinite is undone. Keeping that state costs a copy of the
// parameters and moments per step (12 bytes per parameter, allocated at the first step).
func (t *Trainer) Step(micro ...*Batch) (StepStats, error) {
	if len(micro) == 0 {
		panic("train: Step: no batches")
	}
	m := t.Model
	total := 0
	for _, b := range micro {
		total += b.Targets(m.Cfg.Pad)
	}
	if total == 0 {
		return StepStats{}, fmt.Errorf("step %d: the batch has no target tokens", t.Steps+1)
	}
	microStart := t.Micro
	if t.dp != nil {
		t.dp.begin()
		defer t.dp.end()
	} else {
		t.reservePending()
	}
	t0 := m.now()
	m.ZeroGrad()
	t.halves.zeroGrad()
	m.tick(ProfZeroGrad, t0)
	m.Training = true
	var sum float64
	for i, b := range micro {
		m.DropoutStep = t.Micro
		if t.dp != nil { // this rank's rows only
			b = t.dp.shardOf(m, b, t.Micro, i == len(micro)-1)
		}
		if b != nil && t.halving(b) {
			sum += t.halves.step(m, b, t.Micro, 1/float32(total))
		} else if b != nil {
			s, _ := m.Forward(b)
			m.Backward(1 / float32(total))
			sum += s
		}
		t.Micro++
	}
	m.Training = false
	if len(t.normPart) < normChunks(len(m.Grads)) {
		t.normPart = make([]float64, normChunks(len(m.Grads)))
	}
	// In a data-parallel group each rank updates its share [lo, hi) of the parameters
	// (ZeRO-1): it sums the squares of its share of the gradient, and the ranks add
	// them with the losses.
	lo, hi := t.updateRange()
	var sq float64
	if t.dp != nil {
		var err error
		if sum, sq, err = t.dp.reduce(m, sum, total, t.normPart); err != nil {
			return StepStats{}, fmt.Errorf("step %d: %w", t.Steps+1, err)
		}
	}
	loss := sum / float64(total)
	step := t.Steps + 1
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return StepStats{Loss: loss, Tokens: total}, t.diverged(step, microStart, fmt.Sprintf("loss is %v", loss), true)
	}
	t0 = m.now()
	if t.dp == nil { // the halves' gradients added, and the squares of the sum
		sq = t.halves.sumSquares(m, t.normPart)
		t0 = m.tick(ProfGradSum, t0)
	}
	norm := math.Sqrt(sq)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return StepStats{Loss: loss, Tokens: total, GradNorm: norm}, t.diverged(step, microStart, fmt.Sprintf("gradient norm is %v", norm), true)
	}
	t0 = m.tick(ProfGradNorm, t0)
	// The parameters gave a finite loss and gradients: they are the new last good state,
	// copied by AdamW's pass before it updates them.
	t.keepGood(microStart)
	t0 = m.tick(ProfKeepGood, t0)
	// Clipping (ClipGradNorm with the norm above) rides in AdamW's pass too.
	lr := t.Cfg.Schedule.LR(t.Steps, t.Cfg.Optim.LR)
	g := &t.good
	finite := t.Opt.UpdateRangeKeep(m.Params, m.Grads, lr, ClipCoefficient(norm, t.Cfg.Optim.ClipNorm), g.params, g.opt, lo, hi)
	m.tick(ProfAdamW, t0)
	if t.dp != nil { // every rank learns whether any shard overflowed, then takes the others' shards
		err := t.dp.allFinite(&finite)
		if err == nil && finite {
			err = t.dp.gather(m.Params)
		}
		if err != nil {
			return StepStats{}, fmt.Errorf("step %d: %w", step, err)
		}
	}
	if !finite {
		st := StepStats{Loss: loss, Tokens: total, GradNorm: norm, LR: lr}
		return st, t.diverged(step, microStart, fmt.Sprintf("the update (learning rate %g) made a parameter or moment NaN or infinite", lr), false)
	}
	t.Steps++
	return StepStats{Loss: loss, Tokens: total, GradNorm: norm, LR: lr}, nil
}

// keepGood makes t.good the current state: it keeps the counters (micro as it was at
// the start of the step) and sizes the copies of the parameters and moments, which the
// AdamW update that follows fills (UpdateScaledKeep) before it changes them.
func (t *Trainer) keepGood(micro uint64) {
	g := &t.good
	if len(g.params) != len(t.Model.Params) {
		g.params = make([]float32, len(t.Model.Params))
		g.opt = make([]float32, len(t.Opt.State))
	}
	g.adamT, g.steps, g.micro, g.valid = t.Opt.T, t.Steps, micro, true
}

// diverged restores the last good state and returns the step's error. After a bad
// loss or gradient (badParams) the current parameters are the bad ones, so the good
// state is used up; after a bad update it stays, since it is what the trainer now holds.
// With no good state (the first step, or right after a restore) the parameters are
// untouched and only the micro-batch counter goes back to the step's start.
func (t *Trainer) diverged(step int, microStart uint64, what string, badParams bool) error {
	g := &t.good
	switch {
	case g.valid:
		// Only this rank's range was kept and updated (all of it alone); after a bad
		// update the rest is as before it, after a bad loss the ranks gather the rest.
		lo, hi := t.updateRange()
		n := len(t.Opt.M)
		copy(t.Model.Params[lo:hi], g.params[lo:hi])
		copy(t.Opt.M[lo:hi], g.opt[lo:hi])
		copy(t.Opt.V[lo:hi], g.opt[n+lo:n+hi])
		t.Opt.T, t.Steps, t.Micro = g.adamT, g.steps, g.micro
		g.valid = !badParams
		if badParams && t.dp != nil {
			if err := t.dp.gather(t.Model.Params); err != nil {
				return fmt.Errorf("step %d: %s: restoring the parameters of step %d: %w", step, what, t.Steps, err)
			}
		}
	case !badParams:
		panic("train: Step: an update ran without a saved good state")
	default:
		t.Micro = microStart
	}
	return &DivergedError{Step: step, What: what, Restore: t.Steps}
}

// Revert goes back to the last good state, the one before the last update, for a
// caller that finds the current state bad where Step could not see it (a NaN or
// infinite validation loss after finite training losses), and returns the
// DivergedError of that finding (what: e.g. "validation loss is NaN"). Without a good
// state to go back to (no update since the start or the last restore), or in a
// data-parallel group (each rank keeps its own range of the state, and one rank alone
// validates), it changes nothing and returns an error wrapping ErrDiverged.
func (t *Trainer) Revert(what string) error {
	if !t.good.valid || t.dp != nil {
		return fmt.Errorf("%w: %s after step %d, with no earlier state to go back to", ErrDiverged, what, t.Steps)
	}
	return t.diverged(t.Steps, t.Micro, what, true)
}

// Eval returns the mean negative log-likelihood per target token over the batches
// (label smoothing and dropout off) and its perplexity.
func (t *Trainer) Eval(batches []*Batch) (loss, ppl float64) {
	return Evaluate(t.Model, batches)
}

// ErrNonFinite is wrapped by the errors of the checks that a model's outputs are
// finite (FiniteLoss, Decoder.Err, Translate, Generate): a model whose parameters give
// NaN or infinite values, typically saved from a diverged run by an older version.
var ErrNonFinite = errors.New("the model produces non-finite values")

// FiniteLoss returns nil for a finite loss (from Eval or Evaluate) and else an error
// wrapping ErrNonFinite, so that an evaluation never reports a NaN loss as a result.
func FiniteLoss(loss float64) error {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("%w: the loss is %v (did its training diverge?)", ErrNonFinite, loss)
	}
	return nil
}

// Evaluate is Trainer.Eval for a bare model.
func Evaluate(m *Model, batches []*Batch) (loss, ppl float64) {
	ls := m.Cfg.LabelSmoothing
	m.Cfg.LabelSmoothing = 0
	m.Training = false
	var sum float64
	var count int
	for _, b := range batches {
		s, c := m.Forward(b)
		sum += s
		count += c
	}
	m.Cfg.LabelSmoothing = ls
	if count == 0 {
		return math.NaN(), math.NaN()
	}
	loss = sum / float64(count)
	return loss, perplexity(loss)
}
