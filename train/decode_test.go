package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// scaledModel has larger weights than the default init so its next-token distributions
// are far from uniform (no argmax ties).
func scaledModel(t *testing.T, cfg ModelConfig, seed uint64) *Model {
	m, err := NewModel(cfg, seed)
	require.NoError(t, err)
	for _, tn := range m.Tensors {
		if tn.Decay {
			w := m.Params[tn.Offset : tn.Offset+tn.Size]
			for i := range w {
				w[i] *= 8
			}
		}
	}
	return m
}

// fullLogProbs runs the whole model (no cache) on BOS+prefix and returns the last
// position's next-token log-probabilities.
func fullLogProbs(m *Model, src, prefix []int32) []float32 {
	in := append([]int32{m.Cfg.BOS}, prefix...)
	out := make([]int32, len(in))
	fill(out, m.Cfg.Pad)
	bt := &Batch{B: 1, T: len(in), In: in, Out: out}
	if m.Cfg.Arch == "encdec" {
		bt.S, bt.Src = len(src), src
	}
	m.Training = false
	m.Forward(bt)
	V := m.V
	return append([]float32(nil), m.logits[(len(in)-1)*V:len(in)*V]...)
}

// TestDecoderCacheMatchesFullForward: every cached decoding step gives the
// log-probabilities of a full forward pass over the prefix.
func TestDecoderCacheMatchesFullForward(t *testing.T) {
	for _, tc := range []struct {
		arch  string
		preLN bool
		kern  string
	}{{"encdec", false, "edp"}, {"encdec", true, "rbf"}, {"decoder", false, "edp"}, {"decoder", true, "poly2"}} {
		cfg := tinyModelConfig(tc.arch)
		cfg.PreLN, cfg.Kernel, cfg.MaxLen = tc.preLN, tc.kern, 12
		m := scaledModel(t, cfg, 11)
		src := []int32{3, 4, 5, 6, 2}
		d := m.NewDecoder(3, 10)
		d.start(src)
		prefix := []int32{}
		d.tok[0] = m.Cfg.BOS
		for step := 0; step < 8; step++ {
			d.step(d.tok, 1, step)
			want := fullLogProbs(m, src, prefix)
			for v := range want {
				require.InDelta(t, want[v], d.logp[v], 1e-4, "%v step %d token %d", tc, step, v)
			}
			next := int32(argmax(want))
			if next == m.Cfg.EOS || next == m.Cfg.BOS || next == m.Cfg.Pad {
				next = 3 + int32(step%5)
			}
			prefix = append(prefix, next)
			d.tok[0] = next
			// The full forward clobbered the encoder activations; decoding only uses its
			// own cross keys and values, so it continues unaffected.
		}
	}
}

// TestBeamSearchExhaustive: with a beam as wide as the whole search space, beam search
// returns the best-scoring sequence found by enumerating every sequence.
func TestBeamSearchExhaustive(t *testing.T) {
	long := 0
	for seed := uint64(1); seed <= 12; seed++ {
		if beamVsExhaustive(t, seed) >= 2 {
			long++
		}
	}
	require.Greater(t, long, 2, "several seeds have a best sequence of 2+ tokens")
}

func beamVsExhaustive(t *testing.T, seed uint64) int {
	cfg := tinyModelConfig("encdec")
	cfg.Vocab, cfg.MaxLen = 5, 8 // tokens: 0 pad, 1 bos, 2 eos, 3, 4
	m := scaledModel(t, cfg, seed)
	src := []int32{3, 4, 3, 2}
	const maxLen, alpha = 4, 1.0
	// Enumerate: sequences over {3,4} of length < maxLen followed by EOS, and sequences of
	// length maxLen without EOS.
	best, bestSeq := math.Inf(-1), []int32(nil)
	var walk func(prefix []int32, logp float64)
	walk = func(prefix []int32, logp float64) {
		lp := fullLogProbs(m, src, prefix)
		if len(prefix) < maxLen {
			if s := (logp + float64(lp[2])) / math.Pow(float64(len(prefix)+1), alpha); s > best {
				best, bestSeq = s, append([]int32(nil), prefix...)
			}
		}
		for _, v := range []int32{3, 4} {
			np := append(append([]int32(nil), prefix...), v)
			l := logp + float64(lp[v])
			if len(np) == maxLen {
				if s := l / math.Pow(float64(maxLen), alpha); s > best {
					best, bestSeq = s, np
				}
				continue
			}
			walk(np, l)
		}
	}
	walk(nil, 0)
	d := m.NewDecoder(16, maxLen)
	hyps := d.BeamSearch(src, 16, alpha, maxLen)
	require.NotEmpty(t, hyps)
	require.Equal(t, fmtTokens(bestSeq), fmtTokens(hyps[0].Tokens), "seed %d", seed)
	require.InDelta(t, best, hyps[0].Score, 1e-4)
	// Beam 1 is greedy.
	g := d.Greedy(src, nil, maxLen)
	h1 := d.BeamSearch(src, 1, alpha, maxLen)
	require.Equal(t, fmtTokens(g), fmtTokens(h1[0].Tokens))
	return len(bestSeq)
}

