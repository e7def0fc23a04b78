package bkm

import (
	"math"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// bilinearLogits returns Z = γ (W_Q t_i)ᵀ(W_K s_j) for random projections of rank r:
// the attention logits of one head with head dimension r.
func bilinearLogits(seed uint64, n, m, dt, ds, r int) (t, s, z []float32) {
	rng := newRNG(seed)
	t, s = randMat(rng, n, dt, 1), randMat(rng, m, ds, 1)
	wq, wk := randMat(rng, r, dt, 1/math.Sqrt(float64(dt))), randMat(rng, r, ds, 1/math.Sqrt(float64(ds)))
	q, k := project(t, n, dt, wq, r), project(s, m, ds, wk, r)
	z = make([]float32, n*m)
	g := 1 / math.Sqrt(float64(r))
	for i := range n {
		for j := range m {
			var a float64
			for l := range r {
				a += float64(q[i*r+l]) * float64(k[j*r+l])
			}
			z[i*m+j] = float32(g * a)
		}
	}
	return t, s, z
}

// The distillation gradient (kernel Grad from attention, feature-map backward here)
// matches central finite differences of the loss, for linear and MLP maps and for
// logit and value targets.
func TestDistillGradientFiniteDifferences(t *testing.T) {
	const n, m, dt, ds, d = 5, 4, 3, 4, 2
	for _, tc := range []struct {
		kern   Kernel
		hidden int
		target DistillTarget
	}{
		{attention.EDP(), 0, FitLogit}, {attention.RBF(), 3, FitLogit}, {attention.EDP(), 3, FitValue}, {attention.Poly(2, 1), 0, FitValue},
	} {
		tt, ss, z := bilinearLogits(41, n, m, dt, ds, 2)
		rng := newRand(42)
		fq, fk := newFeatureMap(rng, dt, tc.hidden, d), newFeatureMap(rng, ds, tc.hidden, d)
		for _, f := range []*FeatureMap{fq, fk} {
			for _, p := range f.params() {
				for i := range p {
					p[i] += 0.1 * rng.NormFloat64() // nonzero biases, no ReLU exactly at 0
				}
			}
		}
		dz := newDistiller(tc.kern, 0.6, tc.target, fq, fk, f64(tt), n, dt, f64(ss), m, ds, z)
		_, err := dz.loss(true)
		require.NoError(t, err)
		for side, f := range []*FeatureMap{fq, fk} {
			grads := dz.gq
			if side == 1 {
				grads = dz.gk
			}
			for pi, p := range f.params() {
				for i := range p {
					old := p[i]
					const h = 1e-6
					p[i] = old + h
					lp, _ := dz.loss(false)
					p[i] = old - h
					lm, _ := dz.loss(false)
					p[i] = old
					fd := (lp - lm) / (2 * h)
					require.InDelta(t, fd, grads[pi][i], 1e-6+1e-5*math.Abs(fd), "%s hidden=%d side=%d param %d[%d]", tc.kern.Name(), tc.hidden, side, pi, i)
				}
			}
		}
	}
}

// Fitting the logits of a rank-6 bilinear attention head: the fit error falls with
// the feature width and is small once D reaches the target's rank.
func TestDistillErrorFallsWithWidth(t *testing.T) {
	tt, ss, z := bilinearLogits(43, 40, 36, 10, 8, 6)
	pts, err := DistillSweep(tt, 40, 10, ss, 36, 8, z, DistillOptions{Kernel: attention.EDP(), Steps: 1500, LR: 0.03, Seed: 1}, []int{1, 2, 4, 6, 8})
	require.NoError(t, err)
	for _, p := range pts {
		t.Logf("D = %d: relative fit error %.4f", p.D, p.RelErr)
	}
	require.Greater(t, pts[0].RelErr, 0.3)
	for i := 1; i < len(pts); i++ {
		require.LessOrEqual(t, pts[i].RelErr, pts[i-1].RelErr+0.01)
	}
	require.Less(t, pts[3].RelErr, 0.02)
	require.Less(t, pts[4].RelErr, 0.02)

	// MLP feature maps fit the same logits too.
	r, err := Distill(tt, 40, 10, ss, 36, 8, z, DistillOptions{Kernel: attention.EDP(), D: 8, Hidden: 32, Steps: 1500, LR: 0.01, Seed: 2})
	require.NoError(t, err)
	t.Logf("MLP D = 8, hidden 32: relative fit error %.4f", r.RelErr)
	require.Less(t, r.RelErr, 0.1)
}

// A learned linear map plugs into a Problem: its kernel matrix reproduces the fit.
func TestDistilledMapsInProblem(t *testing.T) {
	tt, ss, z := bilinearLogits(44, 20, 15, 6, 5, 3)
	r, err := Distill(tt, 20, 6, ss, 15, 5, z, DistillOptions{Kernel: attention.EDP(), D: 3, Steps: 800, LR: 0.03})
	require.NoError(t, err)
	p := &Problem{T: tt, N: 20, DT: 6, S: ss, M: 15, DS: 5, Kernel: attention.EDP(), Gamma: r.Gamma,
		WQ: r.Q.Linear(), WK: r.K.Linear(), D: 3}
	op, err := NewOperator(p, 1)
	require.NoError(t, err)
	K := op.Dense()
	logK := make([]float64, len(K))
	for i, v := range K {
		logK[i] = math.Log(v)
	}
	require.InDelta(t, r.RelErr, relErr(logK, f64(z)), 1e-4)
	_, err = Distill(tt, 20, 6, ss, 15, 5, z[:3], DistillOptions{Kernel: attention.EDP(), D: 3})
	require.ErrorIs(t, err, ErrShape)
}
