package asm

import "math"

// AdamWArgs are the scalars of one AdamW update of a span of the parameter arena (the
// kernels read them at these offsets: keep the field order).
type AdamWArgs struct {
	GradScale  float32 // gradient clipping's factor (1: none)
	Beta1      float32
	OneMinusB1 float32 // 1 − β₁
	Beta2      float32
	OneMinusB2 float32 // 1 − β₂
	Eps        float32
	RBC2       float32 // 1/√(1 − β₂ᵗ)
	Shrink     float32 // 1 − lr·λ (1 without weight decay)
	StepSize   float32 // lr/(1 − β₁ᵗ)
}

// AdamWGeneric applies one AdamW update to p[i], m[i], v[i] from g[i] for i < len(p)
// (len(g), len(m), len(v) ≥ len(p)), storing the scaled gradient back into g, and
// returns Σ (p−p)+(m−m)+(v−v) over what it wrote: 0 when every value is finite, NaN
// otherwise.
func AdamWGeneric(p, g, m, v []float32, a *AdamWArgs) float32 {
	var watch float32
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := g[i] * a.GradScale
		g[i] = gi
		mi := a.Beta1*m[i] + a.OneMinusB1*gi
		vi := a.Beta2*v[i] + a.OneMinusB2*gi*gi
		m[i], v[i] = mi, vi
		denom := float32(math.Sqrt(float64(vi)))*a.RBC2 + a.Eps
		pi := p[i]*a.Shrink - a.StepSize*mi/denom
		p[i] = pi
		watch += (pi - pi) + (mi - mi) + (vi - vi)
	}
	return watch
}
