package bkm

import "math"

// Temporary kernels until package attention's zoo lands; replaced by adapters.

type edpTmp struct{ gamma float32 }

func (k edpTmp) name() string { return "edp" }
func (k edpTmp) prepare(x []float32, n, d int) *pointSet {
	return &pointSet{n: n, d: d, x: x}
}
func (k edpTmp) block(dst []float32, ldd int, a *pointSet, i0, i1 int, b *pointSet, j0, j1 int, scratch []float32) {
	gemmLogits(dst, ldd, k.gamma, a, i0, i1, b, j0, j1)
	expBlock(dst, ldd, i1-i0, j1-j0)
}
func (k edpTmp) blockScratch(int) int   { return 0 }
func (k edpTmp) positiveDefinite() bool { return true }
func (k edpTmp) finiteDim(int) int      { return -1 }

type rbfTmp struct{ gamma float32 }

func (k rbfTmp) name() string { return "rbf" }
func (k rbfTmp) prepare(x []float32, n, d int) *pointSet {
	aux := make([]float32, n)
	for i := range n {
		var s float64
		for _, v := range x[i*d : i*d+d] {
			s += float64(v) * float64(v)
		}
		aux[i] = float32(-0.5 * float64(k.gamma) * s)
	}
	return &pointSet{n: n, d: d, x: x, aux: aux}
}
func (k rbfTmp) block(dst []float32, ldd int, a *pointSet, i0, i1 int, b *pointSet, j0, j1 int, scratch []float32) {
	gemmLogits(dst, ldd, k.gamma, a, i0, i1, b, j0, j1)
	addAux(dst, ldd, a, i0, i1, b, j0, j1)
	expBlock(dst, ldd, i1-i0, j1-j0)
}
func (k rbfTmp) blockScratch(int) int   { return 0 }
func (k rbfTmp) positiveDefinite() bool { return true }
func (k rbfTmp) finiteDim(int) int      { return -1 }

var _ = math.Exp
