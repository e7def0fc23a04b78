package train

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTokenize13a(t *testing.T) {
	for in, want := range map[string]string{
		"Price: $3,000.50 (approx.) - e-mail&amp;more": "Price : $ 3,000.50 ( approx . ) - e-mail & more",
		"It wasn't surprising.":                        "It wasn't surprising .",
		"1990-2000, a,b.c":                             "1990 - 2000 , a , b . c",
		"  tabs\tand\nnew-\nlines ":                    "tabs and newlines", // "-\n" joins the word,
		"&quot;quoted&quot; <x>":                       `" quoted " < x >`,
	} {
		require.Equal(t, want, Tokenize13a(in), in)
	}
}

func TestCorpusBLEUVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/bleu_vectors.json")
	require.NoError(t, err)
	var vec struct {
		Cases []struct {
			Name   string
			Hyps   []string
			Refs   [][]string
			BLEU   float64 `json:"bleu"`
			String string
		}
	}
	require.NoError(t, json.Unmarshal(b, &vec))
	require.Len(t, vec.Cases, 6)
	for _, c := range vec.Cases {
		s, err := CorpusBLEU(c.Hyps, c.Refs)
		require.NoError(t, err)
		require.InDelta(t, c.BLEU, s.Score, 0.01, "%s: %v", c.Name, s)
		if c.String != "" {
			require.Equal(t, c.String, s.String())
		}
	}
	_, err = CorpusBLEU([]string{"a"}, [][]string{{"a", "b"}})
	require.ErrorContains(t, err, "reference stream 0 has 2 sentences")
}
