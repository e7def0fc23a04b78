package train

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func tinyModelConfig(arch string) ModelConfig {
	return ModelConfig{
		Arch: arch, Vocab: 11, DModel: 8, Heads: 2, FFN: 12, EncLayers: 1, DecLayers: 2, MaxLen: 8,
		Positions: "sinusoidal", Activation: "gelu", ScaleEmbedding: true, Kernel: "edp",
		Pad: 0, BOS: 1, EOS: 2,
	}
}

// tinyBatch has padding on both sides: row 1's source and target are shorter.
func tinyBatch(arch string) *Batch {
	if arch == "decoder" {
		return &Batch{B: 2, T: 5,
			In:  []int32{1, 3, 4, 5, 6, 1, 7, 8, 9, 10},
			Out: []int32{3, 4, 5, 6, 2, 7, 8, 9, 0, 0}}
	}
	return &Batch{B: 2, S: 4, T: 5,
		Src: []int32{3, 4, 5, 2, 6, 7, 2, 0},
		In:  []int32{1, 5, 4, 3, 9, 1, 8, 7, 0, 0},
		Out: []int32{5, 4, 3, 9, 2, 8, 7, 2, 0, 0}}
}

// TestModelGradients checks every parameter tensor of whole tiny models by central
// differences (h = 1e-2 in float32; tolerance 1e-3 + 3e-2·|g|, wide enough for float32
// rounding through a dozen layers, far below the O(|g|) error of a wrong term). The
// models use GELU: with ReLU some perturbation always crosses a kink; ReLU models are
// covered by the PyTorch parity test instead.
func TestModelGradients(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *ModelConfig)
		drop bool
	}{
		{"encdec-postln-gelu", func(c *ModelConfig) {}, false},
		{"encdec-preln-learned-shared-smooth", func(c *ModelConfig) {
			c.PreLN, c.Positions, c.ShareAllEmbeddings, c.ShareDecoderEmbeddings, c.LabelSmoothing = true, "learned", true, true, 0.1
		}, false},
		{"encdec-dropout", func(c *ModelConfig) { c.Dropout, c.ActivationDropout = 0.2, 0.1 }, true},
		{"encdec-preln-dropout", func(c *ModelConfig) {
			c.PreLN, c.Dropout, c.ActivationDropout = true, 0.2, 0.1
		}, true},
		{"decoder-preln", func(c *ModelConfig) { c.Arch, c.PreLN = "decoder", true }, false},
		{"decoder-postln-dropout-tied", func(c *ModelConfig) {
			c.Arch, c.Dropout, c.ShareDecoderEmbeddings = "decoder", 0.1, true
		}, true},
		// Attention dropout in every self-, cross- and decoder attention layer: the
		// masks are fixed by (DropoutSeed, DropoutStep, layer), so the loss is smooth.
		{"encdec-attention-dropout", func(c *ModelConfig) {
			c.Dropout, c.ActivationDropout, c.AttentionDropout = 0.1, 0.1, 0.3
		}, true},
		{"encdec-preln-rbf-attention-dropout", func(c *ModelConfig) {
			c.PreLN, c.Kernel, c.AttentionDropout = true, "rbf", 0.3
		}, true},
		{"decoder-preln-attention-dropout", func(c *ModelConfig) {
			c.Arch, c.PreLN, c.AttentionDropout = "decoder", true, 0.3
		}, true},
	}
	// Every kernel of the zoo but intersection: Σ min(q_d, k_d) has kinks wherever
	// q_d = k_d, and in a whole model some perturbation of size h always crosses one, so
	// central differences do not apply (package attention checks its gradient away from
	// the kinks).
	for _, k := range []string{"rbf", "laplace", "expint", "poly2", "taylor2", "linear", "favor16"} {
		cases = append(cases, struct {
			name string
			edit func(c *ModelConfig)
			drop bool
		}{"encdec-kernel-" + k, func(c *ModelConfig) { c.Kernel = k }, false})
	}
	cases = append(cases, struct {
		name string
		edit func(c *ModelConfig)
		drop bool
	}{"encdec-per-layer-kernels", func(c *ModelConfig) {
		c.LayerKernels = []string{"rbf", "edp", "poly2", "taylor2", "edp"}
	}, false})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyModelConfig("encdec")
			tc.edit(&cfg)
			m, err := NewModel(cfg, 3)
			require.NoError(t, err)
			// Larger weights than the default init so every gradient is well above the
			// finite-difference noise.
			for _, tn := range m.Tensors {
				if tn.Decay && !strings.Contains(tn.Name, "embed") {
					w := m.Params[tn.Offset : tn.Offset+tn.Size]
					for i := range w {
						w[i] *= 5
					}
				}
			}
			m.Training, m.DropoutSeed, m.DropoutStep = tc.drop, 9, 4
			bt := tinyBatch(cfg.Arch)
			loss := func() float64 {
				s, c := m.Forward(bt)
				return s / float64(c)
			}
			m.ZeroGrad()
			_, c := m.Forward(bt)
			m.Backward(1 / float32(c))
			grads := append([]float32(nil), m.Grads...)
			for _, tn := range m.Tensors {
				checkGradTol(t, tn.Name, m.Params[tn.Offset:tn.Offset+tn.Size], grads[tn.Offset:tn.Offset+tn.Size], loss, 1e-2, 1e-3, 3e-2)
			}
			nonzero := 0
			for _, g := range grads {
				if g != 0 {
					nonzero++
				}
			}
			require.Greater(t, nonzero, len(grads)/2, "most gradients are non-zero")
		})
	}
}

