package bkm

import (
	"errors"
	"math"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// sigmoidKernel is tanh(γ qᵀk − 1): a classic kernel whose Grams are indefinite. It is
// not in attention's zoo, so bkm evaluates it pair by pair.
type sigmoidKernel struct{}

func (sigmoidKernel) Name() string         { return "sigmoid" }
func (sigmoidKernel) ExpFamily() bool      { return false }
func (sigmoidKernel) FeatureDim(d int) int { return -1 }
func (sigmoidKernel) Value(g float64, q, k []float64) float64 {
	var s float64
	for i := range q {
		s += q[i] * k[i]
	}
	return math.Tanh(g*s - 1)
}
func (k sigmoidKernel) Logit(g float64, q, kk []float64) float64 { return math.Log(k.Value(g, q, kk)) }
func (k sigmoidKernel) Grad(g float64, q, kk []float64, w float64, dq, dk []float64) {
	v := k.Value(g, q, kk)
	a := w * (1 - v*v) * g
	for i := range q {
		dq[i] += a * kk[i]
		dk[i] += a * q[i]
	}
}

func TestBadInputErrors(t *testing.T) {
	base := func() *Problem { return asymProblem(31, attention.EDP(), 12, 9, 4, 3, 3, 2) }
	ok := Options{Lambda: 0.1}
	cases := []struct {
		name   string
		mutate func(p *Problem, o *Options)
		want   error
		msg    string
	}{
		{"T length", func(p *Problem, o *Options) { p.T = p.T[:len(p.T)-1] }, ErrShape, "T has 47 values"},
		{"S dims", func(p *Problem, o *Options) { p.DS = 4 }, ErrShape, "S has 27 values"},
		{"W_Q length", func(p *Problem, o *Options) { p.WQ = p.WQ[:5] }, ErrShape, "W_Q has 5 values"},
		{"identity needs equal dims", func(p *Problem, o *Options) { p.WQ, p.WK, p.D = nil, nil, 0 }, ErrShape, "identity W_K needs DS = D"},
		{"Y length", func(p *Problem, o *Options) { p.Y = p.Y[:3] }, ErrShape, "Y has 3 values"},
		{"R length", func(p *Problem, o *Options) { p.R = p.R[:3] }, ErrShape, "R has 3 values"},
		{"mask length", func(p *Problem, o *Options) { p.Mask = make([]bool, 4) }, ErrShape, "Mask has 4 values"},
		{"empty mask", func(p *Problem, o *Options) { p.Mask = make([]bool, p.N*p.M) }, ErrEmptyMask, "observes no pair"},
		{"NaN in T", func(p *Problem, o *Options) { p.T[5] = float32(math.NaN()) }, ErrNonFinite, "T[1, 1] = NaN"},
		{"Inf in S", func(p *Problem, o *Options) { p.S[4] = float32(math.Inf(1)) }, ErrNonFinite, "S[1, 1] = +Inf"},
		{"Inf in W_K", func(p *Problem, o *Options) { p.WK[0] = float32(math.Inf(-1)) }, ErrNonFinite, "W_K[0, 0] = -Inf"},
		{"NaN in Y", func(p *Problem, o *Options) { p.Y[3] = float32(math.NaN()) }, ErrNonFinite, "Y[1, 1] = NaN"},
		{"NaN in R", func(p *Problem, o *Options) { p.R[10] = float32(math.NaN()) }, ErrNonFinite, "R[1, 1] = NaN"},
		{"λ = 0", func(p *Problem, o *Options) { o.Lambda = 0 }, ErrLambda, "λ = 0"},
		{"λ < 0", func(p *Problem, o *Options) { o.Lambda = -1 }, ErrLambda, "λ = -1"},
		{"λ NaN", func(p *Problem, o *Options) { o.Lambda = math.NaN() }, ErrLambda, "λ = NaN"},
		{"nil kernel", func(p *Problem, o *Options) { p.Kernel = nil }, ErrKernel, "Kernel is nil"},
		{"γ < 0", func(p *Problem, o *Options) { p.Gamma = -1 }, ErrGamma, "kernel scale γ must be finite and ≥ 0 (0 means 1/√D): Gamma = -1"},
		{"γ NaN", func(p *Problem, o *Options) { p.Gamma = float32(math.NaN()) }, ErrGamma, "Gamma = NaN"},
		// N·DT overflows to len(T) = 0: a shape error, not a panic further on.
		{"overflowing sizes", func(p *Problem, o *Options) { p.T, p.N, p.DT = nil, 1<<32, 1<<32 }, ErrShape, "T has 0 values"},
		{"too many threads", func(p *Problem, o *Options) { o.Threads = MaxThreads + 1 }, ErrLimit, "1025 threads, more than MaxThreads = 1024"},
		{"forced RKBS, indefinite Gram", func(p *Problem, o *Options) {
			p.Kernel, o.Regularizer = sigmoidKernel{}, RegRKBS
		}, ErrNotPD, "not positive definite"},
	}
	p1 := map[string]bool{"R length": false, "mask length": false, "empty mask": false, "NaN in R": false}
	p2 := map[string]bool{"Y length": false, "NaN in Y": false}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(err error, solver string) {
				t.Helper()
				require.Error(t, err, solver)
				require.True(t, errors.Is(err, tc.want), "%s: %v", solver, err)
				require.Contains(t, err.Error(), tc.msg, solver)
			}
			mutated := func() (*Problem, Options) {
				p, o := base(), ok
				tc.mutate(p, &o)
				return p, o
			}
			if _, skip := p1[tc.name]; !skip {
				requireRejected(t, map[string]func(*Problem, Options) (*P1Model, Report, error){"P1Dense": SolveP1Dense, "P1CG": SolveP1CG}, mutated, check)
			}
			if _, skip := p2[tc.name]; !skip {
				requireRejected(t, map[string]func(*Problem, Options) (*P2Model, Report, error){"P2Dense": SolveP2Dense, "P2CG": SolveP2CG}, mutated, check)
			}
		})
	}
}

