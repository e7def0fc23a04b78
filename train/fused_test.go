package train

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kernelmachines/bkm/simd"
)

// TestFusedOutputNormSameBits: a pre-LN model whose output stages compute the next
// layer norm (several dropout chunks per layer, the last one partial) gives the same
// loss, normalized activations and gradients, bit for bit, as with separate passes, at
// 1 and 2 threads, decoder-only and encoder–decoder; and the fused path is taken.
func TestFusedOutputNormSameBits(t *testing.T) {
	defer simd.SetThreads(0)
	defer func() { fuseOutputNorm = true }()
	for _, arch := range []string{"decoder", "encdec"} {
		for _, threads := range []int{1, 2} {
			simd.SetThreads(threads)
			cfg := tinyModelConfig(arch)
			cfg.DModel, cfg.Heads, cfg.FFN, cfg.MaxLen, cfg.PreLN, cfg.Dropout = 64, 2, 96, 48, true, 0.1
			B, T := 3, 48 // 144 rows of 64: 2¼ dropout chunks
			bt := &Batch{B: B, T: T, S: T, In: make([]int32, B*T), Out: make([]int32, B*T)}
			if arch == "encdec" {
				bt.Src = make([]int32, B*T)
			}
			for i := range bt.In {
				bt.In[i], bt.Out[i] = int32(3+i%7), int32(3+(i*5)%8)
				if bt.Src != nil {
					bt.Src[i] = int32(3 + (i*3)%8)
				}
			}
			run := func(fused bool) (float64, []float32, []float32) {
				fuseOutputNorm = fused
				m, err := NewModel(cfg, 3)
				require.NoError(t, err)
				require.Equal(t, fused, m.fusedNorm())
				m.Training, m.DropoutSeed, m.DropoutStep = true, 9, 4
				m.ZeroGrad()
				s, c := m.Forward(bt)
				var ln []float32
				for _, bl := range append(m.enc, m.dec...) {
					ln = append(ln, bl.a.lnOut[:B*T*m.C]...)
				}
				ln = append(ln, m.decFin.out[:B*T*m.C]...)
				m.Backward(1 / float32(c))
				return s, ln, append([]float32(nil), m.Grads...)
			}
			s1, ln1, g1 := run(true)
			s0, ln0, g0 := run(false)
			name := fmt.Sprintf("%s threads=%d", arch, threads)
			require.Equal(t, s0, s1, name)
			require.Equal(t, ln0, ln1, name)
			require.Equal(t, g0, g1, name)
		}
	}
}
