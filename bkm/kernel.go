package bkm

import (
	"strings"

	"github.com/kernelmachines/bkm/attention"
)

// Kernel is a base kernel k0(q, k) on projected points: the scalar methods of
// attention.Kernel (attention.ScalarKernel), so every kernel of attention's zoo (attention.EDP,
// RBF, Laplace, ExpInt, Intersection, Poly, Taylor, Linear, Favor, ByName) is a Kernel.
// Zoo kernels are evaluated in blocks by attention.CrossGram (a logits GEMM and the
// kernel's elementwise map) or, for linear and favor, by a GEMM of their feature maps;
// any other implementation (e.g. an indefinite kernel) is evaluated pair by pair
// through Value and is meant for small problems.
type Kernel interface {
	attention.ScalarKernel
}

// adapt turns a Kernel and its scale γ into bkm's block evaluator.
func adapt(k Kernel, gamma float32, d int) (blockKernel, error) {
	if k == nil {
		return nil, errKernelNil
	}
	if z, ok := k.(attention.Kernel); ok {
		name := z.Name()
		if f := z.FeatureDim(d); f >= 0 && (strings.HasPrefix(name, "linear") || strings.HasPrefix(name, "favor")) {
			return &featureBlock{k: z, gamma: gamma, f: f}, nil
		}
		return &zooBlock{k: z, gamma: gamma}, nil
	}
	return &pairBlock{k: k, gamma: float64(gamma)}, nil
}

// zooBlock evaluates blocks with attention.CrossGram on the projected points.
type zooBlock struct {
	pointsAsGiven
	k     attention.Kernel
	gamma float32
}

// pointsAsGiven is the prepare step of the blocks that evaluate the points themselves.
type pointsAsGiven struct{}

func (pointsAsGiven) prepare(x []float32, n, d int) *pointSet {
	return &pointSet{n: n, d: d, x: x}
}

func (b *zooBlock) name() string { return b.k.Name() }
func (b *zooBlock) block(dst []float32, ldd int, a *pointSet, i0, i1 int, c *pointSet, j0, j1 int) {
	d := a.d
	attention.CrossGram(b.k, b.gamma, i1-i0, j1-j0, d, a.x[i0*d:i1*d], d, c.x[j0*d:j1*d], d, dst, ldd)
}

// featureBlock evaluates finite-feature kernels (linear, favor) as ⟨φ(q), φ(k)⟩: the
// feature map is applied once per point set, each block is one GEMM.
type featureBlock struct {
	k     attention.Kernel
	gamma float32
	f     int
}

func (b *featureBlock) name() string { return b.k.Name() }
func (b *featureBlock) prepare(x []float32, n, d int) *pointSet {
	phi := make([]float32, n*b.f)
	if n > 0 {
		b.k.FeatureMap(b.gamma, n, d, x, d, phi, b.f)
	}
	return &pointSet{n: n, d: b.f, x: phi}
}
func (b *featureBlock) block(dst []float32, ldd int, a *pointSet, i0, i1 int, c *pointSet, j0, j1 int) {
	gemmLogits(dst, ldd, 1, a, i0, i1, c, j0, j1)
}

// pairBlock evaluates any Kernel pair by pair through its float64 Value.
type pairBlock struct {
	pointsAsGiven
	k     Kernel
	gamma float64
}

func (b *pairBlock) name() string { return b.k.Name() }
func (b *pairBlock) block(dst []float32, ldd int, a *pointSet, i0, i1 int, c *pointSet, j0, j1 int) {
	d := a.d
	var qb, kb [64]float64
	q, k := qb[:0], kb[:0]
	if d > len(qb) {
		q, k = make([]float64, d), make([]float64, d)
	}
	q, k = q[:d], k[:d]
	for i := i0; i < i1; i++ {
		for l, v := range a.row(i) {
			q[l] = float64(v)
		}
		for j := j0; j < j1; j++ {
			for l, v := range c.row(j) {
				k[l] = float64(v)
			}
			dst[(i-i0)*ldd+j-j0] = float32(b.k.Value(b.gamma, q, k))
		}
	}
}
