package bench

import (
	"fmt"
	"testing"
)

// BenchmarkSgemmKernel measures the 6×16 micro-kernel alone on L1-resident packed
// panels: the ceiling the driver can reach.
func BenchmarkSgemmKernel(b *testing.B) {
	for _, k := range []int{64, 256, 512} {
		a, bp, c := make([]float32, 6*k), make([]float32, 16*k), make([]float32, 6*16)
		for i := range a {
			a[i] = 1
		}
		for i := range bp {
			bp[i] = 1
		}
		b.Run(fmt.Sprintf("6x16/k%d", k), func(b *testing.B) {
			calls := 0
			for b.Loop() {
				sgemmKernel(k, a, bp, c, 16, 1, 0)
				calls++
			}
			b.ReportMetric(2*6*16*float64(k)*float64(calls)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
