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

// solverKernels are the kernels the solver equivalence tests run with.
var solverKernels = []struct {
	name string
	k    Kernel
}{{"edp", attention.EDP()}, {"rbf", attention.RBF()}}

func TestP1EqualsKRR(t *testing.T) {
	for _, tc := range solverKernels {
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
	for _, tc := range solverKernels {
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

// F̄ is attention with values C: PredictNormalized (attention.Forward) equals the
// ratio of the two representer sums, for F on T and for G on S; with large logits
// the ratio overflows and attention's log-space normalization does not.
func TestPredictNormalizedIsAttention(t *testing.T) {
	for _, kern := range []attention.Kernel{attention.EDP(), attention.RBF(), attention.Poly(2, 1), attention.Favor(16, 4, 1)} {
		p := asymProblem(61, kern, 30, 20, 6, 5, 4, 5) // p = 5 > D = 4: two value chunks
		md, _, err := SolveP1Dense(p, Options{Lambda: 0.5})
		require.NoError(t, err)
		th := randMat(newRNG(62), 7, 6, 1)
		got, err := md.PredictNormalized(th, 7)
		require.NoError(t, err)
		want, _, err := md.predict(th, 7, true)
		require.NoError(t, err)
		require.Less(t, relErr(got, want), 1e-5, kern.Name())

		// G(s) on S: responses Z at the sources.
		q := *p
		q.Y, q.Z = nil, randMat(newRNG(63), p.M, 5, 1)
		mg, _, err := SolveP1Dense(&q, Options{Lambda: 0.5})
		require.NoError(t, err)
		require.True(t, mg.OnSource())
		require.Len(t, mg.C, p.N*5)
		sh := randMat(newRNG(64), 6, 5, 1)
		got, err = mg.PredictNormalized(sh, 6)
		require.NoError(t, err)
		want, _, err = mg.predict(sh, 6, true)
		require.NoError(t, err)
		require.Less(t, relErr(got, want), 1e-5, kern.Name())
	}
	// Large logits: exp overflows float32 in the ratio path, not in attention.
	p := asymProblem(65, attention.EDP(), 30, 20, 6, 5, 4, 1)
	p.Gamma = 40
	_, _, err := SolveP1Dense(p, Options{Lambda: 0.5})
	require.ErrorIs(t, err, ErrNonFinite) // K overflows float32: said, not solved
	sp, err := newSpace(p, 4, 1)
	require.NoError(t, err)
	md := &P1Model{sp: sp, C: f64(randMat(newRNG(66), 20, 1, 1)), P: 1}
	th := randMat(newRNG(67), 7, 6, 3)
	got, err := md.PredictNormalized(th, 7)
	require.NoError(t, err)
	cmax := 0.0
	for _, c := range md.C {
		cmax = math.Max(cmax, math.Abs(c))
	}
	for _, v := range got {
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
		require.LessOrEqual(t, math.Abs(v), cmax*(1+1e-5)) // a convex combination of the c_j
	}
}

// The mirror problem on S: G(s) = Σ_i e_i κ(t_i, s) fitted to responses at the
// sources equals P1 on the transposed kernel matrix.
func TestP1OnSource(t *testing.T) {
	p := asymProblem(68, attention.EDP(), 12, 18, 6, 5, 4, 2)
	p.Y, p.Z = nil, randMat(newRNG(69), 18, 2, 1)
	md, rep, err := SolveP1Dense(p, Options{Lambda: 0.3})
	require.NoError(t, err)
	K, _, GT := denseGrams(t, p)
	n, m := p.N, p.M
	// (K Kᵀ + λ G_T) E = K Z
	a := matMul(K, n, m, transpose(K, n, m), n)
	for i := range a {
		a[i] += 0.3 * GT[i]
	}
	want := solveDense(t, n, a, matMul(K, n, m, f64(p.Z), 2), 2)
	require.Less(t, relErr(md.C, want), 1e-6, "%v", rep)
	cg, rep2, err := SolveP1CG(p, Options{Lambda: 0.3, Tol: 1e-7, MaxIter: 2000})
	require.NoError(t, err)
	sh := randMat(newRNG(70), 9, 5, 1)
	g1, err := md.Predict(sh, 9)
	require.NoError(t, err)
	g2, err := cg.Predict(sh, 9)
	require.NoError(t, err)
	require.Less(t, relErr(g2, g1), 1e-4, "%v", rep2)
}
