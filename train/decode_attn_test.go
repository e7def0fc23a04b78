package train

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kernelmachines/bkm/attention"
)

// selfAttendPerHead is the Decoder's self-attention before attention.Decode: one
// Forward call per hypothesis and head over the cache.
func (d *Decoder) selfAttendPerHead(core *attnCore, qkv, kc, vc []float32, nb, t int) {
	C, H, D := d.m.C, d.m.H, d.m.D
	for b := 0; b < nb; b++ {
		for h := 0; h < H; h++ {
			base := (b*H + h) * d.MaxLen * D
			n := (t + 1) * D
			core.forward(attention.DenseLayout(1, 1, t+1, D), d.o[b*C+h*D:b*C+(h+1)*D], d.st[:1], qkv[b*3*C+h*D:b*3*C+(h+1)*D],
				kc[base:base+n], vc[base:base+n], 1, 1, 1, t+1, D, false, nil, 0, 0)
		}
	}
}

// crossAttendForward is the cross-attention before attention.Decode: the hypotheses
// as the query axis of one Forward call, with heads split and merged around it.
func (d *Decoder) crossAttendForward(core *attnCore, q, ck, cv []float32, nb int) {
	C, H, D := d.m.C, d.m.H, d.m.D
	splitHeads(d.qh, q, 1, nb, H, D, C, 0)
	core.forward(attention.DenseLayout(H, nb, d.S, D), d.oh[:nb*C], d.st[:nb*H], d.qh[:nb*C], ck[:d.S*C], cv[:d.S*C], 1, H, nb, d.S, D, false, nil, 0, 0)
	mergeHeads(d.o, d.oh, 1, nb, H, D, C, 0)
}

// withForwardAttention runs f with the Decoder on the per-head Forward path (over
// caches, for every kernel).
func withForwardAttention(f func()) {
	self, cross := selfAttention, crossAttention
	defer func() { selfAttention, crossAttention = self, cross }()
	selfAttention, crossAttention = (*Decoder).selfAttendPerHead, (*Decoder).crossAttendForward
	withCaches(f)
}

// requireSameSteps runs eight steps of three hypotheses of the tiny model (arch,
// kernel kern, pre-LN or not), reordered between steps and with a cache slot copied,
// normally and inside other (a different attention path), and requires the same
// log-probabilities within float32 rounding.
func requireSameSteps(t *testing.T, arch, kern string, preLN bool, seed uint64, other func(func())) {
	t.Helper()
	cfg := tinyModelConfig(arch)
	cfg.PreLN, cfg.Kernel, cfg.MaxLen = preLN, kern, 12
	m := scaledModel(t, cfg, seed)
	src := []int32{3, 4, 5, 6, 2}
	const nb = 3
	run := func() [][]float32 {
		d := m.NewDecoder(nb, 10)
		d.start(src)
		tok := []int32{m.Cfg.BOS, m.Cfg.BOS, m.Cfg.BOS}
		var steps [][]float32
		for step := 0; step < 8; step++ {
			d.step(tok, nb, step)
			steps = append(steps, append([]float32(nil), d.logp[:nb*m.V]...))
			for b := range tok {
				tok[b] = 3 + int32((step+b)%5)
			}
			d.reorder([]int{2, 0, 0}, step)
			if step == 4 {
				d.copySlot(1, 0, step)
			}
		}
		return steps
	}
	got := run()
	var want [][]float32
	other(func() { want = run() })
	for s := range want {
		for i := range want[s] {
			require.InDelta(t, want[s][i], got[s][i], 1e-4, "%s %s step %d logp[%d]", arch, kern, s, i)
		}
	}
}

// TestDecodeStepMatchesForwardPath: the step's log-probabilities through
// attention.Decode agree with those of the per-head Forward path within float32
// rounding, for several kernels.
func TestDecodeStepMatchesForwardPath(t *testing.T) {
	for _, tc := range []struct {
		arch, kern string
		preLN      bool
	}{{"encdec", "edp", false}, {"encdec", "rbf", true}, {"decoder", "laplace", false}, {"encdec", "poly2", true}, {"decoder", "favor16", true}} {
		requireSameSteps(t, tc.arch, tc.kern, tc.preLN, 5, withForwardAttention)
	}
}

// requireSameTokens decodes src with the tiny encoder-decoder model of kernel kern
// (seeds 1..seeds), greedy and beam 4, normally and inside other (a different
// attention path), and requires the same tokens.
func requireSameTokens(t *testing.T, kern string, seeds uint64, other func(func())) {
	t.Helper()
	for seed := uint64(1); seed <= seeds; seed++ {
		cfg := tinyModelConfig("encdec")
		cfg.Kernel, cfg.MaxLen = kern, 12
		m := scaledModel(t, cfg, seed)
		src := []int32{3, 4, 5, 6, 7, 2}
		decode := func() (string, []string) {
			d := m.NewDecoder(4, 12)
			g := fmtTokens(d.Greedy(src, nil, 12))
			var beams []string
			for _, h := range d.BeamSearch(src, 4, 1, 12) {
				beams = append(beams, fmtTokens(h.Tokens))
			}
			return g, beams
		}
		g, beams := decode()
		var wg string
		var wbeams []string
		other(func() { wg, wbeams = decode() })
		require.Equal(t, wg, g, "%s seed %d greedy", kern, seed)
		require.Equal(t, wbeams, beams, "%s seed %d beams", kern, seed)
	}
}

