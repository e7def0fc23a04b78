package train

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/kernelmachines/bkm/simd"
)

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter), update for update
// what torch.optim.AdamW computes:
//
//	p ← p·(1 − lr·λ)                    (only tensors with Decay)
//	m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
//	p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)
//
// Its two moments live in one arena (State = [m | v]).
type AdamW struct {
	Cfg   OptimConfig
	State []float32 // [2·N]: first moments then second moments
	M, V  []float32 // views of State
	T     int       // updates applied
	decay []bool    // per tensor
	spans [][2]int  // per tensor: offset, size
	job   adamJob
	split rowSplit
}

// NewAdamW makes the optimizer state for a model's parameter arena.
func NewAdamW(cfg OptimConfig, tensors []Tensor, n int) *AdamW {
	o := &AdamW{Cfg: cfg, State: make([]float32, 2*n)}
	o.M, o.V = o.State[:n:n], o.State[n:]
	for _, t := range tensors {
		o.decay = append(o.decay, t.Decay)
		o.spans = append(o.spans, [2]int{t.Offset, t.Size})
	}
	return o
}

// Update applies one AdamW step with learning rate lr (elementwise, in parallel over
// chunks of the arena: the result does not depend on the thread count). It reports
// whether every parameter and moment it wrote is finite; a false result means the step
// overflowed (too large a learning rate) and the arena holds NaN or ±Inf: the caller
// restores a copy (Trainer.Step does).
func (o *AdamW) Update(params, grads []float32, lr float32) (finite bool) {
	return o.UpdateScaled(params, grads, lr, 1)
}

// UpdateScaled is Update after grads ← gradScale·grads (gradient clipping: see
// ClipCoefficient), in the same pass over the arena; grads holds the scaled gradients
// afterwards, as if scaled first. The result is Update's bit for bit.
func (o *AdamW) UpdateScaled(params, grads []float32, lr, gradScale float32) (finite bool) {
	return o.UpdateScaledKeep(params, grads, lr, gradScale, nil, nil)
}

// UpdateScaledKeep is UpdateScaled that first copies the parameters and the state it
// is about to update into keepParams and keepState (nil: no copy), piece by piece in the
// same pass, so the update reads them from cache instead of memory: a copy of the state
// before the step (Trainer.Step keeps it to fall back to) without a pass of its own.
func (o *AdamW) UpdateScaledKeep(params, grads []float32, lr, gradScale float32, keepParams, keepState []float32) (finite bool) {
	return o.UpdateRangeKeep(params, grads, lr, gradScale, keepParams, keepState, 0, len(params))
}

// UpdateRangeKeep is UpdateScaledKeep on the elements [lo, hi) of the arena only: the
// parameters, moments and copies outside it are left as they are, and finite speaks
// for the range. T advances as in a whole update. A rank of a data-parallel group
// updates its shard of the parameters with it (ZeRO-1, Trainer.Distribute); each
// element's update is the whole update's bit for bit.
func (o *AdamW) UpdateRangeKeep(params, grads []float32, lr, gradScale float32, keepParams, keepState []float32, lo, hi int) (finite bool) {
	if lo < 0 || hi < lo || hi > len(params) {
		panic(fmt.Sprintf("train: AdamW: range [%d, %d) outside the %d parameters", lo, hi, len(params)))
	}
	if len(params) != len(o.M) || len(grads) != len(o.M) {
		panic(fmt.Sprintf("train: AdamW: len(params) = %d, len(grads) = %d, state for %d", len(params), len(grads), len(o.M)))
	}
	if keepParams != nil && (len(keepParams) != len(params) || len(keepState) != len(o.State)) {
		panic(fmt.Sprintf("train: AdamW: len(keepParams) = %d, len(keepState) = %d, want %d and %d", len(keepParams), len(keepState), len(params), len(o.State)))
	}
	o.T++
	b1, b2 := float64(o.Cfg.Beta1), float64(o.Cfg.Beta2)
	bc1 := 1 - math.Pow(b1, float64(o.T))
	bc2 := 1 - math.Pow(b2, float64(o.T))
	o.job = adamJob{o: o, p: params, g: grads, keepP: keepParams, keepS: keepState}
	c := o.Cfg
	o.job.keep = simd.AdamWArgs{GradScale: gradScale, Beta1: c.Beta1, OneMinusB1: 1 - c.Beta1, Beta2: c.Beta2, OneMinusB2: 1 - c.Beta2,
		Eps: c.Eps, RBC2: float32(1 / math.Sqrt(bc2)), Shrink: 1, StepSize: float32(float64(lr) / bc1)}
	o.job.decay = o.job.keep
	o.job.decay.Shrink = 1 - lr*c.WeightDecay
	o.job.off = lo
	o.split.run(&o.job, hi-lo, 8*(hi-lo))
	o.job.keepP, o.job.keepS = nil, nil
	return !o.job.nonFinite.Load()
}

