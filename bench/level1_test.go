package bench

import (
	"fmt"
	"testing"

	"github.com/kernelmachines/bkm/simd"
)

// BenchmarkLevel1: the level-1 routines of simd (the dispatched kernels) on n = 4096
// (L1-resident) and n = 1M (4 MiB per vector: streams from L3), elements/ns counting
// elements of x. Run under the lock:
//
//	flock /tmp/bench.lock go test ./bench -run '^$' -bench '^BenchmarkLevel1$' -count 5
func BenchmarkLevel1(b *testing.B) {
	var sink float32
	for _, r := range []struct {
		name string
		fn   func(dst, x, y []float32)
	}{
		{"Dot", func(_, x, y []float32) { sink += simd.Dot(x, y) }},
		{"Axpy", func(_, x, y []float32) { simd.Axpy(1e-3, x, y) }},
		{"Scale", func(dst, _, _ []float32) { simd.Scale(-1, dst) }}, // exact: no drift into denormals
		{"Add", func(dst, x, y []float32) { simd.Add(dst, x, y) }},
		{"Mul", func(dst, x, y []float32) { simd.Mul(dst, x, y) }},
		{"Sum", func(_, x, _ []float32) { sink += simd.Sum(x) }},
		{"Max", func(_, x, _ []float32) { sink += simd.Max(x) }},
	} {
		for _, n := range []int{4096, 1 << 20} {
			b.Run(fmt.Sprintf("%s/n=%d", r.name, n), func(b *testing.B) {
				x, y := vecmathInput("level1", n), vecmathInput("tanh", n)
				dst := vecmathInput("tanh", n)
				for b.Loop() {
					r.fn(dst, x, y)
				}
				reportElements(b, n)
			})
		}
	}
	_ = sink
}