// TestModelPaddingInvariance: padding a batch with extra rows and columns of Pad does
// not change the loss of the real tokens.
func TestModelPaddingInvariance(t *testing.T) {
	for _, arch := range []string{"encdec", "decoder"} {
		cfg := tinyModelConfig(arch)
		m, err := NewModel(cfg, 5)
		require.NoError(t, err)
		bt := tinyBatch(arch)
		s1, c1 := m.Forward(bt)
		// Append one padding column to every sequence.
		wide := &Batch{B: bt.B, S: bt.S, T: bt.T + 1}
		for b := 0; b < bt.B; b++ {
			if arch == "encdec" {
				wide.Src = append(wide.Src, bt.Src[b*bt.S:(b+1)*bt.S]...)
			}
			wide.In = append(append(wide.In, bt.In[b*bt.T:(b+1)*bt.T]...), 0)
			wide.Out = append(append(wide.Out, bt.Out[b*bt.T:(b+1)*bt.T]...), 0)
		}
		if arch == "encdec" {
			wide.S++
			wide.Src = nil
			for b := 0; b < bt.B; b++ {
				wide.Src = append(append(wide.Src, bt.Src[b*bt.S:(b+1)*bt.S]...), 0)
			}
		}
		s2, c2 := m.Forward(wide)
		require.Equal(t, c1, c2)
		require.InDelta(t, s1, s2, 1e-4*math.Abs(s1), fmt.Sprint(arch))
	}
}

// TestAttentionDropoutWiring: attention dropout acts only in training, in every attention
// layer, with a mask that depends on the step and the layer and is the same in forward
// and backward (TestModelGradients checks the gradients with it on).
func TestAttentionDropoutWiring(t *testing.T) {
	for _, arch := range []string{"encdec", "decoder"} {
		cfg := tinyModelConfig(arch)
		plain, err := NewModel(cfg, 5)
		require.NoError(t, err)
		cfg.AttentionDropout = 0.3
		m, err := NewModel(cfg, 5)
		require.NoError(t, err)
		bt := tinyBatch(arch)
		// Evaluation: no dropout at all, bit-identical to the model without it.
		want, _ := plain.Forward(bt)
		got, _ := m.Forward(bt)
		require.Equal(t, want, got, "%s: no attention dropout outside training", arch)
		// Training: the loss changes; the same step gives the same loss, another step
		// another one.
		plain.Training, m.Training = true, true
		plain.DropoutSeed, m.DropoutSeed = 9, 9
		want, _ = plain.Forward(bt)
		got, _ = m.Forward(bt)
		require.NotEqual(t, want, got, "%s: attention dropout is applied in training", arch)
		again, _ := m.Forward(bt)
		require.Equal(t, got, again, arch)
		m.DropoutStep++
		next, _ := m.Forward(bt)
		require.NotEqual(t, got, next, arch)
		// Every attention layer has its own mask seed, and it changes with the step.
		seeds := map[uint64]bool{}
		layers := 0
		for _, step := range []uint64{0, 1} {
			m.DropoutStep = step
			for _, bl := range append(append([]*block(nil), m.enc...), m.dec...) {
				if bl.kind == ffnBlock {
					continue
				}
				p, seed := m.attnDropout(bl)
				require.Equal(t, float32(0.3), p)
				seeds[seed] = true
				layers++
			}
		}
		require.Len(t, seeds, layers, "%s: distinct seeds per layer and step", arch)
		m.Training = false
		p, _ := m.attnDropout(m.dec[0])
		require.Zero(t, p)
	}
}