func fmtTokens(x []int32) string { return fmt.Sprint([]int32(x)) }

// TestTranslationLearns trains a tiny encoder–decoder to copy short byte strings and
// checks that greedy and beam decoding reproduce the held-out sources (BLEU through the
// public helpers).
func TestTranslationLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	tok := ByteTokenizer{}
	words := []string{"ab", "cd", "ef", "gh", "ij", "kl"}
	rng := newRNG(3)
	sentence := func() string {
		s := words[rng.IntN(len(words))]
		for i := rng.IntN(3); i >= 0; i-- {
			s += " " + words[rng.IntN(len(words))]
		}
		return s
	}
	var pairs []Pair
	for i := 0; i < 400; i++ {
		s := sentence()
		pairs = append(pairs, Pair{Src: tok.Encode(s), Tgt: tok.Encode(s)})
	}
	cfg := DefaultConfig()
	cfg.Model.DModel, cfg.Model.Heads, cfg.Model.FFN, cfg.Model.EncLayers, cfg.Model.DecLayers = 32, 2, 64, 1, 1
	cfg.Model.MaxLen, cfg.Model.Dropout, cfg.Model.LabelSmoothing = 24, 0, 0
	cfg.Optim.LR = 3e-3
	cfg.Schedule = ScheduleConfig{Kind: "inverse_sqrt", Warmup: 50, InitLR: 1e-4}
	cfg.Data.MaxTokens = 400
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	l, err := NewPairLoader(pairs, cfg.Data.MaxTokens, cfg.Model.MaxLen, BytePad, ByteBOS, ByteEOS, 1)
	require.NoError(t, err)
	for i := 0; i < 400; i++ {
		_, err := tr.Step(l.Next())
		require.NoError(t, err)
	}
	var srcs []string
	for i := 0; i < 20; i++ {
		srcs = append(srcs, sentence())
	}
	greedy, hyps, err := EvalBLEU(tr.Model, tok, srcs, srcs, 1, 1)
	require.NoError(t, err)
	beam, _, err := EvalBLEU(tr.Model, tok, srcs, srcs, 4, 1)
	require.NoError(t, err)
	t.Logf("copy task BLEU greedy %.2f beam4 %.2f; e.g. %q → %q", greedy.Score, beam.Score, srcs[0], hyps[0])
	require.Greater(t, greedy.Score, 80.0)
	require.Greater(t, beam.Score, 80.0)
	_, err = Generate(tr.Model, tok, "ab", 5)
	require.ErrorContains(t, err, "not a decoder-only")
}

// TestDecoderStepRowsIndependent: a step of several hypotheses gives each the
// log-probabilities, bit for bit, of the same hypothesis stepped alone (one row: the
// shape where a GEMV kernel would sum in another order), several steps deep, for
// both block layouts and at one and two threads. TranslateBatch's exactness rests on it.
func TestDecoderStepRowsIndependent(t *testing.T) {
	defer simd.SetThreads(simd.Threads())
	for _, preLN := range []bool{false, true} {
		cfg := tinyModelConfig("encdec")
		// Widths past the kernels' lanes and tiles (k = 96 and 384, n up to 3·96 and 300).
		cfg.Vocab, cfg.DModel, cfg.Heads, cfg.FFN, cfg.MaxLen, cfg.PreLN, cfg.Activation = 300, 96, 4, 384, 12, preLN, "relu"
		m := scaledModel(t, cfg, 5)
		src := []int32{3, 40, 5, 61, 7, 2}
		toks := [][]int32{{1, 9, 33}, {1, 250, 17}, {1, 4, 4}, {1, 100, 299}, {1, 12, 80}}
		for _, threads := range []int{1, 2} {
			simd.SetThreads(threads)
			nb := len(toks)
			all := m.NewDecoder(nb, 8)
			all.start(src)
			one := m.NewDecoder(1, 8)
			alone := make([][]float32, nb)
			for b := range toks {
				one.start(src)
				for step := range toks[b] {
					one.tok[0] = toks[b][step]
					one.step(one.tok, 1, step)
				}
				alone[b] = append([]float32(nil), one.logp[:m.V]...)
			}
			for step := range toks[0] {
				for b := range toks {
					all.tok[b] = toks[b][step]
				}
				all.step(all.tok, nb, step)
			}
			for b := range toks {
				got := all.logp[b*m.V : (b+1)*m.V]
				for v := range got {
					require.Equal(t, math.Float32bits(alone[b][v]), math.Float32bits(got[v]),
						"preLN=%v threads=%d hypothesis %d token %d: %v in a step of %d, %v alone", preLN, threads, b, v, got[v], nb, alone[b][v])
				}
			}
		}
	}
}

