package bkm

import (
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// plantedP1 returns a problem whose responses come from F*(t) = Σ_j c*_j κ*(t, s_j)
// with the asymmetric kernel κ* of asymProblem, plus held-out targets and F* there.
func plantedP1(seed uint64, n, m, dt, ds int) (p *Problem, th []float32, nh int, fh []float64) {
	const d = 4
	p = asymProblem(seed, attention.EDP(), n, m, dt, ds, d, 1)
	p.Gamma = 0.7
	rng := newRNG(seed + 100)
	c := f64(randMat(rng, m, 1, 1))
	sp, err := newSpace(p, d, 1)
	if err != nil {
		panic(err)
	}
	y := make([]float64, n)
	sp.cross().Mul(y, c, 1)
	for i := range y {
		p.Y[i] = float32(y[i])
	}
	nh = 50
	th = randMat(rng, nh, dt, 1)
	fh = make([]float64, nh)
	newOperator(sp.k, sp.prepT(th, nh), sp.sk, 1).Mul(fh, c, 1)
	return p, th, nh, fh
}

func TestPlantedP1Recovery(t *testing.T) {
	p, th, nh, fh := plantedP1(21, 80, 30, 6, 5)
	for _, solve := range []func(*Problem, Options) (*P1Model, Report, error){SolveP1Dense, SolveP1CG} {
		md, rep, err := solve(p, Options{Lambda: 1e-4, Tol: 1e-7, MaxIter: 3000})
		require.NoError(t, err)
		got, err := md.Predict(th, nh)
		require.NoError(t, err)
		e := relErr(got, fh)
		t.Logf("%v: held-out rel err %.3g", rep, e)
		require.Less(t, e, 1e-2)
	}
}

// Data generated with W_Q ≠ W_K: the asymmetric kernel with those projections fits
// held-out targets far better than its symmetric counterpart W_Q = W_K.
func TestAsymmetricBeatsSymmetric(t *testing.T) {
	p, th, nh, fh := plantedP1(22, 80, 30, 6, 6) // one domain, W_Q ≠ W_K
	mdA, _, err := SolveP1Dense(p, Options{Lambda: 1e-3})
	require.NoError(t, err)
	gotA, err := mdA.Predict(th, nh)
	require.NoError(t, err)
	errA := relErr(gotA, fh)

	best := 1e300
	// Symmetric counterparts: one shared projection, either of the two, or their mean.
	mean := make([]float32, len(p.WQ))
	for i := range mean {
		mean[i] = (p.WQ[i] + p.WK[i]) / 2
	}
	for _, w := range [][]float32{p.WQ, p.WK, mean} {
		q := *p
		q.WQ, q.WK = w, w
		md, _, err := SolveP1Dense(&q, Options{Lambda: 1e-3})
		require.NoError(t, err)
		got, err := md.Predict(th, nh)
		require.NoError(t, err)
		best = min(best, relErr(got, fh))
	}
	t.Logf("held-out rel err: asymmetric %.3g, best symmetric %.3g", errA, best)
	require.Less(t, errA, 0.1*best)
}

// Planted binary responses H* = K* A* K* on the training pairs and h* on new pairs:
// the full-mask solution recovers h* on held-out pairs; a masked solve (70% of the
// pairs observed) predicts the unobserved training pairs and the held-out pairs.
func TestPlantedP2Recovery(t *testing.T) {
	const n, m, dt, ds, d = 24, 24, 6, 5, 4
	p := asymProblem(23, attention.EDP(), n, m, dt, ds, d, 1)
	p.Gamma = 0.3
	rng := newRNG(230)
	a := f64(randMat(rng, m, n, 1))
	sp, err := newSpace(p, d, 1)
	require.NoError(t, err)
	truth := &P2Model{sp: sp, A: a, n: n, m: m}
	h, err := truth.Predict(p.T, n, p.S, m)
	require.NoError(t, err)
	for i := range h {
		p.R[i] = float32(h[i])
	}
	const nh = 15
	th, sh := randMat(rng, nh, dt, 1), randMat(rng, nh, ds, 1)
	hh, err := truth.Predict(th, nh, sh, nh)
	require.NoError(t, err)

	md, rep, err := SolveP2Dense(p, Options{Lambda: 1e-6})
	require.NoError(t, err)
	got, err := md.Predict(th, nh, sh, nh)
	require.NoError(t, err)
	e := relErr(got, hh)
	t.Logf("full mask %v: held-out pairs rel err %.3g", rep, e)
	require.Less(t, e, 1e-2)

	q := *p
	q.Mask = make([]bool, n*m)
	for i := range q.Mask {
		q.Mask[i] = rng.Float64() < 0.7
	}
	mdM, repM, err := SolveP2CG(&q, Options{Lambda: 1e-3, Tol: 1e-5, MaxIter: 3000})
	require.NoError(t, err, "%v", repM)
	train, err := mdM.Predict(p.T, n, p.S, m)
	require.NoError(t, err)
	var unobsGot, unobsWant []float64
	for i, b := range q.Mask {
		if !b {
			unobsGot, unobsWant = append(unobsGot, train[i]), append(unobsWant, h[i])
		}
	}
	eu := relErr(unobsGot, unobsWant)
	got, err = mdM.Predict(th, nh, sh, nh)
	require.NoError(t, err)
	eh := relErr(got, hh)
	t.Logf("70%% mask %v: unobserved training pairs rel err %.3g, held-out pairs rel err %.3g", repM, eu, eh)
	require.Less(t, eu, 0.05)
	require.Less(t, eh, 0.05)
}

// A mask that observes every pair gives the full-mask closed form.
func TestMaskedFullMaskEqualsClosedForm(t *testing.T) {
	p := asymProblem(24, attention.RBF(), 16, 12, 6, 5, 4, 1)
	p.Mask = make([]bool, p.N*p.M)
	for i := range p.Mask {
		p.Mask[i] = true
	}
	for _, reg := range []Regularizer{RegRKBS, RegTikhonov} {
		o := Options{Lambda: 1, Regularizer: reg, Tol: 1e-6, MaxIter: 3000}
		dm, _, err := SolveP2Dense(p, o)
		require.NoError(t, err)
		cm, rep, err := SolveP2CG(p, o)
		require.NoError(t, err)
		h1, err := dm.Predict(p.T, p.N, p.S, p.M)
		require.NoError(t, err)
		h2, err := cm.Predict(p.T, p.N, p.S, p.M)
		require.NoError(t, err)
		e := relErr(h2, h1)
		t.Logf("%v: %v; training-pair predictions rel diff %.3g, coefficients %.3g", reg, rep, e, relErr(cm.A, dm.A))
		require.Less(t, e, 1e-5)
	}
}
