package bkm

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Diagnostics describe a problem's kernel matrices as the solvers see them. They are
// computed densely in float64 (O(n³)): meant for small and moderate sizes.
type Diagnostics struct {
	N, M int
	// Asymmetry is ‖K − Kᵀ‖_F / ‖K‖_F (meaningful when T = S; NaN unless N = M).
	Asymmetry float64
	// SymEigMin and SymEigMax bound the spectrum of the symmetric part (K + Kᵀ)/2, and
	// NegativeEigs counts its eigenvalues below −1e-5·max|λ|: a Mercer kernel on
	// T = S has none, the asymmetric attention kernel usually has many (NaN and 0
	// unless N = M).
	SymEigMin, SymEigMax float64
	NegativeEigs         int
	// KSingMin and KSingMax are K's extreme singular values.
	KSingMin, KSingMax float64
	// Eigenvalue ranges of the base Grams G_S and G_T (indefinite if the minimum is
	// below −1e-5·max).
	GSEigMin, GSEigMax float64
	GTEigMin, GTEigMax float64
	// Condition numbers of the P1 normal equations for the given λ: KᵀK + λ G_S
	// (RKBS norm; +Inf if singular) and KᵀK + λ I (Tikhonov).
	CondP1RKBS, CondP1Tikhonov float64
}

func (d *Diagnostics) String() string {
	return fmt.Sprintf("n=%d m=%d: asymmetry %.3g; sym part eig [%.3g, %.3g] (%d negative); K singular values [%.3g, %.3g]; G_S eig [%.3g, %.3g]; G_T eig [%.3g, %.3g]; cond P1 rkbs %.3g, tikhonov %.3g",
		d.N, d.M, d.Asymmetry, d.SymEigMin, d.SymEigMax, d.NegativeEigs, d.KSingMin, d.KSingMax,
		d.GSEigMin, d.GSEigMax, d.GTEigMin, d.GTEigMax, d.CondP1RKBS, d.CondP1Tikhonov)
}

// Diagnose computes the Diagnostics of a problem (responses are not needed) for the
// regularization λ > 0.
func Diagnose(p *Problem, lambda float64) (*Diagnostics, error) {
	d, err := p.validate()
	if err != nil {
		return nil, err
	}
	if err := checkLambda(lambda); err != nil {
		return nil, err
	}
	sp, err := newSpace(p, d, 0)
	if err != nil {
		return nil, err
	}
	n, m := p.N, p.M
	kd := sp.cross().Dense()
	K := mat.NewDense(n, m, kd)
	out := &Diagnostics{N: n, M: m, Asymmetry: math.NaN(), SymEigMin: math.NaN(), SymEigMax: math.NaN()}
	if n == m {
		var num, den float64
		for i := range n {
			for j := range n {
				a := kd[i*n+j] - kd[j*n+i]
				num += a * a
				den += kd[i*n+j] * kd[i*n+j]
			}
		}
		out.Asymmetry = math.Sqrt(num / den)
		var es mat.EigenSym
		if !es.Factorize(denseSym(n, kd), false) {
			return nil, errEigen
		}
		v := es.Values(nil)
		out.SymEigMin, out.SymEigMax = v[0], v[n-1]
		scale := math.Max(math.Abs(v[0]), math.Abs(v[n-1]))
		for _, e := range v {
			if e < -psdTol*scale {
				out.NegativeEigs++
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(K, mat.SVDNone) {
		return nil, fmt.Errorf("bkm: SVD of K did not converge")
	}
	sv := svd.Values(nil)
	out.KSingMax, out.KSingMin = sv[0], sv[len(sv)-1]
	gs := denseSym(m, sp.gramS().Dense())
	if out.GSEigMin, out.GSEigMax, err = eigRange(gs); err != nil {
		return nil, err
	}
	if out.GTEigMin, out.GTEigMax, err = eigRange(denseSym(n, sp.gramT().Dense())); err != nil {
		return nil, err
	}
	A := mat.NewSymDense(m, nil)
	A.SymOuterK(1, K.T())
	var R mat.SymDense
	R.AddSym(A, scaledSym(lambda, gs))
	lo, hi, err := eigRange(&R)
	if err != nil {
		return nil, err
	}
	out.CondP1RKBS = cond(lo, hi)
	for j := range m {
		A.SetSym(j, j, A.At(j, j)+lambda)
	}
	if lo, hi, err = eigRange(A); err != nil {
		return nil, err
	}
	out.CondP1Tikhonov = cond(lo, hi)
	return out, nil
}

func cond(lo, hi float64) float64 {
	if lo <= 0 {
		return math.Inf(1)
	}
	return hi / lo
}

func scaledSym(a float64, g *mat.SymDense) *mat.SymDense {
	var s mat.SymDense
	s.ScaleSym(a, g)
	return &s
}
