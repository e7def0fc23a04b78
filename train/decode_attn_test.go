package train

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// selfAttendPerHead is the Decoder's self-attention before attention.Decode: one
// Forward call per hypothesis and head over the cache.
func (d *Decoder) selfAttendPerHead(core *attnCore, qkv, kc, vc []float32, nb, t int) {
	C, H, D := d.m.C, d.m.H, d.m.D
	for b := 0; b < nb; b++ {
		for h := 0; h < H; h++ {
			base := (b*H + h) * d.MaxLen * D
			n := (t + 1) * D
			core.forward(d.o[b*C+h*D:b*C+(h+1)*D], d.st[:1], qkv[b*3*C+h*D:b*3*C+(h+1)*D],
				kc[base:base+n], vc[base:base+n], 1, 1, 1, t+1, D, false, nil, 0, 0)
		}
	}
}

// crossAttendForward is the cross-attention before attention.Decode: the hypotheses
// as the query axis of one Forward call, with heads split and merged around it.
func (d *Decoder) crossAttendForward(core *attnCore, q, ck, cv []float32, nb int) {
	C, H, D := d.m.C, d.m.H, d.m.D
	splitHeads(d.qh, q, 1, nb, H, D, C, 0)
	core.forward(d.oh[:nb*C], d.st[:nb*H], d.qh[:nb*C], ck[:d.S*C], cv[:d.S*C], 1, H, nb, d.S, D, false, nil, 0, 0)
	mergeHeads(d.o, d.oh, 1, nb, H, D, C, 0)
}

// withForwardAttention runs f with the Decoder on the per-head Forward path.
func withForwardAttention(f func()) {
	self, cross := selfAttention, crossAttention
	defer func() { selfAttention, crossAttention = self, cross }()
	selfAttention, crossAttention = (*Decoder).selfAttendPerHead, (*Decoder).crossAttendForward
	f()
}

// TestDecodeStepMatchesForwardPath: with three hypotheses per step, reordered between
// steps, the step's log-probabilities through attention.Decode agree with those of
// the per-head Forward path within float32 rounding, for several kernels.
func TestDecodeStepMatchesForwardPath(t *testing.T) {
	for _, tc := range []struct {
		arch, kern string
		preLN      bool
	}{{"encdec", "edp", false}, {"encdec", "rbf", true}, {"decoder", "laplace", false}, {"encdec", "poly2", true}, {"decoder", "favor16", true}} {
		cfg := tinyModelConfig(tc.arch)
		cfg.PreLN, cfg.Kernel, cfg.MaxLen = tc.preLN, tc.kern, 12
		m := scaledModel(t, cfg, 5)
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
			}
			return steps
		}
		got := run()
		var want [][]float32
		withForwardAttention(func() { want = run() })
		for s := range want {
			for i := range want[s] {
				require.InDelta(t, want[s][i], got[s][i], 1e-4, "%v step %d logp[%d]", tc, s, i)
			}
		}
	}
}

// TestDecodeSameTokens: greedy and beam search produce the same tokens through
// attention.Decode as through the per-head Forward path.
func TestDecodeSameTokens(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		cfg := tinyModelConfig("encdec")
		cfg.MaxLen = 12
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
		withForwardAttention(func() { wg, wbeams = decode() })
		require.Equal(t, wg, g, "seed %d greedy", seed)
		require.Equal(t, wbeams, beams, "seed %d beams", seed)
	}
}
