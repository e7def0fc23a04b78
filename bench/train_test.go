package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

// The training benchmark: decoder-only, 4 layers, d_model 256, 4 heads, FFN 1024,
// context 256, batch 8, byte vocabulary (259 with the specials), AdamW, dropout 0.1,
// GELU, pre-LN, learned positions, tied output embedding. bench/torch_train.py runs the
// same configuration in PyTorch.
func trainBenchConfig(threads int) train.Config {
	cfg := train.DefaultConfig()
	cfg.Model = train.ModelConfig{Arch: "decoder", Vocab: 259, DModel: 256, Heads: 4, FFN: 1024, DecLayers: 4,
		MaxLen: 256, PreLN: true, Positions: "learned", Activation: "gelu", ShareDecoderEmbeddings: true,
		Dropout: 0.1, Kernel: "edp", Pad: train.BytePad, BOS: train.ByteBOS, EOS: train.ByteEOS}
	cfg.Optim = train.OptimConfig{LR: 3e-4, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, ClipNorm: 1, Accumulate: 1}
	cfg.Schedule = train.ScheduleConfig{Kind: "constant"}
	cfg.Data = train.DataConfig{Batch: 8, Context: 256}
	cfg.Threads = threads
	return cfg
}

func trainBenchBatch() *train.Batch {
	rng := rand.New(rand.NewPCG(1, 2))
	B, T := 8, 256
	b := &train.Batch{B: B, T: T, In: make([]int32, B*T), Out: make([]int32, B*T)}
	for i := range b.In {
		b.In[i] = int32(32 + rng.IntN(95))
		b.Out[i] = int32(32 + rng.IntN(95))
	}
	return b
}

// warmTrainer returns a trainer of trainBenchConfig(threads) and the benchmark batch,
// after one step on it (which sizes the arenas).
func warmTrainer(b *testing.B, threads int) (*train.Trainer, *train.Batch) {
	b.Helper()
	tr, err := train.NewTrainer(trainBenchConfig(threads))
	if err != nil {
		b.Fatal(err)
	}
	bt := trainBenchBatch()
	if _, err := tr.Step(bt); err != nil {
		b.Fatal(err)
	}
	return tr, bt
}

// BenchmarkTrainStep reports training tokens/s (B·T tokens per forward+backward+AdamW
// step) for 1 and 2 threads.
func BenchmarkTrainStep(b *testing.B) {
	defer simd.SetThreads(0)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			tr, bt := warmTrainer(b, threads)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(bt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*bt.B*bt.T)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkTrainProfile reports where a step's time goes (ms per step and section, see
// train.ProfNames); timing each section adds a few time.Now calls per layer.
func BenchmarkTrainProfile(b *testing.B) {
	defer simd.SetThreads(0)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			tr, bt := warmTrainer(b, threads)
			tr.Model.Profile = true
			tr.Model.Prof = [len(train.ProfNames)]time.Duration{}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(bt); err != nil {
					b.Fatal(err)
				}
			}
			for i, d := range tr.Model.Prof {
				b.ReportMetric(d.Seconds()*1e3/float64(b.N), train.ProfNames[i]+"-ms/step")
			}
		})
	}
}
