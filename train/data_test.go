package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestBPE(t *testing.T) {
	text := syntheticCorpus(400, 3)
	a, err := TrainBPE(text, 400)
	require.NoError(t, err)
	b, err := TrainBPE(text, 400)
	require.NoError(t, err)
	require.Equal(t, a.Merges, b.Merges, "training is deterministic")
	require.Equal(t, 400, a.VocabSize())
	ids := a.Encode(text)
	require.Equal(t, text, a.Decode(ids), "round trip")
	require.Less(t, len(ids), len(text)/3, "merges compress the corpus")
	// Unseen text (and bytes) still round-trips.
	odd := "Zebra ¿qué? 123\t\x01"
	require.Equal(t, odd, a.Decode(a.Encode(odd)))
	// Saved and reloaded through its spec.
	tok, err := Spec(a).Tokenizer()
	require.NoError(t, err)
	require.Equal(t, ids, tok.Encode(text))
	_, err = NewBPE([][2]int32{{300, 1}})
	require.ErrorContains(t, err, "not an earlier token")
	require.Equal(t, []string{"Hello", ",", " world", ".", " ", " a1", "\n"}, bpeWords("Hello, world.  a1\n"))
}

// TestTokenizerAppend: AppendEncode and AppendDecode extend their buffer with what
// Encode and Decode return, keeping what it held, and allocate nothing when it has room.
func TestTokenizerAppend(t *testing.T) {
	bpe, err := TrainBPE(syntheticCorpus(200, 5), 350)
	require.NoError(t, err)
	texts := []string{"", "a", "Zebra ¿qué? 123\t\x01", syntheticCorpus(3, 9), "  two  spaces "}
	for _, tok := range []AppendTokenizer{ByteTokenizer{}, bpe} {
		ids := make([]int32, 0, 1024)
		text := make([]byte, 0, 1024)
		for _, s := range texts {
			want := tok.Encode(s)
			got := tok.AppendEncode(append(ids[:0], 7, 8), s)
			require.Equal(t, append([]int32{7, 8}, want...), got, "%T %q", tok, s)
			require.Equal(t, "ab"+tok.Decode(want), string(tok.AppendDecode(append(text[:0], "ab"...), want)), "%T %q", tok, s)
			allocs := testing.AllocsPerRun(5, func() {
				ids = tok.AppendEncode(ids[:0], s)
				text = tok.AppendDecode(text[:0], ids)
			})
			if !raceEnabled { // the race detector allocates
				require.Zero(t, allocs, "%T %q", tok, s)
			}
			require.Equal(t, s, string(text), "%T: round trip", tok)
		}
	}
}

