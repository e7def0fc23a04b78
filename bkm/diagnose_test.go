package bkm

import (
	"math"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

func TestDiagnose(t *testing.T) {
	const n, dt, d = 40, 8, 4
	rng := newRNG(51)
	x := randMat(rng, n, dt, 1)
	wq, wk := randMat(rng, d, dt, 1/math.Sqrt(dt)), randMat(rng, d, dt, 1/math.Sqrt(dt))

	// T = S, W_Q = W_K: symmetric, positive definite.
	sym := &Problem{T: x, N: n, DT: dt, S: x, M: n, DS: dt, Kernel: attention.EDP(), WQ: wq, WK: wq, D: d}
	ds, err := Diagnose(sym, 0.1)
	require.NoError(t, err)
	t.Logf("W_Q = W_K: %v", ds)
	require.Less(t, ds.Asymmetry, 1e-6)
	require.Zero(t, ds.NegativeEigs)
	require.Greater(t, ds.SymEigMin, 0.0)
	require.InDelta(t, ds.KSingMax, ds.SymEigMax, 1e-6*ds.SymEigMax) // symmetric PSD: σ = λ
	require.Greater(t, ds.CondP1RKBS, 1.0)

	// W_Q ≠ W_K: the same kernel family is asymmetric and its symmetric part indefinite.
	asym := *sym
	asym.WK = wk
	da, err := Diagnose(&asym, 0.1)
	require.NoError(t, err)
	t.Logf("W_Q ≠ W_K: %v", da)
	require.Greater(t, da.Asymmetry, 0.05)
	require.Greater(t, da.NegativeEigs, 0)
	require.Less(t, da.SymEigMin, 0.0)
	// The base Grams stay PSD: the kernel k0 is Mercer, the asymmetry lives in W_Q, W_K.
	require.GreaterOrEqual(t, da.GSEigMin, -1e-5*da.GSEigMax)
	require.GreaterOrEqual(t, da.GTEigMin, -1e-5*da.GTEigMax)
	// Tikhonov's conditioning is bounded by (σ_max² + λ)/λ.
	require.LessOrEqual(t, da.CondP1Tikhonov, (da.KSingMax*da.KSingMax+0.1)/0.1*(1+1e-9))

	_, err = Diagnose(sym, 0)
	require.ErrorIs(t, err, ErrLambda)
}
