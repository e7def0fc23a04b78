package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// layerPoint returns the whole-layer point of a method and parameter.
func layerPoint(t *testing.T, pts []ApproxPoint, layer, method string, param int) ApproxPoint {
	t.Helper()
	for _, p := range pts {
		if p.Layer == layer && p.Head == -1 && p.Method == method && p.Param == param {
			return p
		}
	}
	t.Fatalf("no point %s %s%d", layer, method, param)
	return ApproxPoint{}
}

// TestCaptureReproducesAttention: the captured queries, keys and values, attended in
// float64 with the layer's own kernel and masks, give back the output the model
// computed, in every encoder self-, decoder self- and cross-attention layer and for
// pre- and post-LN models, with padding in both batch rows.
func TestCaptureReproducesAttention(t *testing.T) {
	for _, preLN := range []bool{false, true} {
		cfg := tinyModelConfig("encdec")
		cfg.PreLN = preLN
		m, err := NewModel(cfg, 3)
		require.NoError(t, err)
		m.Training = true // CaptureAttention must switch dropout off and restore this
		caps := m.CaptureAttention(tinyBatch("encdec"))
		require.True(t, m.Training)
		var names []string
		for _, c := range caps {
			names = append(names, c.Layer)
		}
		require.Equal(t, []string{"enc0.self", "dec0.self", "dec0.cross", "dec1.self", "dec1.cross"}, names)
		require.True(t, caps[1].Causal)
		require.Equal(t, []bool{true, true, true, true, true, true, true, true, false, false}, caps[2].QueryTokens)
		pts, err := RepresenterCurves(caps, RepresenterOptions{}, nil)
		require.NoError(t, err)
		for _, name := range names {
			p := layerPoint(t, pts, name, ApproxExact, 0)
			require.Less(t, p.OutErr, 1e-5, "%s (pre-LN %v)", name, preLN)
			require.Greater(t, p.LogitMax, 0.0)
			require.Equal(t, -1, p.Dim, "edp is infinite-dimensional")
		}
	}
}

// syntheticCapture is one self-attention layer of random queries, keys and values of
// norm about scale per coordinate, with a key mask and padded queries.
func syntheticCapture(seed uint64, scale float64) AttentionCapture {
	const B, H, N, D = 3, 2, 12, 8
	r := rand.New(rand.NewPCG(seed, 1))
	c := AttentionCapture{Layer: "syn", Kernel: attention.EDP(), Gamma: float32(1 / math.Sqrt(D)), B: B, H: H, Nq: N, Nk: N, D: D}
	fill := func(n int, s float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * s)
		}
		return x
	}
	c.Q, c.K, c.V, c.O = fill(B*H*N*D, scale), fill(B*H*N*D, scale), fill(B*H*N*D, 1), make([]float32, B*H*N*D)
	c.QueryTokens, c.KeyMask = make([]bool, B*N), make([]bool, B*N)
	for b := range B {
		for i := range N {
			c.QueryTokens[b*N+i] = i < N-b
			c.KeyMask[b*N+i] = i < N-b
		}
	}
	c.KeyTokens = c.KeyMask
	return c
}

// TestTaylorApproachesExact: for small-norm queries and keys the Taylor truncations
// converge to edp: the output error falls with every even order and is tiny by N = 6,
// while taylor-N's feature dimension is C(d+N, N).
func TestTaylorApproachesExact(t *testing.T) {
	caps := []AttentionCapture{syntheticCapture(1, 0.5)}
	pts, err := RepresenterCurves(caps, RepresenterOptions{TaylorOrders: []int{2, 4, 6}}, nil)
	require.NoError(t, err)
	e2, e4, e6 := layerPoint(t, pts, "syn", ApproxTaylor, 2), layerPoint(t, pts, "syn", ApproxTaylor, 4), layerPoint(t, pts, "syn", ApproxTaylor, 6)
	require.Equal(t, 45, e2.Dim) // C(10, 2)
	require.Less(t, e4.OutErr, e2.OutErr)
	require.Less(t, e6.OutErr, e4.OutErr)
	require.Less(t, e6.OutErr, 1e-4)
	require.Less(t, e6.WeightErr, 1e-4)
	require.Greater(t, e2.OutErr, 1e-6, "the truncation is not exact")
}

// TestFavorErrorFallsWithD: favor's error, averaged over seeds, is lower at D = 1024
// than at D = 16 (it falls like 1/√D), and the seeds give a spread.
func TestFavorErrorFallsWithD(t *testing.T) {
	caps := []AttentionCapture{syntheticCapture(2, 1)}
	pts, err := RepresenterCurves(caps, RepresenterOptions{FavorDims: []int{16, 1024}, FavorSeeds: []uint64{1, 2, 3, 4}}, nil)
	require.NoError(t, err)
	lo, hi := layerPoint(t, pts, "syn", ApproxFavor, 16), layerPoint(t, pts, "syn", ApproxFavor, 1024)
	require.Equal(t, 4, lo.Runs)
	require.Greater(t, lo.OutStd, 0.0)
	require.Less(t, hi.OutErr, lo.OutErr/2)
	require.Less(t, hi.WeightErr, lo.WeightErr/2)
	// every head has its own row
	heads := 0
	for _, p := range pts {
		if p.Method == ApproxFavor && p.Param == 16 && p.Head >= 0 {
			heads++
		}
	}
	require.Equal(t, 2, heads)
}

// TestDistillFitsLayer: the kernels bkm.Distill learns for a layer fit its logits better
// than the zero predictor and give finite attention errors, one point per width.
func TestDistillFitsLayer(t *testing.T) {
	caps := []AttentionCapture{syntheticCapture(3, 1)}
	o := RepresenterOptions{DistillWidths: []int{4, 16}, DistillPoints: 16, DistillSteps: 300, DistillHidden: 16, Seed: 1}
	pts, err := RepresenterCurves(caps, o, nil)
	require.NoError(t, err)
	for _, w := range o.DistillWidths {
		p := layerPoint(t, pts, "syn", ApproxDistill, w)
		t.Logf("width %d: logit fit %.3g, output error %.3g", w, p.FitErr, p.OutErr)
		require.Equal(t, w, p.Dim)
		require.Less(t, p.FitErr, 1.0)
		require.False(t, math.IsNaN(p.OutErr) || math.IsInf(p.OutErr, 0))
		require.Less(t, p.OutErr, 2.0)
	}
	_, err = RepresenterCurves(caps, RepresenterOptions{FavorDims: []int{0}}, nil)
	require.ErrorContains(t, err, "favor dimension 0")
	_, err = RepresenterCurves(nil, o, nil)
	require.ErrorContains(t, err, "no captured layers")
}
