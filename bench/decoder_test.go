package bench

import (
	"fmt"
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

// BenchmarkDecoderGreedy: train's Decoder end to end, a decoder-only model of 2 layers,
// d_model 512, 8 heads of 64, FFN 2048, byte vocabulary, random weights, 1 thread.
// Greedy decoding is forced through a prompt of len−1 tokens, so every iteration runs
// exactly len steps whatever the weights predict (self-attention over caches of
// 1..len positions); ns/token is the mean time of one step. It uses only the
// exported API, so the same file measures older commits (before attention.Decode)
// too.
func BenchmarkDecoderGreedy(b *testing.B) {
	defer simd.SetThreads(simd.Threads())
	simd.SetThreads(1)
	for _, n := range []int{64, 256} {
		b.Run(fmt.Sprintf("len=%d", n), func(b *testing.B) {
			cfg := train.ModelConfig{Arch: "decoder", Vocab: 259, DModel: 512, Heads: 8, FFN: 2048, DecLayers: 2,
				MaxLen: n, PreLN: true, Positions: "learned", Activation: "gelu", Kernel: "edp",
				Pad: train.BytePad, BOS: train.ByteBOS, EOS: train.ByteEOS}
			m, err := train.NewModel(cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			d := m.NewDecoder(1, n)
			prompt := make([]int32, n-1)
			for i := range prompt {
				prompt[i] = int32(32 + i%90)
			}
			d.Greedy(nil, prompt, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d.Greedy(nil, prompt, n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/token")
		})
	}
}
