package simd

import (
	"fmt"
	"testing"
)

// BenchmarkPackA packs every mc×kc block of op(A) as sgemmSerial does, for the A
// operands of the training step's products (k = 2,048 tokens; m = 256 or 1,024):
// op(A) = Aᵀ (T, the weight gradients' dY stored k×m) and op(A) = A (N, stored
// m×k). GB/s is A's size over the time: the packing's share of a product is the rate
// at which its micro-kernel consumes A (2n FLOP per element) over this rate.
func BenchmarkPackA(b *testing.B) {
	im := active
	const k = 2048
	for _, trans := range []bool{true, false} {
		for _, m := range []int{256, 1024} {
			a := make([]float32, m*k)
			for i := range a {
				a[i] = float32(i % 1000)
			}
			lda := k
			op := "N"
			if trans {
				lda, op = m, "T"
			}
			buf := getBuffers(im, im.mc, im.nc, im.kc)
			b.Run(fmt.Sprintf("%s/%s/%dx%d", im.name, op, m, k), func(b *testing.B) {
				for b.Loop() {
					for pc := 0; pc < k; pc += im.kc {
						for ic := 0; ic < m; ic += im.mc {
							packA(im, trans, min(im.mc, m-ic), min(im.kc, k-pc), a, lda, ic, pc, buf.a)
						}
					}
				}
				b.ReportMetric(float64(4*m*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
			putBuffers(buf)
		}
	}
}
