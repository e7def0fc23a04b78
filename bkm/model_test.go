package bkm

import (
	"math"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// A model rebuilt from a fitted model's coefficients predicts exactly what the fitted
// model does, at points it was not fitted on, for F, G (responses on S) and P2, dense
// and CG.
func TestNewModelFromCoefficients(t *testing.T) {
	const nh = 7
	for _, tc := range []struct {
		name   string
		kern   Kernel
		onS    bool
		solver string
	}{
		{"F-edp-dense", attention.EDP(), false, "dense"},
		{"F-rbf-cg", attention.RBF(), false, "cg"},
		{"G-edp-dense", attention.EDP(), true, "dense"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := asymProblem(80, tc.kern, 12, 10, 5, 4, 3, 2)
			if tc.onS {
				p.Y, p.Z = nil, randMat(newRNG(81), p.M, p.P, 1)
			}
			o := Options{Lambda: 0.2, Tol: 1e-8, MaxIter: 1000}
			fit, _, err := SolveP1Dense(p, o)
			if tc.solver == "cg" {
				fit, _, err = SolveP1CG(p, o)
			}
			require.NoError(t, err)
			md, err := NewP1Model(p, fit.Coefficients(), 1)
			require.NoError(t, err)
			require.Equal(t, tc.onS, md.OnSource())
			require.Equal(t, fit.Coefficients(), md.Coefficients())
			dim := p.DT
			if tc.onS {
				dim = p.DS
			}
			x := randMat(newRNG(82), nh, dim, 1)
			want, err := fit.Predict(x, nh)
			require.NoError(t, err)
			got, err := md.Predict(x, nh)
			require.NoError(t, err)
			require.Equal(t, want, got)
			wantN, err := fit.PredictNormalized(x, nh)
			require.NoError(t, err)
			gotN, err := md.PredictNormalized(x, nh)
			require.NoError(t, err)
			require.Equal(t, wantN, gotN)
		})
	}
	for _, solver := range []string{"dense", "cg"} {
		t.Run("P2-"+solver, func(t *testing.T) {
			p := asymProblem(83, attention.EDP(), 9, 11, 4, 5, 3, 1)
			o := Options{Lambda: 0.5, Tol: 1e-4, MaxIter: 2000}
			fit, _, err := SolveP2Dense(p, o)
			if solver == "cg" {
				fit, _, err = SolveP2CG(p, o)
			}
			require.NoError(t, err)
			md, err := NewP2Model(p, fit.Coefficients(), 0)
			require.NoError(t, err)
			th, sh := randMat(newRNG(84), nh, p.DT, 1), randMat(newRNG(85), 6, p.DS, 1)
			want, err := fit.Predict(th, nh, sh, 6)
			require.NoError(t, err)
			got, err := md.Predict(th, nh, sh, 6)
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

// The rebuilt model owns its coefficients: changing the caller's slice afterwards
// does not change its predictions.
func TestNewModelCopiesCoefficients(t *testing.T) {
	p := asymProblem(86, attention.EDP(), 10, 8, 4, 4, 4, 1)
	fit, _, err := SolveP1Dense(p, Options{Lambda: 0.1})
	require.NoError(t, err)
	c := append([]float64(nil), fit.Coefficients()...)
	md, err := NewP1Model(p, c, 1)
	require.NoError(t, err)
	clear(c)
	x := randMat(newRNG(87), 3, p.DT, 1)
	want, err := fit.Predict(x, 3)
	require.NoError(t, err)
	got, err := md.Predict(x, 3)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestNewModelBadCoefficients(t *testing.T) {
	p := asymProblem(88, attention.EDP(), 10, 8, 4, 4, 4, 2) // n = 10, m = 8, P = 2
	good := make([]float64, 8*2)

	_, err := NewP1Model(p, good[:15], 1)
	require.ErrorIs(t, err, ErrShape)
	require.EqualError(t, err, "bkm: shape mismatch: coefficients have 15 values, want M·P = 8·2 = 16")
	_, err = NewP1Model(p, nil, 1)
	require.ErrorIs(t, err, ErrShape)

	bad := append([]float64(nil), good...)
	bad[5] = math.NaN()
	_, err = NewP1Model(p, bad, 1)
	require.ErrorIs(t, err, ErrNonFinite)
	require.ErrorContains(t, err, "coefficients[2, 1] = NaN")
	bad[5] = math.Inf(-1)
	_, err = NewP1Model(p, bad, 1)
	require.ErrorIs(t, err, ErrNonFinite)

	// G (responses on S): coefficients live on the T points, n×P.
	g := *p
	g.Y, g.Z = nil, randMat(newRNG(89), 8, 2, 1)
	_, err = NewP1Model(&g, good, 1)
	require.EqualError(t, err, "bkm: shape mismatch: coefficients have 16 values, want N·P = 10·2 = 20")
	_, err = NewP1Model(&g, make([]float64, 20), 1)
	require.NoError(t, err)

	// The problem is validated as the solvers validate it.
	q := *p
	q.T = q.T[:len(q.T)-1]
	_, err = NewP1Model(&q, good, 1)
	require.ErrorIs(t, err, ErrShape)
	require.ErrorContains(t, err, "T has 39 values")

	// P2: A is m×n.
	_, err = NewP2Model(p, make([]float64, 8*10), 1)
	require.NoError(t, err)
	_, err = NewP2Model(p, make([]float64, 79), 1)
	require.EqualError(t, err, "bkm: shape mismatch: coefficients have 79 values, want M·N = 8·10 = 80")
	a := make([]float64, 80)
	a[79] = math.Inf(1)
	_, err = NewP2Model(p, a, 1)
	require.ErrorIs(t, err, ErrNonFinite)
	require.ErrorContains(t, err, "coefficients[7, 9] = +Inf")
	q = *p
	q.R = nil
	_, err = NewP2Model(&q, make([]float64, 80), 1)
	require.ErrorIs(t, err, ErrShape)
	require.ErrorContains(t, err, "R has 0 values")
}
