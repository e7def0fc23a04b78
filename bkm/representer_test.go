package bkm

import (
	"fmt"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// For finite-dimensional kernels the P1 problem can be solved in feature space,
// min_w ‖Φ_T w − Y‖² + λ‖w‖² with Φ_T = φ(W_Q t_i); when the source features span the
// feature space (m ≥ F), the representer-form solution w = Σ_j c_j φ(W_K s_j) reaches
// the same optimum, so the predictions on held-out targets must agree.
func TestRepresenterFiniteKernels(t *testing.T) {
	const dt, ds, d, n, np, nh = 5, 4, 3, 60, 2, 20
	for _, tc := range []struct {
		kern attention.Kernel
		m    int
	}{
		// F = C(5, 2) = 10 features for poly2 and taylor2 at d = 3, 12 for favor12.
		// m > F source points, so G_S is singular (rank F) and is whitened on its range.
		{attention.Poly(2, 1), 25},
		{attention.Poly(2, 1), 40},
		{attention.Taylor(2), 30},
		{attention.Taylor(2), 45},
		{attention.Favor(12, d, 3), 30},
		{attention.Favor(12, d, 3), 50},
	} {
		name := fmt.Sprintf("%s/m%d", tc.kern.Name(), tc.m)
		t.Run(name, func(t *testing.T) {
			p := asymProblem(11, tc.kern, n, tc.m, dt, ds, d, np)
			p.Gamma = 1
			lam := 0.5
			md, rep, err := SolveP1Dense(p, Options{Lambda: lam, Regularizer: RegRKBS})
			require.NoError(t, err)
			t.Logf("%v", rep)

			F := tc.kern.FeatureDim(d)
			require.LessOrEqual(t, F, tc.m)
			phi := func(x []float32, rows, din int, w []float32) *mat.Dense {
				q := project(x, rows, din, w, d)
				f := make([]float32, rows*F)
				tc.kern.FeatureMap(p.Gamma, rows, d, q, d, f, F)
				return mat.NewDense(rows, F, f64(f))
			}
			PhiT := phi(p.T, n, dt, p.WQ)
			// w = (Φ_TᵀΦ_T + λI)⁻¹ Φ_Tᵀ Y
			var A mat.SymDense
			A.SymOuterK(1, PhiT.T())
			for i := range F {
				A.SetSym(i, i, A.At(i, i)+lam)
			}
			var B, W mat.Dense
			B.Mul(PhiT.T(), mat.NewDense(n, np, f64(p.Y)))
			var ch mat.Cholesky
			require.True(t, ch.Factorize(&A))
			require.NoError(t, ch.SolveTo(&W, &B))

			th := randMat(newRNG(12), nh, dt, 1)
			var want mat.Dense
			want.Mul(phi(th, nh, dt, p.WQ), &W)
			got, err := md.Predict(th, nh)
			require.NoError(t, err)
			e := relErr(got, want.RawMatrix().Data)
			t.Logf("%s: held-out prediction rel err %.3g", name, e)
			require.Less(t, e, 1e-4)
		})
	}
}
