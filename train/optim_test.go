package train

import (
	"fmt"
	"math"
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// TestAdamWReference runs three AdamW updates against the formula in float64.
func TestAdamWReference(t *testing.T) {
	cfg := OptimConfig{LR: 0.1, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.5}
	tensors := []Tensor{{Name: "w", Offset: 0, Size: 3, Decay: true}, {Name: "b", Offset: 3, Size: 2}}
	p := []float32{1, -2, 0.5, 0.25, -1}
	o := NewAdamW(cfg, tensors, 5)
	ref := make([]float64, 5)
	m, v := make([]float64, 5), make([]float64, 5)
	for i := range p {
		ref[i] = float64(p[i])
	}
	grads := [][]float32{{0.1, -0.2, 0.3, 0.4, -0.5}, {-0.3, 0.1, 0, 0.2, 0.2}, {0.05, 0.05, -0.1, -0.4, 1}}
	for step, g := range grads {
		lr := 0.1 * float64(step+1) / 3
		o.Update(p, g, float32(lr))
		tt := float64(step + 1)
		for i := range ref {
			if i < 3 {
				ref[i] *= 1 - lr*0.5
			}
			gi := float64(g[i])
			m[i] = 0.9*m[i] + 0.1*gi
			v[i] = 0.95*v[i] + 0.05*gi*gi
			mh := m[i] / (1 - math.Pow(0.9, tt))
			vh := v[i] / (1 - math.Pow(0.95, tt))
			ref[i] -= lr * mh / (math.Sqrt(vh) + 1e-8)
		}
		for i := range p {
			require.InDelta(t, ref[i], p[i], 2e-6, "step %d param %d", step, i)
		}
	}
	require.Equal(t, 3, o.T)
}

func TestClipGradNorm(t *testing.T) {
	g := []float32{3, 4}
	require.InDelta(t, 5, ClipGradNorm(g, 10), 1e-9)
	require.Equal(t, []float32{3, 4}, g, "below the limit: untouched")
	require.InDelta(t, 5, ClipGradNorm(g, 1), 1e-9)
	require.InDelta(t, 1, GradNorm(g), 1e-6)
}

func TestSchedules(t *testing.T) {
	inv := ScheduleConfig{Kind: "inverse_sqrt", Warmup: 4, InitLR: 0}
	require.InDelta(t, 0, inv.LR(0, 1), 1e-7)
	require.InDelta(t, 0.5, inv.LR(2, 1), 1e-7)
	require.InDelta(t, 1, inv.LR(4, 1), 1e-7)
	require.InDelta(t, 0.5, inv.LR(16, 1), 1e-7) // √4/√16
	cos := ScheduleConfig{Kind: "cosine", Warmup: 2, Steps: 12, MinLR: 0.1}
	require.InDelta(t, 0.5, cos.LR(1, 1), 1e-7)
	require.InDelta(t, 1, cos.LR(2, 1), 1e-7)
	require.InDelta(t, 0.55, cos.LR(7, 1), 1e-6) // halfway: (1+0.1)/2
	require.InDelta(t, 0.1, cos.LR(12, 1), 1e-7)
	require.InDelta(t, 0.1, cos.LR(100, 1), 1e-7)
	con := ScheduleConfig{Kind: "constant"}
	require.InDelta(t, 0.3, con.LR(50, 0.3), 1e-7)
}

// TestGradientAccumulation: two micro-batches accumulate to the gradient of the mean
// loss over both, i.e. the gradient of one batch holding all their rows.
func TestGradientAccumulation(t *testing.T) {
	cfg := tinyModelConfig("encdec")
	m, err := NewModel(cfg, 2)
	require.NoError(t, err)
	full := tinyBatch("encdec")
	row := func(r int) *Batch {
		return &Batch{B: 1, S: full.S, T: full.T, Src: full.Src[r*full.S : (r+1)*full.S],
			In: full.In[r*full.T : (r+1)*full.T], Out: full.Out[r*full.T : (r+1)*full.T]}
	}
	a, b := row(0), row(1)
	total := a.Targets(cfg.Pad) + b.Targets(cfg.Pad)
	m.ZeroGrad()
	m.Forward(a)
	m.Backward(1 / float32(total))
	m.Forward(b)
	m.Backward(1 / float32(total))
	acc := append([]float32(nil), m.Grads...)
	m.ZeroGrad()
	_, c := m.Forward(full)
	require.Equal(t, total, c)
	m.Backward(1 / float32(c))
	for i := range acc {
		require.InDelta(t, m.Grads[i], acc[i], 1e-6+1e-4*math.Abs(float64(m.Grads[i])), "param %d", i)
	}
}

// TestStepRejectsNaN: a NaN loss is an error wrapping ErrDiverged, and the trainer goes
// back to the last state whose loss was finite: here the start, since step 1's update
// is the one that led to the NaN.
func TestStepRejectsNaN(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Model = tinyModelConfig("decoder")
	cfg.Data = DataConfig{Batch: 2, Context: 5}
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	bt := tinyBatch("decoder")
	start := stateOf(tr)
	_, err = tr.Step(bt)
	require.NoError(t, err)
	w, _ := tr.Model.Tensor("decoder.layers.0.fc1.weight")
	w[3] = float32(math.NaN())
	_, err = tr.Step(bt)
	require.ErrorIs(t, err, ErrDiverged)
	require.ErrorContains(t, err, "loss is NaN at step 2")
	require.Equal(t, start, stateOf(tr))
}

// TestUpdateScaledIsClipThenUpdate: clipping inside AdamW's pass gives what
// ClipGradNorm followed by Update gives, parameters, moments and gradients bit for bit,
// clipping or not, at 1 and 2 threads.
func TestUpdateScaledIsClipThenUpdate(t *testing.T) {
	defer simd.SetThreads(0)
	rng := newRNG(18)
	n := 3*parMinWork + 5
	tensors := []Tensor{{Name: "a", Offset: 0, Size: n / 2, Decay: true}, {Name: "b", Offset: n / 2, Size: n - n/2}}
	cfg := OptimConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1}
	p0, g0 := randSlice(rng, n, 1), randSlice(rng, n, 1)
	for _, threads := range []int{1, 2} {
		for _, maxNorm := range []float32{0, 1, 1e6} {
			simd.SetThreads(threads)
			pa, ga := append([]float32(nil), p0...), append([]float32(nil), g0...)
			pb, gb := append([]float32(nil), p0...), append([]float32(nil), g0...)
			oa, ob := NewAdamW(cfg, tensors, n), NewAdamW(cfg, tensors, n)
			for step := 0; step < 2; step++ {
				cf := ClipCoefficient(GradNorm(gb), maxNorm)
				require.Equal(t, maxNorm == 1, cf < 1, "clipping exactly when the norm exceeds the bound")
				ClipGradNorm(ga, maxNorm)
				require.True(t, oa.Update(pa, ga, 3e-4))
				require.True(t, ob.UpdateScaled(pb, gb, 3e-4, cf))
				require.Equal(t, pa, pb, "threads %d, max norm %g", threads, maxNorm)
				require.Equal(t, ga, gb)
				require.Equal(t, oa.State, ob.State)
			}
		}
	}
}

