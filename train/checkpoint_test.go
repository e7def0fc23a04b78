package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// smallRun is a tiny translation setup with dropout on (residual, activation and
// attention), so resume must also restore the dropout streams and the data order.
func smallRun(t *testing.T, threads int) (Config, *PairLoader) {
	t.Helper()
	tok := ByteTokenizer{}
	var pairs []Pair
	for i := 0; i < 40; i++ {
		s := syntheticCorpus(1, uint64(i))
		pairs = append(pairs, Pair{Src: tok.Encode(s), Tgt: tok.Encode(s[:len(s)/2])})
	}
	cfg := DefaultConfig()
	cfg.Model.DModel, cfg.Model.Heads, cfg.Model.FFN, cfg.Model.EncLayers, cfg.Model.DecLayers = 32, 2, 64, 1, 1
	cfg.Model.MaxLen = 96
	cfg.Model.Dropout, cfg.Model.ActivationDropout, cfg.Model.AttentionDropout = 0.1, 0.1, 0.1
	cfg.Data.MaxTokens = 400
	cfg.Optim.Accumulate = 2
	cfg.Schedule.Warmup = 3
	cfg.Threads = threads
	l, err := NewPairLoader(pairs, cfg.Data.MaxTokens, cfg.Model.MaxLen, BytePad, ByteBOS, ByteEOS, cfg.Seed)
	require.NoError(t, err)
	return cfg, l
}

func runSteps(t *testing.T, tr *Trainer, l Loader, n int) []float64 {
	t.Helper()
	var losses []float64
	for i := 0; i < n; i++ {
		micro := make([]*Batch, tr.Cfg.Optim.Accumulate)
		for j := range micro {
			micro[j] = l.Next()
		}
		st, err := tr.Step(micro...)
		require.NoError(t, err)
		losses = append(losses, st.Loss)
	}
	return losses
}

// TestResume: N steps, save, load into a fresh process state, M steps ≡ N+M straight.
func TestResume(t *testing.T) {
	const N, M = 4, 3
	cfg, l := smallRun(t, 1)
	straight, err := NewTrainer(cfg)
	require.NoError(t, err)
	want := runSteps(t, straight, l, N+M)

	cfg, l = smallRun(t, 1)
	first, err := NewTrainer(cfg)
	require.NoError(t, err)
	got := runSteps(t, first, l, N)
	path := filepath.Join(t.TempDir(), "ck.bkm")
	require.NoError(t, first.Save(path, l.State(), ByteTokenizer{}))
	first = nil

	resumed, hdr, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, N, resumed.Steps)
	_, l2 := smallRun(t, 1)
	require.NoError(t, l2.SetState(hdr.Data))
	tok, err := hdr.Tokenizer.Tokenizer()
	require.NoError(t, err)
	require.Equal(t, ByteTokenizer{}, tok)
	got = append(got, runSteps(t, resumed, l2, M)...)
	require.Equal(t, want, got, "bit-identical losses")
	for i := 1; i < len(want); i++ {
		require.NotEqual(t, want[0], want[i])
	}
}

// TestDeterminism: same seed and thread count ⇒ bit-identical losses, for 1 and 2
// threads. It also records whether 1 and 2 threads agree (see doc.go).
func TestDeterminism(t *testing.T) {
	defer simd.SetThreads(0)
	run := func(threads int) []float64 {
		cfg, l := smallRun(t, threads)
		tr, err := NewTrainer(cfg)
		require.NoError(t, err)
		return runSteps(t, tr, l, 4)
	}
	one := run(1)
	require.Equal(t, one, run(1))
	two := run(2)
	require.Equal(t, two, run(2))
	t.Logf("1 thread: %v\n2 threads: %v\nequal: %v", one, two, equalFloats(one, two))
}

