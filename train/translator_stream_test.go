package train

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStreamMatchesTranslate: sentences joining a Stream while others decode, a few
// at a time and whenever there is room, get Translate's translation for each alone,
// greedy and beam 4, with caches (edp) and with feature sums (linear); a sentence
// whose context ends stops with its error and the others finish.
func TestStreamMatchesTranslate(t *testing.T) {
	for _, kernel := range []string{"edp", "linear"} {
		t.Run(kernel, func(t *testing.T) { testStreamMatchesTranslate(t, kernel) })
	}
}

func testStreamMatchesTranslate(t *testing.T, kernel string) {
	// Large weights: its outputs vary with the position (the trained one repeats a token).
	cfg := tinyModelConfig("encdec")
	cfg.Vocab, cfg.DModel, cfg.Heads, cfg.FFN, cfg.MaxLen, cfg.Kernel = 300, 32, 4, 64, 40, kernel
	m := scaledModel(t, cfg, 3)
	tt, err := NewTranslator(m, ByteTokenizer{})
	require.NoError(t, err)
	src := translatorSources()
	for _, beam := range []int{1, 4} {
		want := translateAlone(t, m, src, beam, 1.2)
		require.Greater(t, len(distinctTokens(want)), 8, "the outputs should vary with the position: %q", want)
		s, err := tt.NewStream(TranslateOptions{Beam: beam, LenPenalty: 1.2, MaxSentences: 3})
		require.NoError(t, err)
		got := make([]string, len(src))
		errs := make([]error, len(src))
		answered := 0
		gone, leave := context.WithCancel(context.Background())
		defer leave()
		next, steps := 0, 0
		for answered < len(src) {
			// Join one at a time every other step, so the sentences are at different positions.
			if next < len(src) && s.Room() > 0 && steps%2 == 0 {
				i := next
				ctx := context.Background()
				if i == 5 {
					ctx = gone
				}
				s.Add(ctx, src[i], func(out string, err error) { got[i], errs[i] = out, err; answered++ })
				next++
			}
			if next == 7 {
				leave()
			}
			st := s.Step()
			require.Equal(t, steps+1, st.Steps)
			require.LessOrEqual(t, s.Len(), 3)
			steps++
		}
		s.Close()
		for i := range src {
			if i == 5 {
				require.ErrorIs(t, errs[i], context.Canceled)
				continue
			}
			require.NoError(t, errs[i], "sentence %d", i)
			require.Equal(t, want[i], got[i], "beam %d, sentence %d", beam, i)
		}
	}
}

// TestStreamClose: Close answers the queued and decoding sentences with
// ErrStreamClosed, and the worker translates as before afterwards.
func TestStreamClose(t *testing.T) {
	_, tt := trainedTranslator(t)
	s, err := tt.NewStream(TranslateOptions{MaxSentences: 2})
	require.NoError(t, err)
	var errs []error
	for _, src := range []string{"The fox.", "a quiet river"} {
		s.Add(context.Background(), src, func(_ string, err error) { errs = append(errs, err) })
	}
	require.Zero(t, s.Room())
	require.Panics(t, func() { s.Add(context.Background(), "x", nil) })
	s.Step()
	s.Close()
	require.Len(t, errs, 2)
	for _, err := range errs {
		require.ErrorIs(t, err, ErrStreamClosed)
	}
	src := translatorSources()
	want, err := tt.TranslateBatch(context.Background(), src, TranslateOptions{MaxSentences: 1})
	require.NoError(t, err)
	got, err := tt.TranslateBatch(context.Background(), src, TranslateOptions{})
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// distinctTokens is the set of bytes in the strings.
func distinctTokens(strs []string) map[byte]bool {
	set := map[byte]bool{}
	for _, s := range strs {
		for i := range len(s) {
			set[s[i]] = true
		}
	}
	return set
}

// translateAlone is Translate of each source alone.
func translateAlone(t *testing.T, m *Model, src []string, beam int, lp float64) []string {
	t.Helper()
	out := make([]string, len(src))
	for i, s := range src {
		var err error
		out[i], err = Translate(m, ByteTokenizer{}, s, beam, lp)
		require.NoError(t, err)
	}
	return out
}