// requireRejected runs every solver on its own problem from problem and requires no
// model and an error that check accepts.
func requireRejected[M any](t *testing.T, solvers map[string]func(*Problem, Options) (*M, Report, error),
	problem func() (*Problem, Options), check func(err error, solver string)) {
	t.Helper()
	for name, solve := range solvers {
		p, o := problem()
		md, _, err := solve(p, o)
		require.Nil(t, md, name)
		check(err, name)
	}
}

// Unobserved responses are never read: NaN there is fine.
func TestMaskedNaNIgnored(t *testing.T) {
	p := asymProblem(32, attention.RBF(), 10, 8, 4, 3, 3, 1)
	p.Mask = make([]bool, p.N*p.M)
	for i := range p.Mask {
		p.Mask[i] = i%3 != 0
		if !p.Mask[i] {
			p.R[i] = float32(math.NaN())
		}
	}
	md, rep, err := SolveP2CG(p, Options{Lambda: 0.5, Regularizer: RegTikhonov})
	require.NoError(t, err, "%v", rep)
	for _, v := range md.A {
		require.False(t, math.IsNaN(v))
	}
}

// With an indefinite base Gram, the automatic choice falls back to Tikhonov and says so.
func TestAutoTikhonovForIndefiniteGram(t *testing.T) {
	p := asymProblem(33, sigmoidKernel{}, 12, 9, 4, 3, 3, 1)
	_, rep, err := SolveP1Dense(p, Options{Lambda: 0.1})
	require.NoError(t, err)
	require.Equal(t, RegTikhonov, rep.Regularizer)
	require.Contains(t, rep.Reason, "not positive semidefinite")
	_, rep, err = SolveP1CG(p, Options{Lambda: 0.1})
	require.NoError(t, err)
	require.Equal(t, RegTikhonov, rep.Regularizer)
	require.Contains(t, rep.Reason, "not positive semidefinite")
	_, rep, err = SolveP2Dense(p, Options{Lambda: 0.1})
	require.NoError(t, err)
	require.Equal(t, RegTikhonov, rep.Regularizer)
	_, rep, err = SolveP2CG(p, Options{Lambda: 0.1})
	require.NoError(t, err)
	require.Equal(t, RegTikhonov, rep.Regularizer)
}

