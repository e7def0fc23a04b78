package bkm

import (
	"math"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// symmetricProblem is T = S, W_Q = W_K = identity: κ is a symmetric Mercer kernel.
func symmetricProblem(seed uint64, kern Kernel, n, d, p int, scale float64) *Problem {
	rng := newRNG(seed)
	x := randMat(rng, n, d, scale)
	return &Problem{T: x, N: n, DT: d, S: x, M: n, DS: d, Kernel: kern, Gamma: 0.25,
		Y: randMat(rng, n, p, 1), P: p, R: randMat(rng, n, n, 1)}
}

func TestP1EqualsKRR(t *testing.T) {
	for _, tc := range []struct {
		name string
		k    Kernel
	}{{"edp", attention.EDP()}, {"rbf", attention.RBF()}} {
		t.Run(tc.name, func(t *testing.T) {
			const n, d, np = 24, 16, 3
			p := symmetricProblem(1, tc.k, n, d, np, 1)
			lam := 0.1
			md, rep, err := SolveP1Dense(p, Options{Lambda: lam})
			require.NoError(t, err)
			require.Equal(t, RegRKBS, rep.Regularizer, rep.Reason)
			require.Equal(t, "dense-cholesky", rep.Method)
			K, _, _ := denseGrams(t, p)
			a := append([]float64(nil), K...)
			for i := range n {
				a[i*n+i] += lam
			}
			want := solveDense(t, n, a, f64(p.Y), np)
			e := relErr(md.C, want)
			t.Logf("%s: rel err vs KRR %.3g; %v", tc.name, e, rep)
			require.Less(t, e, 1e-6)
		})
	}
}

func TestP2EqualsKronRLS(t *testing.T) {
	for _, tc := range []struct {
		name string
		k    Kernel
	}{{"edp", attention.EDP()}, {"rbf", attention.RBF()}} {
		t.Run(tc.name, func(t *testing.T) {
			const n, d = 12, 16
			p := symmetricProblem(2, tc.k, n, d, 1, 1)
			lam := 0.05
			md, rep, err := SolveP2Dense(p, Options{Lambda: lam})
			require.NoError(t, err)
			require.Equal(t, RegRKBS, rep.Regularizer, rep.Reason)
			K, GS, GT := denseGrams(t, p)
			// Kronecker KRR: (K ⊗ K + λI) vec(A) = vec(R).
			kk := kron(K, n, n, K, n, n)
			for i := range n * n {
				kk[i*n*n+i] += lam
			}
			want := solveDense(t, n*n, kk, f64(p.R), 1)
			e := relErr(md.A, want)
			t.Logf("%s: rel err vs KronRLS %.3g; %v", tc.name, e, rep)
			require.Less(t, e, 1e-6)
			// The vectorized general system (P ⊗ Qᵀ + λ G_S ⊗ G_Tᵀ) vec(A) = vec(Kᵀ R Kᵀ).
			Kt := transpose(K, n, n)
			P := matMul(Kt, n, n, K, n)
			Q := matMul(K, n, n, Kt, n)
			sys := kron(P, n, n, transpose(Q, n, n), n, n)
			g := kron(GS, n, n, transpose(GT, n, n), n, n)
			for i := range sys {
				sys[i] += lam * g[i]
			}
			rhs := matMul(matMul(Kt, n, n, f64(p.R), n), n, n, Kt, n)
			want2 := solveDense(t, n*n, sys, rhs, 1)
			e2 := relErr(md.A, want2)
			t.Logf("%s: rel err vs vectorized system %.3g", tc.name, e2)
			require.Less(t, e2, 1e-6)
		})
	}
}

// asymProblem has different T and S domains (different dimensions) and W_Q ≠ W_K.
func asymProblem(seed uint64, kern Kernel, n, m, dt, ds, d, p int) *Problem {
	rng := newRNG(seed)
	return &Problem{
		T: randMat(rng, n, dt, 1), N: n, DT: dt,
		S: randMat(rng, m, ds, 1), M: m, DS: ds,
		Kernel: kern, D: d, Gamma: 0.5,
		WQ: randMat(rng, d, dt, 1/math.Sqrt(float64(dt))), WK: randMat(rng, d, ds, 1/math.Sqrt(float64(ds))),
		Y: randMat(rng, n, p, 1), P: p, R: randMat(rng, n, m, 1),
	}
}

func TestP1DenseMatchesNormalEquations(t *testing.T) {
	const n, m, np = 30, 20, 2
	p := asymProblem(3, attention.EDP(), n, m, 5, 7, 4, np)
	lam := 0.3
	for _, reg := range []Regularizer{RegRKBS, RegTikhonov} {
		md, rep, err := SolveP1Dense(p, Options{Lambda: lam, Regularizer: reg})
		require.NoError(t, err)
		require.Equal(t, reg, rep.Regularizer)
		K, GS, _ := denseGrams(t, p)
		Kt := transpose(K, n, m)
		a := matMul(Kt, m, n, K, m)
		for i := range m {
			for j := range m {
				g := GS[i*m+j]
				if reg == RegTikhonov {
					g = 0
					if i == j {
						g = 1
					}
				}
				a[i*m+j] += lam * g
			}
		}
		want := solveDense(t, m, a, matMul(Kt, m, n, f64(p.Y), np), np)
		require.Less(t, relErr(md.C, want), 1e-8, "%v", reg)
	}
}

func TestDenseAndCGAgree(t *testing.T) {
	const n, m, np = 40, 30, 2
	p := asymProblem(4, attention.RBF(), n, m, 10, 9, 8, np)
	rng := newRNG(40)
	const nh = 15
	th, sh := randMat(rng, nh, p.DT, 1), randMat(rng, nh, p.DS, 1)
	for _, reg := range []Regularizer{RegRKBS, RegTikhonov} {
		for _, pre := range []bool{false, true} {
			o := Options{Lambda: 0.5, Regularizer: reg, Tol: 1e-6, MaxIter: 2000, Precondition: pre}
			d1, drep, err := SolveP1Dense(p, o)
			require.NoError(t, err)
			t.Logf("dense: %v", drep)
			c1, rep, err := SolveP1CG(p, o)
			require.NoError(t, err, "%v", rep)
			require.True(t, rep.Converged)
			f1, err := d1.Predict(th, nh)
			require.NoError(t, err)
			f2, err := c1.Predict(th, nh)
			require.NoError(t, err)
			e := relErr(f2, f1)
			t.Logf("P1 %v precond=%v: %v; coefficient rel diff %.3g, held-out prediction rel diff %.3g", reg, pre, rep, relErr(c1.C, d1.C), e)
			require.Less(t, e, 1e-5)

			o.Lambda = 2
			d2, _, err := SolveP2Dense(p, o)
			require.NoError(t, err)
			c2, rep2, err := SolveP2CG(p, o)
			require.NoError(t, err, "%v", rep2)
			h1, err := d2.Predict(th, nh, sh, nh)
			require.NoError(t, err)
			h2, err := c2.Predict(th, nh, sh, nh)
			require.NoError(t, err)
			e2 := relErr(h2, h1)
			t.Logf("P2 %v precond=%v: %v; coefficient rel diff %.3g, held-out prediction rel diff %.3g", reg, pre, rep2, relErr(c2.A, d2.A), e2)
			require.Less(t, e2, 1e-4)
		}
	}
}
