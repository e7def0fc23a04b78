package bench

import (
	"context"
	"runtime"
	"testing"

	"github.com/kernelmachines/bkm/internal/cpuclock"
	"github.com/kernelmachines/bkm/internal/translatebench"
	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

// BenchmarkTranslate: issue 14's decoding speed. One op translates every source of
// the test split (translatebench.Sources: BKM_TRANSLATE_TSV, default
// /tmp/bible/test.tsv) with train.Translator.TranslateBatch in each case of
// translatebench.Run: every checkpoint of BKM_TRANSLATE_CHECKPOINTS, greedily or with
// beam 4 (length penalty 1, the Translator's default length limit), batch 1 or 32
// sentences, on 1 or 2 threads. It reports
//
//	sentences/s   sentences translated per second
//	tokens/s      output tokens (EOS excluded) per second
//	allocs/token  heap allocations per output token (the per-sentence ones — the
//	              tokenized source, the translated string — included)
//	allocs/sentence  the same per sentence
//	cpu-ns/op     at 1 thread, the benchmark thread's CPU time per op
//	              (internal/cpuclock): on a busy machine, the time waited for a core
//	              left out
//
// The sub-benchmark names, impl=bkm/ckpt=NAME/mode=greedy|beam4/batch=N/threads=T,
// are the ones bench/torch_translate.py and the ONNX Runtime peer print, so the
// three read side by side. Skipped with a message when the split or a checkpoint is missing.
func BenchmarkTranslate(b *testing.B) {
	src := translatebench.Sources(b)
	defer simd.SetThreads(simd.Threads())
	translatebench.Run(b, "bkm", func(b *testing.B, c translatebench.Case) {
		tr, err := train.OpenTranslator(c.Path, c.Threads)
		if err != nil {
			b.Fatal(err)
		}
		simd.SetThreads(c.Threads)
		translate(b, tr, src, train.TranslateOptions{Beam: c.Beam, LenPenalty: 1, MaxSentences: c.Batch}, c.Threads == 1)
	})
}

// translate times b.N translations of src by tr (after one to warm its buffers); with
// cpu, all on the calling thread, also in that thread's CPU time.
func translate(b *testing.B, tr *train.Translator, src []string, opts train.TranslateOptions, cpu bool) {
	ctx := context.Background()
	_, st, err := tr.TranslateBatchStats(ctx, src, opts)
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	runtime.ReadMemStats(&before)
	var clock cpuclock.Clock
	if cpu {
		clock = cpuclock.Start()
	}
	for i := 0; i < b.N; i++ {
		if _, _, err := tr.TranslateBatchStats(ctx, src, opts); err != nil {
			b.Fatal(err)
		}
	}
	if cpu {
		clock.Report(b, 0)
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