// adamKeepPiece is how many elements UpdateScaledKeep copies and then updates at a
// time: the pieces of p, g, m and v (64 KiB) stay in L2 between the copy and the update.
const adamKeepPiece = 1 << 14

// adamJob updates the elements [lo, hi) of the arena.
type adamJob struct {
	o           *AdamW
	p, g        []float32
	keepP       []float32      // nil, or where the parameters are copied before the update
	keepS       []float32      // where the state [m | v] is copied
	off         int            // the range updated starts here: run's [lo, hi) is relative to it
	keep, decay simd.AdamWArgs // for tensors without and with weight decay (the pointers the kernels get live here: no allocation)
	nonFinite   atomic.Bool    // some chunk wrote a NaN or ±Inf
}

func (j *adamJob) run(lo, hi int) {
	o := j.o
	lo, hi = lo+j.off, hi+j.off
	for ti, sp := range o.spans {
		a, b := max(lo, sp[0]), min(hi, sp[0]+sp[1])
		if a >= b {
			continue
		}
		args := &j.keep
		if o.decay[ti] {
			args = &j.decay
		}
		step := b - a
		if j.keepP != nil {
			step = adamKeepPiece
		}
		for ; a < b; a += step {
			e := min(b, a+step)
			if j.keepP != nil {
				n := len(o.M)
				copy(j.keepP[a:e], j.p[a:e])
				copy(j.keepS[a:e], o.M[a:e])
				copy(j.keepS[n+a:n+e], o.V[a:e])
			}
			// One pass: clipping's scale, both moments, the update and a finiteness watch.
			if !simd.AdamW(j.p[a:e], j.g[a:e], o.M[a:e], o.V[a:e], args) {
				j.nonFinite.Store(true)
			}
		}
	}
}

// GradNorm returns the global L2 norm of g, accumulated in float64: the sums of squares
// of normChunk-element chunks (sumSquares), added in order. Fixed chunks let the step
// compute the chunks in parallel (rowPar.gradNorm) with this result bit for bit.
func GradNorm(g []float32) float64 {
	var s float64
	for lo := 0; lo < len(g); lo += normChunk {
		s += sumSquares(g[lo:min(lo+normChunk, len(g))])
	}
	return math.Sqrt(s)
}

const normChunk = 1 << 14

func normChunks(n int) int { return (n + normChunk - 1) / normChunk }

// sumSquares returns Σ x[i]² in float64, element i going to partial sum i mod 4 so the
// adds do not wait on one another.
func sumSquares(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		x4 := x[i : i+4 : i+4]
		a, b, c, d := float64(x4[0]), float64(x4[1]), float64(x4[2]), float64(x4[3])
		s0, s1, s2, s3 = s0+a*a, s1+b*b, s2+c*c, s3+d*d
	}
	for ; i < len(x); i++ {
		v := float64(x[i])
		s0 += v * v
	}
	return (s0 + s1) + (s2 + s3)
}

// ClipGradNorm scales g so its global norm is at most maxNorm (as
// torch.nn.utils.clip_grad_norm_: coefficient maxNorm/(norm + 1e-6) when below 1) and
// returns the norm before clipping. maxNorm ≤ 0 only measures.
func ClipGradNorm(g []float32, maxNorm float32) float64 {
	norm := GradNorm(g)
	if cf := ClipCoefficient(norm, maxNorm); cf != 1 {
		for i := range g {
			g[i] *= cf
		}
	}
	return norm
}

// ClipCoefficient is the factor ClipGradNorm scales gradients of norm norm by: 1 when
// maxNorm ≤ 0 or the norm is within it.
func ClipCoefficient(norm float64, maxNorm float32) float32 {
	if maxNorm > 0 {
		if c := float64(maxNorm) / (norm + 1e-6); c < 1 {
			return float32(c)
		}
	}
	return 1
}

// LR returns the learning rate of update step (0-based) under s with peak lr:
//
//	warm-up (all kinds): InitLR + step·(lr − InitLR)/Warmup for step < Warmup
//	inverse_sqrt:        lr·√Warmup/√step afterwards (fairseq)
//	cosine:              MinLR + ½(lr − MinLR)(1 + cos(π·(step−Warmup)/(Steps−Warmup))), MinLR after Steps
//	constant:            lr
func (s ScheduleConfig) LR(step int, lr float32) float32 {
	if step < s.Warmup {
		return s.InitLR + float32(step)*(lr-s.InitLR)/float32(s.Warmup)
	}
	switch s.Kind {
	case "inverse_sqrt":
		return float32(float64(lr) * math.Sqrt(float64(max(s.Warmup, 1))) / math.Sqrt(float64(max(step, 1))))
	case "cosine":
		if step >= s.Steps {
			return s.MinLR
		}
		f := float64(step-s.Warmup) / float64(s.Steps-s.Warmup)
		return s.MinLR + float32(0.5*float64(lr-s.MinLR)*(1+math.Cos(math.Pi*f)))
	}
	return lr
}
