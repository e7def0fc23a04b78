package train

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// trainedTranslator is the smallRun model after a few steps (its outputs vary with
// the source), with a Translator over it.
func trainedTranslator(t *testing.T) (*Model, *Translator) {
	t.Helper()
	cfg, l := smallRun(t, 1)
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	runSteps(t, tr, l, 6)
	tt, err := NewTranslator(tr.Model, ByteTokenizer{})
	require.NoError(t, err)
	return tr.Model, tt
}

// translatorSources are sentences of very different lengths: empty, one byte, a few
// words, several sentences, and one past model.max_len (truncated).
func translatorSources() []string {
	src := []string{"", "a", "The fox.", syntheticCorpus(1, 7), "", syntheticCorpus(3, 8), "xy",
		strings.Repeat("a quiet river ", 12), syntheticCorpus(2, 9), "Every dog finds the garden."}
	for i := 0; i < 7; i++ {
		src = append(src, syntheticCorpus(2+i%3, uint64(20+i))[:5+9*i])
	}
	return src
}

// TestTranslateBatchMatchesTranslate: batched decoding gives, for every sentence, the
// tokens Translate gives for it alone, greedy and beam 4, whatever the batch limits.
func TestTranslateBatchMatchesTranslate(t *testing.T) {
	m, tt := trainedTranslator(t)
	src := translatorSources()
	for _, beam := range []int{1, 4} {
		want := translateAlone(t, m, src, beam, 1.2)
		distinct := map[string]bool{}
		for _, w := range want {
			distinct[w] = true
		}
		require.Greater(t, len(distinct), 3, "the model's outputs should depend on the source: %q", want)
		for _, lim := range []struct{ sents, tokens int }{{0, 0}, {1, 0}, {3, 0}, {64, 120}, {5, 1}} {
			opts := TranslateOptions{Beam: beam, LenPenalty: 1.2, MaxSentences: lim.sents, MaxTokens: lim.tokens}
			got, st, err := tt.TranslateBatchStats(context.Background(), src, opts)
			require.NoError(t, err)
			require.Equal(t, want, got, "beam %d, limits %+v", beam, lim)
			require.Positive(t, st.Steps)
			if lim.sents == 1 || lim.tokens == 1 {
				require.Equal(t, len(src), st.Batches)
			}
		}
	}
}

// plainTokenizer is ByteTokenizer without AppendEncode and AppendDecode: a Tokenizer
// written before they existed.
type plainTokenizer struct{ b ByteTokenizer }

func (p plainTokenizer) Encode(s string) []int32   { return p.b.Encode(s) }
func (p plainTokenizer) Decode(ids []int32) string { return p.b.Decode(ids) }
func (p plainTokenizer) VocabSize() int            { return p.b.VocabSize() }

// TestTranslatorPlainTokenizer: a Tokenizer without the Append methods translates
// through Encode and Decode, as ByteTokenizer's own Append methods do.
func TestTranslatorPlainTokenizer(t *testing.T) {
	m, tt := trainedTranslator(t)
	var _ Tokenizer = plainTokenizer{}
	_, isAppend := Tokenizer(plainTokenizer{}).(AppendTokenizer)
	require.False(t, isAppend)
	plain, err := NewTranslator(m, plainTokenizer{})
	require.NoError(t, err)
	src := translatorSources()
	for _, beam := range []int{1, 4} {
		opts := TranslateOptions{Beam: beam, LenPenalty: 1, MaxSentences: 4}
		want, err := tt.TranslateBatch(context.Background(), src, opts)
		require.NoError(t, err)
		got, err := plain.TranslateBatch(context.Background(), src, opts)
		require.NoError(t, err)
		require.Equal(t, want, got, "beam %d", beam)
		s, err := plain.NewStream(opts)
		require.NoError(t, err)
		streamed := make([]string, len(src))
		answered := 0
		for next := 0; answered < len(src); s.Step() {
			for ; next < len(src) && s.Room() > 0; next++ {
				i := next
				s.Add(context.Background(), src[i], func(out string, err error) {
					require.NoError(t, err)
					streamed[i] = out
					answered++
				})
			}
		}
		s.Close()
		require.Equal(t, want, streamed, "beam %d, Stream", beam)
	}
}

