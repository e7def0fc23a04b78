package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/simd"
)

// Attention benchmarks: the standard (edp) kernel, batch 1, 8 heads, head dimension
// 64, no mask, N = Nq = Nk. FLOP counts follow the FlashAttention convention and do
// not count the exp or the recomputation in backward:
//
//	forward           4·N²·d per head (QKᵀ and PV, 2 flops per multiply-add)
//	forward+backward 12·N²·d per head (forward 4, backward 8: dV, dP, dQ, dK)
//
// Compare with bench/torch_attention.py, which times PyTorch's explicit
// softmax(QKᵀ/√d)V and its autograd backward on the same shapes.

var attnLengths = []int{128, 512, 1024, 2048, 4096}

type attnData struct {
	q, k, v, out, stats, dout, dq, dk, dv []float32
}

func newAttnData(H, N, D int) *attnData {
	r := rand.New(rand.NewPCG(1, 2))
	f := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	n := H * N * D
	return &attnData{q: f(n), k: f(n), v: f(n), out: make([]float32, n), stats: make([]float32, H*N),
		dout: f(n), dq: make([]float32, n), dk: make([]float32, n), dv: make([]float32, n)}
}

func BenchmarkAttention(b *testing.B) {
	const H, D = 8, 64
	old := simd.Threads()
	defer simd.SetThreads(old)
	for _, pass := range []string{"fwd", "fwdbwd"} {
		for _, N := range attnLengths {
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("edp/%s/H=%d/D=%d/N=%d/threads=%d", pass, H, D, N, th), func(b *testing.B) {
					simd.SetThreads(th)
					x := newAttnData(H, N, D)
					o := &attention.Options{Kernel: attention.EDP()}
					ws := attention.NewWorkspace()
					run := func() {
						attention.Forward(o, 1, H, N, N, D, x.q, x.k, x.v, x.out, x.stats, ws)
						if pass == "fwdbwd" {
							attention.Backward(o, 1, H, N, N, D, x.q, x.k, x.v, x.out, x.dout, x.stats, x.dq, x.dk, x.dv, ws)
						}
					}
					run()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						run()
					}
					flops := 4.0
					if pass == "fwdbwd" {
						flops = 12
					}
					flops *= float64(H) * float64(N) * float64(N) * D
					sec := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(sec*1e3, "ms/op")
					b.ReportMetric(flops/sec/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkAttentionMemory16384 runs forward+backward for one head with N = 16384,
// d = 64 on a fresh workspace and reports the heap the call allocated beyond its
// inputs and outputs (the workspace: per-worker tiles, row statistics, private dQ
// accumulators of the split backward). It fails above 64 MiB.
func BenchmarkAttentionMemory16384(b *testing.B) {
	const H, N, D = 1, 16384, 64
	x := newAttnData(H, N, D)
	o := &attention.Options{Kernel: attention.EDP()}
	var extra float64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		ws := attention.NewWorkspace()
		attention.Forward(o, 1, H, N, N, D, x.q, x.k, x.v, x.out, x.stats, ws)
		attention.Backward(o, 1, H, N, N, D, x.q, x.k, x.v, x.out, x.dout, x.stats, x.dq, x.dk, x.dv, ws)
		runtime.ReadMemStats(&m1)
		extra = float64(m1.TotalAlloc-m0.TotalAlloc) / (1 << 20)
		runtime.KeepAlive(ws)
	}
	b.ReportMetric(extra, "extra-MiB")
	b.ReportMetric(float64(simd.Threads()), "threads")
	if extra > 64 {
		b.Fatalf("N = %d single head used %.1f MiB of extra memory > 64 MiB", N, extra)
	}
}

// BenchmarkAttentionTrain runs the attention of the training benchmark (bench/torch_train.py's
// model: batch 8, 4 heads, T = 256, d = 64, causal) forward and backward, as one layer of
// BenchmarkTrainStep does. GFLOP/s counts the six products 2·B·H·T²·d halved by the mask
// (the count BenchmarkTrainProfile uses).
func BenchmarkAttentionTrain(b *testing.B) {
	const B, H, T, D = 8, 4, 256, 64
	old := simd.Threads()
	defer simd.SetThreads(old)
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			simd.SetThreads(th)
			x := newAttnData(B*H, T, D)
			o := &attention.Options{Kernel: attention.EDP(), Causal: true}
			ws := attention.NewWorkspace()
			run := func() {
				attention.Forward(o, B, H, T, T, D, x.q, x.k, x.v, x.out, x.stats, ws)
				attention.Backward(o, B, H, T, T, D, x.q, x.k, x.v, x.out, x.dout, x.stats, x.dq, x.dk, x.dv, ws)
			}
			run()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				run()
			}
			cpu := (processCPU() - cpu0).Seconds() / float64(b.N)
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec*1e3, "ms/op")
			b.ReportMetric(cpu*1e3, "cpu-ms/op")
			b.ReportMetric(6*float64(B*H*T*T*D)/sec/1e9, "GFLOP/s")
		})
	}
}
