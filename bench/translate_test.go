package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

// BenchmarkTranslate: issue 14's decoding speed. One op translates every source of
// the test split (the text before the tab of each line of BKM_TRANSLATE_TSV, default
// /tmp/bible/test.tsv from scripts/bible-corpus.sh) with train.Translator.TranslateBatch,
// greedily or with beam 4 (length penalty 1, the Translator's default length limit),
// batch 1 or 32 sentences, on 1 or 2 threads, for each checkpoint of
// BKM_TRANSLATE_CHECKPOINTS (name=path pairs, comma-separated; default
// readme=/work/ckpt/readme/checkpoint.bkm,bible=/work/ckpt/bible-edp/checkpoint.bkm).
// It reports
//
//	sentences/s   sentences translated per second
//	tokens/s      output tokens (EOS excluded) per second
//	allocs/token  heap allocations per output token (the per-sentence ones — the
//	              tokenized source, the translated string — included)
//	allocs/sentence  the same per sentence
//
// The sub-benchmark names, impl=bkm/ckpt=NAME/mode=greedy|beam4/batch=N/threads=T,
// are the ones bench/torch_translate.py and the ONNX Runtime peer print, so the
// three read side by side. Skipped with a message when the split or a checkpoint is missing.
func BenchmarkTranslate(b *testing.B) {
	tsv := os.Getenv("BKM_TRANSLATE_TSV")
	if tsv == "" {
		tsv = "/tmp/bible/test.tsv"
	}
	src, err := readSources(tsv)
	if err != nil {
		b.Skipf("no test split (%v): run scripts/bible-corpus.sh /tmp/bible or set BKM_TRANSLATE_TSV", err)
	}
	ckpts := os.Getenv("BKM_TRANSLATE_CHECKPOINTS")
	if ckpts == "" {
		ckpts = "readme=/work/ckpt/readme/checkpoint.bkm,bible=/work/ckpt/bible-edp/checkpoint.bkm"
	}
	defer simd.SetThreads(simd.Threads())
	for _, pair := range strings.Split(ckpts, ",") {
		name, path, ok := strings.Cut(pair, "=")
		if !ok {
			b.Fatalf("BKM_TRANSLATE_CHECKPOINTS: %q is not name=path", pair)
		}
		for _, mode := range []struct {
			name string
			beam int
		}{{"greedy", 1}, {"beam4", 4}} {
			for _, batch := range []int{1, 32} {
				for _, threads := range []int{1, 2} {
					b.Run(fmt.Sprintf("impl=bkm/ckpt=%s/mode=%s/batch=%d/threads=%d", name, mode.name, batch, threads), func(b *testing.B) {
						if _, err := os.Stat(path); err != nil {
							b.Skipf("checkpoint %s: %v (set BKM_TRANSLATE_CHECKPOINTS=name=path,...)", name, err)
						}
						tr, err := train.OpenTranslator(path, threads)
						if err != nil {
							b.Fatal(err)
						}
						simd.SetThreads(threads)
						opts := train.TranslateOptions{Beam: mode.beam, LenPenalty: 1, MaxSentences: batch}
						translate(b, tr, src, opts)
					})
				}
			}
		}
	}
}

// translate times b.N translations of src by tr (after one to warm its buffers).
func translate(b *testing.B, tr *train.Translator, src []string, opts train.TranslateOptions) {
	ctx := context.Background()
	_, st, err := tr.TranslateBatchStats(ctx, src, opts)
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	runtime.ReadMemStats(&before)
	for i := 0; i < b.N; i++ {
		if _, _, err := tr.TranslateBatchStats(ctx, src, opts); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	b.StopTimer()
	sec := b.Elapsed().Seconds()
	n := float64(b.N)
	allocs := float64(after.Mallocs - before.Mallocs)
	b.ReportMetric(n*float64(len(src))/sec, "sentences/s")
	b.ReportMetric(n*float64(st.OutputTokens)/sec, "tokens/s")
	b.ReportMetric(allocs/(n*float64(st.OutputTokens)), "allocs/token")
	b.ReportMetric(allocs/(n*float64(len(src))), "allocs/sentence")
}

// readSources returns the text before the tab of every line of the .tsv at path.
func readSources(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var src []string
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		s, _, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("%s:%d: no tab", path, i+1)
		}
		src = append(src, s)
	}
	return src, nil
}