func TestReaders(t *testing.T) {
	tok := ByteTokenizer{}
	p := writeFile(t, "ok.tsv", "hola\thello\n\nadiós\tgoodbye\r\n")
	pairs, err := ReadTSV(p, tok)
	require.NoError(t, err)
	require.Len(t, pairs, 2)
	require.Equal(t, "adiós", tok.Decode(pairs[1].Src))
	require.Equal(t, "goodbye", tok.Decode(pairs[1].Tgt))
	for content, msg := range map[string]string{
		"a\tb\nno tab here\n": "bad.tsv:2: no tab",
		"a\tb\tc\n":           "bad.tsv:1: more than one tab",
		"a\tb\n\tb\n":         "bad.tsv:2: empty source side",
		"a\tb\nc\tb\nd\t  \n": "bad.tsv:3: empty target side",
		"a\tb\n\xff\tb\n":     "bad.tsv:2: invalid UTF-8",
		"\n\n":                "bad.tsv: no sentence pairs",
		// A NUL byte means a binary file, in a TSV as in a text corpus.
		"a\tb\nc\x00\td\n": "bad.tsv:2: NUL byte",
		// CR-only line endings: one long line, reported as such (not as extra tabs).
		"a\tb\rc\td\re\tf\r": "bad.tsv:1: carriage return inside a line (CR-only line endings?)",
	} {
		_, err := ReadTSV(writeFile(t, "bad.tsv", content), tok)
		require.ErrorContains(t, err, msg)
	}
	_, err = ReadTSV(filepath.Join(t.TempDir(), "missing.tsv"), tok)
	require.ErrorContains(t, err, "missing.tsv")
	_, err = ReadText(writeFile(t, "bad.txt", "fine\nfine\nbin\x00ary\n"))
	require.ErrorContains(t, err, "bad.txt:3: NUL byte")
	_, err = ReadText(writeFile(t, "empty.txt", ""))
	require.ErrorContains(t, err, "empty.txt: empty corpus")
	s, err := ReadText(writeFile(t, "good.txt", "one\r\ntwo"))
	require.NoError(t, err)
	require.Equal(t, "one\ntwo\n", s)
	_, err = ReadText(writeFile(t, "mac.txt", "one\rtwo\r"))
	require.ErrorContains(t, err, "mac.txt:1: carriage return inside a line")

	lines, err := ReadTextLines(writeFile(t, "lines.txt", "  one \r\n\n\ttwo\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"one", "two"}, lines, "trimmed, blank lines dropped")
	_, err = ParseTextLines("blank.txt", []byte(" \n\n"))
	require.ErrorContains(t, err, "blank.txt: empty corpus")

	tp, err := ParseTSV("x.tsv", []byte("hola\thello\r\n\nsí\tyes"))
	require.NoError(t, err)
	require.Equal(t, []TextPair{{"hola", "hello"}, {"sí", "yes"}}, tp)
	src, tgt := SplitPairs(tp)
	require.Equal(t, []string{"hola", "sí"}, src)
	require.Equal(t, []string{"hello", "yes"}, tgt)
}

func TestPairLoader(t *testing.T) {
	tok := ByteTokenizer{}
	var pairs []Pair
	for i := 0; i < 50; i++ {
		src := syntheticCorpus(1+i%3, uint64(i))
		pairs = append(pairs, Pair{Src: tok.Encode(src), Tgt: tok.Encode(src[:len(src)/2])})
	}
	const maxTokens, maxLen = 400, 120
	l, err := NewPairLoader(pairs, maxTokens, maxLen, BytePad, ByteBOS, ByteEOS, 5)
	require.NoError(t, err)
	seen := 0
	for _, b := range l.Batches() {
		require.LessOrEqual(t, b.B*max(b.S, b.T), maxTokens, "token budget")
		require.LessOrEqual(t, b.S, maxLen)
		require.LessOrEqual(t, b.T, maxLen)
		for r := 0; r < b.B; r++ {
			in, out := b.In[r*b.T:(r+1)*b.T], b.Out[r*b.T:(r+1)*b.T]
			require.Equal(t, ByteBOS, in[0])
			// Teacher forcing: the input is the target shifted right.
			for j := 1; j < b.T; j++ {
				if out[j-1] != ByteEOS && out[j-1] != BytePad {
					require.Equal(t, out[j-1], in[j])
				}
			}
			src := b.Src[r*b.S : (r+1)*b.S]
			n := 0
			for n < len(src) && src[n] != BytePad {
				n++
			}
			require.Equal(t, ByteEOS, src[n-1], "source ends with EOS before its padding")
			for _, id := range src[n:] {
				require.Equal(t, BytePad, id)
			}
		}
		seen += b.B
	}
	require.Equal(t, 50, seen, "every pair is in exactly one batch")

	// Deterministic shuffling, new order every epoch, exact resume from a state.
	order := func(l *PairLoader, n int) []*Batch {
		var out []*Batch
		for i := 0; i < n; i++ {
			out = append(out, l.Next())
		}
		return out
	}
	l2, _ := NewPairLoader(pairs, maxTokens, maxLen, BytePad, ByteBOS, ByteEOS, 5)
	nb := len(l.Batches())
	first := order(l, 2*nb)
	require.Equal(t, first, order(l2, 2*nb))
	require.NotEqual(t, first[:nb], first[nb:], "each epoch reshuffles")
	l3, _ := NewPairLoader(pairs, maxTokens, maxLen, BytePad, ByteBOS, ByteEOS, 5)
	order(l3, 3)
	st := l3.State()
	l4, _ := NewPairLoader(pairs, maxTokens, maxLen, BytePad, ByteBOS, ByteEOS, 5)
	require.NoError(t, l4.SetState(st))
	require.Equal(t, order(l3, nb), order(l4, nb))
	require.Error(t, l4.SetState(DataState{Next: nb + 1}))
}

func TestLMLoader(t *testing.T) {
	tokens := ByteTokenizer{}.Encode(syntheticCorpus(100, 1))
	l, err := NewLMLoader(tokens, 4, 16, 2)
	require.NoError(t, err)
	b := l.Next()
	require.Equal(t, 4, b.B)
	for i := 0; i+1 < len(b.In); i++ {
		if (i+1)%16 != 0 {
			require.Equal(t, b.Out[i], b.In[i+1], "targets are inputs shifted by one")
		}
	}
	_, err = NewLMLoader(tokens[:10], 4, 16, 2)
	require.ErrorContains(t, err, "needs at least 65")
}
