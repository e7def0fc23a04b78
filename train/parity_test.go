package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// Parity with PyTorch 1.13: testdata/gen_golden.py builds the same models in PyTorch,
// draws their weights, and records logits, loss, gradients and 10 AdamW steps. Dropout
// is off there: torch's random masks cannot be reproduced (for attention dropout see
// gen_golden.py and package attention's dropout tests).

type golden struct {
	Config ModelConfig `json:"config"`
	Batch  struct {
		B, S, T int
		Src     [][]int32 `json:"src"`
		In      [][]int32 `json:"in"`
		Out     [][]int32 `json:"out"`
	} `json:"batch"`
	Weights map[string][]float32 `json:"weights"`
	Logits  []float32            `json:"logits"`
	Loss    float64              `json:"loss"`
	Grads   map[string][]float32 `json:"grads"`
	AdamW   struct {
		LR, Beta1, Beta2, Eps float32
		WeightDecay           float32 `json:"weight_decay"`
		ClipNorm              float32 `json:"clip_norm"`
		Losses                []float64
	} `json:"adamw"`
}

func loadGolden(t *testing.T, name string) *golden {
	b, err := os.ReadFile("testdata/golden_" + name + ".json")
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(b, &g))
	return &g
}

func (g *golden) batch() *Batch {
	flat := func(x [][]int32) []int32 {
		var out []int32
		for _, r := range x {
			out = append(out, r...)
		}
		return out
	}
	return &Batch{B: g.Batch.B, S: g.Batch.S, T: g.Batch.T, Src: flat(g.Batch.Src), In: flat(g.Batch.In), Out: flat(g.Batch.Out)}
}

func (g *golden) load(t *testing.T, m *Model) {
	require.Len(t, g.Weights, len(m.Tensors), "same set of tensors")
	for _, tn := range m.Tensors {
		w, ok := g.Weights[tn.Name]
		require.True(t, ok, "golden lacks %s", tn.Name)
		require.Len(t, w, tn.Size, tn.Name)
		copy(m.Params[tn.Offset:tn.Offset+tn.Size], w)
	}
}

// relErr is max|got − want| / max|want|.
func relErr(got, want []float32) float64 {
	var d, s float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		s = math.Max(s, math.Abs(float64(want[i])))
	}
	return d / s
}

func TestPyTorchParity(t *testing.T) {
	for _, name := range []string{"encdec", "decoder"} {
		t.Run(name, func(t *testing.T) {
			g := loadGolden(t, name)
			m, err := NewModel(g.Config, 0)
			require.NoError(t, err)
			g.load(t, m)
			bt := g.batch()
			sum, count := m.Forward(bt)
			loss := sum / float64(count)
			require.InDelta(t, g.Loss, loss, 1e-4*g.Loss, "loss")
			n := bt.B * bt.T
			logits := make([]float32, n*m.V)
			linearForward(logits, m.decY, m.outW, nil, n, m.C, m.V)
			e := relErr(logits, g.Logits)
			t.Logf("loss go %.7f torch %.7f; logits rel err %.2e", loss, g.Loss, e)
			require.LessOrEqual(t, e, 1e-4, "logits")
			m.ZeroGrad()
			m.Forward(bt)
			m.Backward(1 / float32(count))
			worst := 0.0
			for _, tn := range m.Tensors {
				e := relErr(m.Grads[tn.Offset:tn.Offset+tn.Size], g.Grads[tn.Name])
				require.LessOrEqual(t, e, 1e-3, "gradient of %s", tn.Name)
				worst = math.Max(worst, e)
			}
			t.Logf("worst gradient rel err %.2e", worst)

			cfg := DefaultConfig()
			cfg.Model = g.Config
			cfg.Optim = OptimConfig{LR: g.AdamW.LR, Beta1: g.AdamW.Beta1, Beta2: g.AdamW.Beta2, Eps: g.AdamW.Eps,
				WeightDecay: g.AdamW.WeightDecay, ClipNorm: g.AdamW.ClipNorm, Accumulate: 1}
			cfg.Schedule = ScheduleConfig{Kind: "constant"}
			cfg.Data = DataConfig{MaxTokens: 64, Batch: 2, Context: g.Config.MaxLen}
			tr, err := NewTrainer(cfg)
			require.NoError(t, err)
			g.load(t, tr.Model)
			maxDiff := 0.0
			for i, want := range g.AdamW.Losses {
				st, err := tr.Step(bt)
				require.NoError(t, err)
				require.InDelta(t, want, st.Loss, 1e-3, "AdamW step %d", i)
				maxDiff = math.Max(maxDiff, math.Abs(want-st.Loss))
			}
			t.Logf("10 AdamW steps: max |loss diff| %.2e (final loss %.5f)", maxDiff, g.AdamW.Losses[9])
		})
	}
}
