package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConformanceAliasing checks the in-place forms Add, Mul and ReLU document (dst may be
// x or y): every implementation must give the twin's result when dst is the same
// slice as one of its inputs.
func TestConformanceAliasing(t *testing.T) {
	ops := []struct {
		name string
		run  func(im *impl, dst, x, y []float32)
	}{
		{"add", func(im *impl, dst, x, y []float32) { im.add(dst, x, y) }},
		{"mul", func(im *impl, dst, x, y []float32) { im.mul(dst, x, y) }},
		{"relu", func(im *impl, dst, x, _ []float32) { reluOf(im)(dst, x) }},
	}
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(19, 20))
		for _, op := range ops {
			for n := 0; n <= maxLen; n++ {
				x, y := make([]float32, n), make([]float32, n)
				fillInput(rng, x, 100, 7)
				fillInput(rng, y, 100, 7)
				want := make([]float32, n)
				op.run(genericImpl, want, x, y)

				gotX := append([]float32(nil), x...) // dst = x
				op.run(im, gotX, gotX, y)
				requireULP(t, want, gotX, 0, fmt.Sprintf("%s dst=x n=%d", op.name, n))

				gotY := append([]float32(nil), y...) // dst = y
				op.run(im, gotY, x, gotY)
				requireULP(t, want, gotY, 0, fmt.Sprintf("%s dst=y n=%d", op.name, n))
			}
		}
	})
}