// TestUpdateScaledKeepCopiesFirst: UpdateScaledKeep leaves in its keep buffers the
// parameters and state as they were before the update, and updates exactly as
// UpdateScaled does, at 1 and 2 threads, on spans longer than its copy piece.
func TestUpdateScaledKeepCopiesFirst(t *testing.T) {
	defer simd.SetThreads(0)
	rng := newRNG(19)
	n := 2*adamKeepPiece + 3*parMinWork + 7
	tensors := []Tensor{{Name: "a", Offset: 0, Size: n / 3, Decay: true}, {Name: "b", Offset: n / 3, Size: n - n/3}}
	cfg := OptimConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1}
	p0, g0 := randSlice(rng, n, 1), randSlice(rng, n, 1)
	for _, threads := range []int{1, 2} {
		simd.SetThreads(threads)
		pa, ga := append([]float32(nil), p0...), append([]float32(nil), g0...)
		pb, gb := append([]float32(nil), p0...), append([]float32(nil), g0...)
		oa, ob := NewAdamW(cfg, tensors, n), NewAdamW(cfg, tensors, n)
		keepP, keepS := make([]float32, n), make([]float32, 2*n)
		for step := 0; step < 3; step++ {
			beforeP, beforeS := append([]float32(nil), pb...), append([]float32(nil), ob.State...)
			require.True(t, oa.UpdateScaled(pa, ga, 3e-4, 0.5))
			require.True(t, ob.UpdateScaledKeep(pb, gb, 3e-4, 0.5, keepP, keepS))
			require.Equal(t, beforeP, keepP, "threads %d step %d: kept parameters", threads, step)
			require.Equal(t, beforeS, keepS, "threads %d step %d: kept state", threads, step)
			require.Equal(t, pa, pb)
			require.Equal(t, ga, gb)
			require.Equal(t, oa.State, ob.State)
		}
	}
	o := NewAdamW(cfg, tensors, n)
	require.PanicsWithValue(t, fmt.Sprintf("train: AdamW: len(keepParams) = %d, len(keepState) = 3, want %d and %d", n, n, 2*n),
		func() { o.UpdateScaledKeep(p0, g0, 1e-3, 1, make([]float32, n), make([]float32, 3)) })
}

// TestGradNormChunks: GradNorm agrees with a float64 reference, and the step's parallel
// chunked norm equals it bit for bit at 1 and 2 threads, on lengths around the chunk size.
func TestGradNormChunks(t *testing.T) {
	defer simd.SetThreads(0)
	rng := newRNG(21)
	for _, n := range []int{0, 1, 5, normChunk - 1, normChunk, 3*normChunk + 7} {
		g := randSlice(rng, n, 2)
		var ref float64
		for _, x := range g {
			ref += float64(x) * float64(x)
		}
		want := GradNorm(g)
		require.InDelta(t, math.Sqrt(ref), want, 1e-12*max(1, math.Sqrt(ref)), "n = %d", n)
		for _, threads := range []int{1, 2} {
			simd.SetThreads(threads)
			var p rowPar
			require.Equal(t, want, p.gradNorm(g, make([]float64, normChunks(n))), "n = %d, %d threads", n, threads)
		}
	}
}