// TestGreedyTokenMatchesScan: the blockwise greedyToken picks the token of its
// reference scan — the first of equals, never Pad or BOS — for rows of every length
// around the block size, with ties between and within blocks, the largest on Pad or
// BOS, ±0 and a NaN.
func TestGreedyTokenMatchesScan(t *testing.T) {
	m := &Model{Cfg: ModelConfig{Pad: BytePad, BOS: ByteBOS}}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 255, 256, 257, 258, 259, 300, 511, 512, 513, 2000} {
		row := make([]float32, n)
		for trial := range 40 {
			for i := range row {
				row[i] = float32(rng.IntN(9)) - 6 // small integers: many ties
			}
			top := float32(3 + trial%2)
			switch trial % 8 {
			case 1: // the largest on Pad, BOS, or both
				for _, v := range []int{256, 257} {
					if v < n && rng.IntN(2) == 0 {
						row[v] = top
					}
				}
			case 2: // ties in different blocks
				for range 3 {
					row[rng.IntN(n)] = top
				}
			case 3: // zeros of both signs as the largest
				for i := range row {
					row[i] = -1
				}
				row[rng.IntN(n)] = float32(math.Copysign(0, -1))
				row[rng.IntN(n)] = 0
			case 4:
				row[rng.IntN(n)] = float32(math.NaN())
			case 5: // the largest and a NaN in the same later block
				if n > 257 {
					row[n-2], row[n-1] = top+2, float32(math.NaN())
				}
			}
			want := m.greedyTokenScan(row)
			got := m.greedyToken(row)
			require.Equal(t, want, got, "n %d trial %d: %v", n, trial, row)
		}
	}
}

// TestBestCandidatesSkipsBlocks: bestCandidates, which skips the blocks whose largest
// cannot enter the kept candidates, keeps what the scan of every expansion
// (blockCandidates over the whole row) keeps — rows merged one after another as a
// beam step does, with ties, Pad and BOS among the best, and −Inf (no NaN: a step
// whose rows hold one stops before selection, Decoder.Err).
func TestBestCandidatesSkipsBlocks(t *testing.T) {
	m := &Model{Cfg: ModelConfig{Pad: BytePad, BOS: ByteBOS}}
	rng := rand.New(rand.NewPCG(5, 6))
	skipped := 0
	for _, V := range []int{1, 3, 255, 256, 257, 259, 600, 2000} {
		for trial := range 40 {
			n := 1 + trial%8
			var got, want []candidate
			for b := range 4 {
				row := make([]float32, V)
				for i := range row {
					row[i] = float32(rng.IntN(40))*-0.25 - 1 // many ties
				}
				switch trial % 4 {
				case 1: // the best on Pad and BOS
					for _, v := range []int{256, 257} {
						if v < V {
							row[v] = 1
						}
					}
				case 2, 3:
					row[rng.IntN(V)] = float32(math.Inf(-1))
					row[rng.IntN(V)] = 0.5
				}
				base := -float64(rng.IntN(3)) * 0.25
				before := len(got)
				got = m.bestCandidates(got, row, b, base, n)
				want = m.blockCandidates(want, row, 0, b, base, n)
				require.Equal(t, want, got, "V %d trial %d row %d", V, trial, b)
				if before == n && V > 256 {
					skipped++
				}
			}
		}
	}
	require.Positive(t, skipped, "no row was merged into a full list: the skip was never tried")
}