func equalFloats(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestCheckpointErrors(t *testing.T) {
	cfg, l := smallRun(t, 1)
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	runSteps(t, tr, l, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.bkm")
	require.NoError(t, tr.Save(path, l.State(), nil))
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1, "no temporary file left behind")
	good, err := os.ReadFile(path)
	require.NoError(t, err)

	write := func(b []byte) string {
		p := filepath.Join(dir, "bad.bkm")
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	check := func(b []byte, msg string) {
		t.Helper()
		_, _, err := Load(write(b))
		require.ErrorIs(t, err, ErrCheckpoint)
		require.ErrorContains(t, err, msg)
	}
	check(good[:len(good)-100], "truncated")
	check(good[:15], "truncated")
	check(good[:5], "truncated")
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-1000] ^= 1
	check(flipped, "corrupt: checksum mismatch")
	bad := append([]byte(nil), good...)
	copy(bad, "NOTACKPT")
	check(bad, "not a bkm checkpoint")
	v2 := append([]byte(nil), good...)
	v2[8] = 2
	check(v2, "unsupported format version 2")
	check(append(append([]byte(nil), good...), 0), "corrupt")

	// Mismatched: another model size.
	cfg2 := cfg
	cfg2.Model.FFN = 48
	other, err := NewTrainer(cfg2)
	require.NoError(t, err)
	_, err = other.LoadInto(path)
	require.ErrorIs(t, err, ErrCheckpoint)
	require.ErrorContains(t, err, "mismatched")
	require.ErrorContains(t, err, "fc1.weight")

	// An unwritable destination is an error naming it.
	err = tr.Save(filepath.Join(dir, "no-such-dir", "ck.bkm"), l.State(), nil)
	require.ErrorContains(t, err, "no-such-dir")

	// The good file still loads and restores the exact parameters.
	back, _, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, tr.Model.Params, back.Model.Params)
	require.Equal(t, tr.Opt.State, back.Opt.State)
}

// TestCheckpointSavesBPE: a BPE tokenizer trained on the corpus is saved with the model
// and comes back encoding identically.
func TestCheckpointSavesBPE(t *testing.T) {
	text := syntheticCorpus(200, 5)
	bpe, err := TrainBPE(text, 300)
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.Model = tinyModelConfig("decoder")
	cfg.Model.Vocab = bpe.VocabSize()
	cfg.Model.Pad, cfg.Model.BOS, cfg.Model.EOS = BytePad, ByteBOS, ByteEOS
	cfg.Data = DataConfig{Batch: 2, Context: 8}
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "bpe.bkm")
	require.NoError(t, tr.Save(path, DataState{Epoch: 2, Next: 1}, bpe))
	_, hdr, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, DataState{Epoch: 2, Next: 1}, hdr.Data)
	tok, err := hdr.Tokenizer.Tokenizer()
	require.NoError(t, err)
	require.Equal(t, bpe.Encode(text), tok.Encode(text))
	require.Equal(t, 300, tok.VocabSize())
}

// TestThreadCountInvariance: on a model large enough that simd.Sgemm, package attention
// and the elementwise layers all split their work (512 tokens per batch, d_model 64, FFN
// 256), 1 and 2 threads give bit-identical losses: GEMM splits rows or columns of C
// (never the k sum), attention splits batch×heads, the elementwise layers split rows.
func TestThreadCountInvariance(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds")
	}
	defer simd.SetThreads(0)
	tokens := ByteTokenizer{}.Encode(syntheticCorpus(400, 2))
	run := func(threads int) []float64 {
		cfg := DefaultConfig()
		cfg.Model = ModelConfig{Arch: "decoder", Vocab: 259, DModel: 64, Heads: 4, FFN: 256, DecLayers: 2, MaxLen: 128,
			PreLN: true, Positions: "learned", Activation: "gelu", ShareDecoderEmbeddings: true, Dropout: 0.1,
			AttentionDropout: 0.1, Kernel: "edp", Pad: BytePad, BOS: ByteBOS, EOS: ByteEOS}
		cfg.Data = DataConfig{Batch: 4, Context: 128}
		cfg.Threads = threads
		tr, err := NewTrainer(cfg)
		require.NoError(t, err)
		l, err := NewLMLoader(tokens, 4, 128, 1)
		require.NoError(t, err)
		return runSteps(t, tr, l, 3)
	}
	one := run(1)
	require.Equal(t, one, run(2))
	// Past two threads each half's kernels get their share (halves.begin): 2 each at 4.
	require.Equal(t, one, run(4))
}
