package train

import (
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
}

// StepStats reports one update.
type StepStats struct {
	Loss     float64 // mean label-smoothed loss per target token over the micro-batches
	Tokens   int     // target tokens
	GradNorm float64 // before clipping
	LR       float32
}

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
// A NaN or infinite loss or gradient norm is an error returned before the parameters and
// the optimizer state are touched: the model is still the last good one (save it).
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
		return StepStats{}, fmt.Errorf("step %d: the batch has no target tokens", t.Steps)
	}
	t0 := m.now()
	m.ZeroGrad()
	m.tick(ProfOptimizer, t0)
	m.Training = true
	var sum float64
	for _, b := range micro {
		m.DropoutStep = t.Micro
		s, _ := m.Forward(b)
		m.Backward(1 / float32(total))
		sum += s
		t.Micro++
	}
	m.Training = false
	loss := sum / float64(total)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return StepStats{Loss: loss, Tokens: total}, fmt.Errorf("step %d: loss is %v", t.Steps, loss)
	}
	t0 = m.now()
	if n := GradNorm(m.Grads); math.IsNaN(n) || math.IsInf(n, 0) {
		return StepStats{Loss: loss, Tokens: total, GradNorm: n}, fmt.Errorf("step %d: gradient norm is %v", t.Steps, n)
	}
	norm := ClipGradNorm(m.Grads, t.Cfg.Optim.ClipNorm)
	lr := t.Cfg.Schedule.LR(t.Steps, t.Cfg.Optim.LR)
	t.Opt.Update(m.Params, m.Grads, lr)
	m.tick(ProfOptimizer, t0)
	t.Steps++
	return StepStats{Loss: loss, Tokens: total, GradNorm: norm, LR: lr}, nil
}

// Eval returns the mean negative log-likelihood per target token over the batches
// (label smoothing and dropout off) and its perplexity.
func (t *Trainer) Eval(batches []*Batch) (loss, ppl float64) {
	return Evaluate(t.Model, batches)
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
