package bkm

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// symmetricProblem is T = S, W_Q = W_K = identity: κ is a symmetric Mercer kernel.
func symmetricProblem(seed uint64, kern Kernel, n, d, p int, scale float64) *Problem {
	rng := newRNG(seed)
	x := randMat(rng, n, d, scale)
	return &Problem{T: x, N: n, DT: d, S: x, M: n, DS: d, Kernel: kern,
		Y: randMat(rng, n, p, 1), P: p, R: randMat(rng, n, n, 1)}
}

func TestP1EqualsKRR(t *testing.T) {
	for _, tc := range []struct {
		name string
		k    Kernel
	}{{"edp", EDPTmp(0.25)}, {"rbf", RBFTmp(0.25)}} {
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
	}{{"edp", EDPTmp(0.25)}, {"rbf", RBFTmp(0.25)}} {
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