// TestDecodeSameTokens: greedy and beam search produce the same tokens through
// attention.Decode as through the per-head Forward path.
func TestDecodeSameTokens(t *testing.T) { requireSameTokens(t, "edp", 4, withForwardAttention) }

// withCaches runs f with the Decoder keeping key and value caches for every layer,
// linear and favor ones included (attention.Decode over the cache at each step).
func withCaches(f func()) {
	defer func(on bool) { useFeatureStates = on }(useFeatureStates)
	useFeatureStates = false
	f()
}

// featureKernels are the kernels whose layers decode through feature sums.
var featureKernels = []string{"linear", "favor16"}

// TestDecodeFeatureStateMatchesCaches: for linear and favor models (encoder-decoder
// and decoder-only), the step's log-probabilities through the feature sums agree
// with those of attention.Decode over the caches within float32 rounding.
func TestDecodeFeatureStateMatchesCaches(t *testing.T) {
	require.NotNil(t, tinyDecoder(t, "linear").fs[0], "linear layers keep feature sums")
	withCaches(func() { require.Nil(t, tinyDecoder(t, "linear").fs[0], "withCaches: no feature sums") })
	for _, arch := range []string{"encdec", "decoder"} {
		for _, kern := range featureKernels {
			requireSameSteps(t, arch, kern, arch == "encdec", 7, withCaches)
		}
	}
}

// tinyDecoder is a Decoder of the tiny encoder-decoder model of kernel kern.
func tinyDecoder(t *testing.T, kern string) *Decoder {
	cfg := tinyModelConfig("encdec")
	cfg.Kernel = kern
	return scaledModel(t, cfg, 1).NewDecoder(2, 4)
}

// TestDecodeFeatureStateBatchSources: a step over two padded sources (rows in cache
// slots, segments per sentence), as a Translator batch runs it, gives through the
// feature sums the log-probabilities of the caches, whose cross-attention reads each
// sentence's unpadded keys only.
func TestDecodeFeatureStateBatchSources(t *testing.T) {
	for _, kern := range featureKernels {
		cfg := tinyModelConfig("encdec")
		cfg.Kernel, cfg.MaxLen = kern, 12
		m := scaledModel(t, cfg, 11)
		pad := []int32{3, 4, 2, 0, 0, 5, 6, 7, 8, 2} // [2, 5]: lengths 3 and 5
		run := func() []float32 {
			d := m.NewDecoder(4, 10)
			d.encodeSources(pad, 2, 5, nil, 5, 2)
			d.segs = []crossSeg{{row: 0, rows: 2, sent: 0, n: 3}, {row: 2, rows: 1, sent: 1, n: 5}}
			d.slot, d.runs = []int{0, 1, 3}, []selfRun{{row: 0, rows: 2, slot: 0}, {row: 2, rows: 1, slot: 3}}
			tok := []int32{m.Cfg.BOS, 3, m.Cfg.BOS}
			var logp []float32
			for step := 0; step < 4; step++ {
				d.runs[0].t, d.runs[1].t = step, step // runs carry their position
				d.step(tok, 3, step)
				logp = append(logp, d.logp[:3*m.V]...)
				tok[0], tok[1], tok[2] = 4+int32(step), 5, 6
			}
			return logp
		}
		got := run()
		var want []float32
		withCaches(func() { want = run() })
		for i := range want {
			require.InDelta(t, want[i], got[i], 1e-4, "%s logp[%d]", kern, i)
		}
	}
}

// TestDecodeFeatureStateSameTokens: greedy and beam-4 decoding of linear and favor
// models give the same tokens through the feature sums as through the caches.
func TestDecodeFeatureStateSameTokens(t *testing.T) {
	for _, kern := range featureKernels {
		requireSameTokens(t, kern, 3, withCaches)
	}
}

// TestTranslateBatchFeatureStates: batched translation with linear and favor models
// trained a few steps (cache slots, copies for second children, per-sentence source
// sums over unpadded keys) gives the sentences that decoding through the caches
// gives, greedy and beam 4.
func TestTranslateBatchFeatureStates(t *testing.T) {
	src := translatorSources()
	for _, kern := range featureKernels {
		cfg, l := smallRun(t, 1)
		cfg.Model.Kernel = kern
		tr, err := NewTrainer(cfg)
		require.NoError(t, err)
		runSteps(t, tr, l, 6)
		for _, beam := range []int{1, 4} {
			translate := func() []string {
				tt, err := NewTranslator(tr.Model, ByteTokenizer{})
				require.NoError(t, err)
				out, err := tt.TranslateBatch(context.Background(), src, TranslateOptions{Beam: beam, LenPenalty: 1.2, MaxSentences: 4})
				require.NoError(t, err)
				return out
			}
			got := translate()
			var want []string
			withCaches(func() { want = translate() })
			require.Equal(t, want, got, "%s beam %d", kern, beam)
			distinct := map[string]bool{}
			for _, w := range want {
				distinct[w] = true
			}
			require.Greater(t, len(distinct), 3, "%s: the outputs should depend on the source: %q", kern, want)
		}
	}
}
