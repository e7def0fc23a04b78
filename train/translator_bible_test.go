package train

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTranslateBatchBible is issue 14's equivalence check on real data, run by hand:
//
//	scripts/bible-corpus.sh /tmp/bible
//	BKM_BIBLE_TEST=/tmp/bible/test.tsv BKM_BIBLE_CHECKPOINT=/path/checkpoint.bkm \
//	  go test ./train/ -run TestTranslateBatchBible -v -timeout 60m
//
// With one thread it translates every source of the split (the text before the tab
// of each line) sentence at a time with Translate, then with TranslateBatch at batch
// 1 and 32, greedy and beam 4, and requires the same translation for every sentence.
// The wall time of each mode is logged for bench/RESULTS.md (take it from a quiet
// machine; the suites in bench/ are the benchmarks). Skipped unless both variables are set.
func TestTranslateBatchBible(t *testing.T) {
	tsv, ckpt := os.Getenv("BKM_BIBLE_TEST"), os.Getenv("BKM_BIBLE_CHECKPOINT")
	if tsv == "" || ckpt == "" {
		t.Skip("set BKM_BIBLE_TEST (a test.tsv of scripts/bible-corpus.sh) and BKM_BIBLE_CHECKPOINT")
	}
	data, err := os.ReadFile(tsv)
	require.NoError(t, err)
	var src []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		es, _, ok := strings.Cut(line, "\t")
		require.True(t, ok, "%s: line without a tab: %q", tsv, line)
		src = append(src, es)
	}
	tt, err := OpenTranslator(ckpt, 1)
	require.NoError(t, err)
	for _, beam := range []int{1, 4} {
		const lp = 1.0
		start := time.Now()
		want := make([]string, len(src))
		for i, s := range src {
			want[i], err = Translate(tt.Model(), tt.tok, s, beam, lp)
			require.NoError(t, err)
		}
		t.Logf("beam %d: Translate, sentence at a time: %d sentences in %v", beam, len(src), time.Since(start))
		for _, batch := range []int{1, 32} {
			start := time.Now()
			got, err := tt.TranslateBatch(context.Background(), src, TranslateOptions{Beam: beam, LenPenalty: lp, MaxSentences: batch})
			took := time.Since(start)
			require.NoError(t, err)
			equal := 0
			for i := range src {
				if got[i] == want[i] {
					equal++
				} else if equal+5 > i { // the first few differences, to see them
					t.Logf("beam %d batch %d: sentence %d: %q, alone %q", beam, batch, i, got[i], want[i])
				}
			}
			t.Logf("beam %d: TranslateBatch, batch %d: %d sentences in %v; %d/%d equal to Translate", beam, batch, len(src), took, equal, len(src))
			assert.Equal(t, len(src), equal, "beam %d batch %d: translations differing from Translate", beam, batch)
		}
	}
}
