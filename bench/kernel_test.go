package bench

import (
	"fmt"
	"testing"
)

// benchKernel is one GEMM micro-kernel with its register tile; ok says whether this
// CPU can run it.
type benchKernel struct {
	name   string
	mr, nr int
	run    func(k int, a, b, c []float32, ldc int, alpha, beta float32)
	ok     bool
}

// BenchmarkSgemmKernel measures each micro-kernel alone (6×16 AVX2, 8×32 AVX-512 on
// amd64) on L1-resident packed panels: the ceiling the driver can reach.
func BenchmarkSgemmKernel(b *testing.B) {
	for _, kern := range sgemmKernels {
		if !kern.ok {
			continue
		}
		mr, nr := kern.mr, kern.nr
		for _, k := range []int{64, 256, 512} {
			a, bp, c := make([]float32, mr*k), make([]float32, nr*k), make([]float32, mr*nr)
			for i := range a {
				a[i] = 1
			}
			for i := range bp {
				bp[i] = 1
			}
			b.Run(fmt.Sprintf("%s/k%d", kern.name, k), func(b *testing.B) {
				calls := 0
				for b.Loop() {
					kern.run(k, a, bp, c, nr, 1, 0)
					calls++
				}
				b.ReportMetric(2*float64(mr*nr)*float64(k)*float64(calls)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