// TestTranslatorConcurrent: goroutines sharing one Translator get the results of
// Translate (run under -race by CI).
func TestTranslatorConcurrent(t *testing.T) {
	m, tt := trainedTranslator(t)
	src := translatorSources()
	want := make([]string, len(src))
	for i, s := range src {
		var err error
		want[i], err = Translate(m, ByteTokenizer{}, s, 2, 1)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 2; rep++ {
				got, err := tt.TranslateBatch(context.Background(), src[g:], TranslateOptions{Beam: 2, LenPenalty: 1, MaxSentences: 4})
				if err == nil && fmt.Sprint(got) != fmt.Sprint(want[g:]) {
					err = fmt.Errorf("goroutine %d: %q, want %q", g, got, want[g:])
				}
				if err != nil {
					errs[g] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

// TestTranslatorErrors: bad options and a cancelled context are errors, not panics;
// a decoder-only model is refused.
func TestTranslatorErrors(t *testing.T) {
	_, tt := trainedTranslator(t)
	for _, o := range []TranslateOptions{{Beam: -1}, {MaxSentences: -2}, {MaxTokens: -1}} {
		_, err := tt.TranslateBatch(context.Background(), []string{"a"}, o)
		require.Error(t, err, "%+v", o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tt.TranslateBatch(ctx, []string{"a b c"}, TranslateOptions{})
	require.ErrorIs(t, err, context.Canceled)
	// The worker that saw the cancellation serves the next call correctly.
	got, err := tt.Translate(context.Background(), "a b c", TranslateOptions{})
	require.NoError(t, err)
	want, err := Translate(tt.Model(), ByteTokenizer{}, "a b c", 1, 1)
	require.NoError(t, err)
	require.Equal(t, want, got)
	out, err := tt.TranslateBatch(context.Background(), nil, TranslateOptions{})
	require.NoError(t, err)
	require.Empty(t, out)
	_, err = NewTranslator(tinyModel(t, "decoder"), ByteTokenizer{})
	require.ErrorContains(t, err, "not an encoder–decoder")
}

// TestTranslatorAllocs: a warm Translator allocates per call (the result slice, one
// string per worker holding its translations, a goroutine per extra worker) but not
// per sentence, token or step: four times the sentences cost no more allocations. A
// warm Stream allocates a sentence's translation string and nothing else.
func TestTranslatorAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	_, tt := trainedTranslator(t)
	src := translatorSources()
	many := slices.Concat(src, src, src, src)
	for _, beam := range []int{1, 4} {
		opts := TranslateOptions{Beam: beam, LenPenalty: 1, MaxSentences: 8}
		_, st, err := tt.TranslateBatchStats(context.Background(), many, opts)
		require.NoError(t, err)
		require.Greater(t, st.OutputTokens, 4*len(src), "beam %d", beam)
		for _, in := range [][]string{src, many} {
			allocs := testing.AllocsPerRun(3, func() {
				_, err = tt.TranslateBatch(context.Background(), in, opts)
			})
			require.NoError(t, err)
			require.LessOrEqual(t, allocs, float64(3+2*tt.Parallelism()), "beam %d, %d sentences", beam, len(in))
		}

		s, err := tt.NewStream(opts)
		require.NoError(t, err)
		answered, nonEmpty := 0, 0
		result := func(out string, err error) {
			answered++
			if out != "" {
				nonEmpty++
			}
		}
		stream := func() {
			answered, nonEmpty = 0, 0
			for next := 0; answered < len(many); s.Step() {
				for ; next < len(many) && s.Room() > 0; next++ {
					s.Add(context.Background(), many[next], result)
				}
			}
		}
		stream() // warm
		allocs := testing.AllocsPerRun(2, stream)
		s.Close()
		require.Greater(t, nonEmpty, len(many)/2, "beam %d", beam)
		require.LessOrEqual(t, allocs, float64(nonEmpty), "beam %d: a Stream allocates a translation's string only", beam)
	}
}

// TestReplicaEncoderArena: an inference replica's small arena (encoder blocks sharing
// memory with the block two before) encodes bit for bit as the model does, three
// layers deep, post- and pre-LN; it holds less than the training arena and refuses a
// decoder batch.
func TestReplicaEncoderArena(t *testing.T) {
	for _, preLN := range []bool{false, true} {
		cfg := tinyModelConfig("encdec")
		cfg.EncLayers, cfg.PreLN, cfg.MaxLen = 3, preLN, 12
		m := scaledModel(t, cfg, 3)
		src := []int32{3, 4, 5, 6, 2, 7, 8, 2, 0, 0}
		m.Training = false
		m.Reserve(len(src), 1)
		want := append([]float32(nil), m.encode(src, 2, 5)...)
		r := m.replica()
		r.Reserve(len(src), 1)
		got := r.encode(src, 2, 5)
		require.Equal(t, want, got, "preLN=%v", preLN)
		require.Less(t, len(r.acts), len(m.acts)/2, "preLN=%v", preLN)
		require.Panics(t, func() { r.Reserve(len(src), 2) })
	}
}