// Hitting the iteration cap returns the best iterate, a report saying so and an
// ErrNotConverged error.
func TestNonConvergenceReturnsBestIterate(t *testing.T) {
	p := asymProblem(34, attention.EDP(), 40, 30, 5, 4, 4, 1)
	md, rep, err := SolveP1CG(p, Options{Lambda: 1e-3, MaxIter: 3, Tol: 1e-12})
	require.ErrorIs(t, err, ErrNotConverged)
	require.Contains(t, err.Error(), "stopped after 3 iterations")
	require.Contains(t, err.Error(), "best iterate")
	require.NotNil(t, md)
	require.False(t, rep.Converged)
	require.Equal(t, 3, rep.Iterations)
	require.Less(t, rep.Residual, 1.0) // better than the zero start
	for _, v := range md.C {
		require.False(t, math.IsNaN(v))
	}
	md2, rep2, err := SolveP2CG(p, Options{Lambda: 1e-3, MaxIter: 2, Tol: 1e-12})
	require.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, md2)
	require.False(t, rep2.Converged)
	require.Less(t, rep2.Residual, 1.0)
}

func TestPredictBadInput(t *testing.T) {
	p := asymProblem(35, attention.EDP(), 12, 9, 4, 3, 3, 1)
	md, _, err := SolveP1Dense(p, Options{Lambda: 0.1})
	require.NoError(t, err)
	_, err = md.Predict(make([]float32, 7), 2)
	require.ErrorIs(t, err, ErrShape)
	bad := make([]float32, 8)
	bad[6] = float32(math.NaN())
	_, err = md.Predict(bad, 2)
	require.ErrorIs(t, err, ErrNonFinite)
	m2, _, err := SolveP2Dense(p, Options{Lambda: 0.1})
	require.NoError(t, err)
	_, err = m2.Predict(make([]float32, 8), 2, make([]float32, 5), 2)
	require.ErrorIs(t, err, ErrShape)
}

// A base Gram that is identically zero (intersection kernel, all projected sources
// negative) has no RKBS norm to whiten: an error, not a panic.
func TestZeroGram(t *testing.T) {
	p := asymProblem(36, attention.Intersection(), 8, 6, 3, 3, 3, 1)
	p.WQ, p.WK, p.D = nil, nil, 0
	for i := range p.S {
		p.S[i] = -1 - float32(i%3)
	}
	_, _, err := SolveP1Dense(p, Options{Lambda: 0.1})
	require.ErrorIs(t, err, ErrNotPD)
	require.Contains(t, err.Error(), "G_S is zero")
	_, rep, err := SolveP1Dense(p, Options{Lambda: 0.1, Regularizer: RegTikhonov})
	require.NoError(t, err, "%v", rep)
}

// The dense solvers refuse matrices beyond MaxDenseElements before allocating them,
// and so does P2 prediction; the CG solvers have no such matrix.
func TestDenseLimit(t *testing.T) {
	const m = 11586 // m² > MaxDenseElements
	rng := newRNG(40)
	wide := &Problem{T: randMat(rng, 2, 1, 1), N: 2, DT: 1, S: randMat(rng, m, 1, 1), M: m, DS: 1,
		Kernel: attention.EDP(), Y: []float32{1, 2}, P: 1}
	_, _, err := SolveP1Dense(wide, Options{Lambda: 0.1})
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "the dense solver (the CG solver forms no such matrix) would form a 11586×11586 matrix, more than MaxDenseElements = 134217728 values")
	wide.Y, wide.P, wide.R = nil, 0, make([]float32, 2*m)
	_, _, err = Fit(wide, FitOptions{Options: Options{Lambda: 0.1}})
	require.ErrorIs(t, err, ErrLimit)

	md, _, err := Fit(p2Problem(41, attention.EDP()), FitOptions{Options: Options{Lambda: 0.1}})
	require.NoError(t, err)
	_, err = md.P2.Predict(randMat(rng, m, 4, 1), m, randMat(rng, m, 5, 1), m)
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "P2Model.Predict would form a 11586×11586 matrix")

	_, err = NewP1Model(p1Problem(42, attention.EDP()), make([]float64, 22), MaxThreads+1)
	require.ErrorIs(t, err, ErrLimit)
}
