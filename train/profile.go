package train

import (
	"time"

	"github.com/kernelmachines/bkm/simd"
)

// The step profile: with Model.Profile on, Forward, Backward and Trainer.Step add the
// time of each section to Model.Prof and the time of each GEMM to Model.Gemms under its
// shape, for bench's BenchmarkTrainProfile. The clock is wall time unless
// Model.ProfClock gives another (the process's CPU time keeps a profile meaningful on a
// machine shared with other jobs). Off, it costs one branch per section. The step's two
// halves (halves.go) run at once at 2 threads: each is timed on its own goroutine (with
// a CPU-time ProfClock, its own thread's CPU time) and their times are added, so a
// section's time is the CPU (or wall) time both halves spent in it. Prof[ProfHalves]
// stays 0 (its time is in those sections); ProfSection is not called inside the halves
// but once after them with ProfHalves, so a profiler that reads its own clocks there
// charges the halves' whole wall and CPU time (and the idle time of the half that
// finished first) to it.

// Profile sections of one training step (forward+backward, clipping, AdamW).
const (
	ProfEmbedding = iota
	ProfLayerNorm
	ProfQKV // Q/K/V projections (GEMMs and their bias)
	ProfAttention
	ProfAttnOut // output projection
	ProfFFN     // both FFN GEMMs
	ProfActivation
	ProfLogits // output projection to the vocabulary
	ProfLoss
	ProfDropout  // masks drawn and applied, forward and backward
	ProfResidual // residual sums and their gradient copies
	ProfZeroGrad
	ProfHalves   // the step's halves (forward and backward) as a whole: see below
	ProfGradSum  // the step's halves' gradients added (with the gradient norm's squares)
	ProfGradNorm // the global gradient norm (its finiteness check)
	ProfKeepGood // the copy of parameters and moments kept for divergence
	ProfAdamW    // with the gradient clipping in the same pass
	profSections
)

// ProfNames labels the profile sections.
var ProfNames = [profSections]string{"embedding", "layernorm", "qkv-proj", "attention", "attn-out-proj", "ffn-gemm",
	"activation", "logits-gemm", "loss", "dropout", "residual", "zero-grad", "halves", "grad-sum", "grad-norm", "keep-good", "adamw"}

// GemmProfile is the time the profiled steps spent in the GEMMs of one shape.
type GemmProfile struct {
	Section        int // the Prof section whose time includes these calls
	TransA, TransB bool
	M, N, K        int
	Calls          int
	Time           time.Duration
}

// Flops is the floating-point operations of one call, 2·M·N·K.
func (g *GemmProfile) Flops() float64 { return 2 * float64(g.M) * float64(g.N) * float64(g.K) }

func (m *Model) tick(sec int, t0 time.Duration) time.Duration {
	if !m.Profile {
		return t0
	}
	now := m.now()
	m.Prof[sec] += now - t0
	if m.ProfSection != nil {
		m.ProfSection(sec)
	}
	return now
}

// now reads the profile's clock: ProfClock, or the wall clock when it is nil.
func (m *Model) now() time.Duration {
	switch {
	case !m.Profile:
		return 0
	case m.ProfClock != nil:
		return m.ProfClock()
	}
	return time.Duration(time.Now().UnixNano())
}

// gemmSite runs the GEMMs of one profile section; with a nil or non-profiling model it
// is plain simd.Sgemm (the decoder and tests use the zero gemmSite).
type gemmSite struct {
	m   *Model
	sec int
}

func (m *Model) gemms(sec int) gemmSite { return gemmSite{m, sec} }

// sgemm is simd.Sgemm with alpha = 1, timed under its shape when profiling.
func (s gemmSite) sgemm(tA, tB bool, M, N, K int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if s.m == nil {
		simd.Sgemm(tA, tB, M, N, K, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	t0 := s.m.now()
	if th := s.m.par.split.threads; th > 0 {
		simd.SgemmThreads(th, tA, tB, M, N, K, 1, a, lda, b, ldb, beta, c, ldc)
	} else {
		simd.Sgemm(tA, tB, M, N, K, 1, a, lda, b, ldb, beta, c, ldc)
	}
	if !s.m.Profile {
		return
	}
	s.m.addGemm(GemmProfile{Section: s.sec, TransA: tA, TransB: tB, M: M, N: N, K: K, Calls: 1, Time: s.m.now() - t0})
}

// addGemm adds p's calls and time to the entry of Gemms with p's section and shape.
func (m *Model) addGemm(p GemmProfile) {
	for i := range m.Gemms {
		g := &m.Gemms[i]
		if g.Section == p.Section && g.TransA == p.TransA && g.TransB == p.TransB && g.M == p.M && g.N == p.N && g.K == p.K {
			g.Calls += p.Calls
			g.Time += p.Time
			return
		}
	}
	m.Gemms = append(m.Gemms, p)
}

// ResetProfile clears Prof and Gemms.
func (m *Model) ResetProfile() {
	m.Prof = [profSections]time.Duration{}
	m.Gemms = m.Gemms[:0]
}
