package bkm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// randMat returns an r×c matrix of N(0, scale²) entries.
func randMat(rng *rand.Rand, r, c int, scale float64) []float32 {
	x := make([]float32, r*c)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

// relErr is ‖got − want‖ / ‖want‖.
func relErr(got, want []float64) float64 {
	var num, den float64
	for i := range want {
		d := got[i] - want[i]
		num += d * d
		den += want[i] * want[i]
	}
	return math.Sqrt(num / den)
}

// denseK materializes a problem's K, G_S, G_T (float64) through the same kernel blocks
// the solvers use.
func denseGrams(t *testing.T, p *Problem) (K, GS, GT []float64) {
	t.Helper()
	d, err := p.validate()
	require.NoError(t, err)
	sp, err := newSpace(p, d, 1)
	require.NoError(t, err)
	return sp.cross().Dense(), sp.gramS().Dense(), sp.gramT().Dense()
}

// solveDense solves the square system A x = b (float64, gonum LU).
func solveDense(t *testing.T, n int, a []float64, b []float64, nrhs int) []float64 {
	t.Helper()
	var x mat.Dense
	require.NoError(t, x.Solve(mat.NewDense(n, n, a), mat.NewDense(n, nrhs, b)))
	return x.RawMatrix().Data
}

func matMul(a []float64, r, k int, b []float64, c int) []float64 {
	var out mat.Dense
	out.Mul(mat.NewDense(r, k, a), mat.NewDense(k, c, b))
	return out.RawMatrix().Data
}

func kron(a []float64, ar, ac int, b []float64, br, bc int) []float64 {
	out := make([]float64, ar*br*ac*bc)
	cols := ac * bc
	for i := range ar {
		for j := range ac {
			for k := range br {
				for l := range bc {
					out[(i*br+k)*cols+j*bc+l] = a[i*ac+j] * b[k*bc+l]
				}
			}
		}
	}
	return out
}
