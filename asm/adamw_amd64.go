//go:build !purego

package asm

// AdamWAVX512 is AdamWGeneric on AVX-512F, 16 elements per step with a masked tail:
// the same operations in the same order (separate multiplies and adds, no FMA; VSQRTPS
// is the correctly rounded float32 square root, which float32(math.Sqrt(float64(x)))
// also is), so p, m, v and g are AdamWGeneric's bit for bit. The returned watch sums
// the lanes in another order: 0 exactly when AdamWGeneric's is 0. Reference loop:
//
//	for i := range p {
//		gi := g[i] * a.GradScale
//		g[i] = gi
//		mi := a.Beta1*m[i] + a.OneMinusB1*gi
//		vi := a.Beta2*v[i] + a.OneMinusB2*gi*gi
//		m[i], v[i] = mi, vi
//		denom := float32(math.Sqrt(float64(vi)))*a.RBC2 + a.Eps
//		pi := p[i]*a.Shrink - a.StepSize*mi/denom
//		p[i] = pi
//		watch += (pi - pi) + (mi - mi) + (vi - vi)
//	}
//
//go:noescape
func AdamWAVX512(p, g, m, v []float32, a *AdamWArgs) float32
