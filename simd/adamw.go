package simd

import "github.com/kernelmachines/bkm/asm"

// AdamWArgs are the scalars of one AdamW update: the gradient's scale (clipping), β₁,
// 1 − β₁, β₂, 1 − β₂, ε, 1/√(1 − β₂ᵗ), the weight-decay shrink 1 − lr·λ and the step
// size lr/(1 − β₁ᵗ).
type AdamWArgs = asm.AdamWArgs

// AdamW applies one AdamW update over a span of parameters p with gradients g and
// moments m, v (all the same length), in one pass:
//
//	g ← s·g,  m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  p ← p·shrink − step·m/(√v·rbc2 + ε)
//
// in float32, each operation rounded as written (no fused multiply-add), so every
// implementation gives the same bits. It reports whether every p, m and v it wrote is
// finite.
func AdamW(p, g, m, v []float32, a *AdamWArgs) (finite bool) {
	checkSameLen("AdamW", "p", len(p), "g", len(g))
	checkSameLen("AdamW", "p", len(p), "m", len(m))
	checkSameLen("AdamW", "p", len(p), "v", len(v))
	var watch float32
	for len(p) > 0 {
		n := min(len(p), chunk)
		watch += active.adamw(p[:n], g[:n], m[:n], v[:n], a)
		p, g, m, v = p[n:], g[n:], m[n:], v[n:]
	}
	return watch == 0
}
