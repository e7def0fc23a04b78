package bench

import (
	"context"
	"fmt"
	"os"
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

// BenchmarkStream: the serving decoder without the network. One op translates every
// source of the test split (as BenchmarkTranslate) through one train.Stream of 32
// places on one thread, in the split's order, a sentence joining whenever a place is
// free (as serve's decoder does with a full queue), and reports sentences/s and the
// thread's cpu-ns/op beside BenchmarkTranslate's batch=32/threads=1 (offline
// TranslateBatch), whose cpu-ns/op is the bar: the serving decoder's extra CPU a
// sentence is the ratio of the two. join=N adds sentences only once N places are free
// (or the stream is empty, or fewer than N sentences remain), so that they are encoded
// N or more at a time: the encoder's products grow, the running batch empties a little.
// Greedy and beam 4, every checkpoint of BKM_TRANSLATE_CHECKPOINTS (sub-benchmarks
// ckpt=NAME/mode=…/join=N).
func BenchmarkStream(b *testing.B) {
	src := translatebench.Sources(b)
	defer simd.SetThreads(simd.Threads())
	for _, ck := range translatebench.Checkpoints(b, translatebench.DefaultCheckpoints) {
		for _, mode := range []struct {
			name string
			beam int
		}{{"greedy", 1}, {"beam4", 4}} {
			for _, join := range []int{1, 4} {
				b.Run(fmt.Sprintf("ckpt=%s/mode=%s/join=%d", ck.Name, mode.name, join), func(b *testing.B) {
					if _, err := os.Stat(ck.Path); err != nil {
						b.Skipf("checkpoint %s: %v (set BKM_TRANSLATE_CHECKPOINTS=name=path,...)", ck.Name, err)
					}
					tr, err := train.OpenTranslator(ck.Path, 1)
					if err != nil {
						b.Fatal(err)
					}
					simd.SetThreads(1)
					opts := train.TranslateOptions{Beam: mode.beam, LenPenalty: 1, MaxSentences: 32}
					stream(b, tr, src, opts, join)
				})
			}
		}
	}
}

// stream times b.N passes of src through one Stream (after one to warm it up), adding
// sentences join places at a time, in the calling thread's CPU time as well.
func stream(b *testing.B, tr *train.Translator, src []string, opts train.TranslateOptions, join int) {
	s, err := tr.NewStream(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	failed := error(nil)
	done := 0
	result := func(_ string, err error) {
		if err != nil && failed == nil {
			failed = err
		}
		done++
	}
	pass := func() {
		done = 0
		for next := 0; done < len(src); {
			if s.Room() >= min(join, len(src)-next) || s.Len() == 0 {
				for next < len(src) && s.Room() > 0 {
					s.Add(ctx, src[next], result)
					next++
				}
			}
			s.Step()
		}
		if failed != nil {
			b.Fatal(failed)
		}
	}
	pass()
	b.ReportAllocs()
	b.ResetTimer()
	clock := cpuclock.Start()
	for i := 0; i < b.N; i++ {
		pass()
	}
	clock.Report(b, 0)
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(src))/b.Elapsed().Seconds(), "sentences/s")
	runtime.KeepAlive(s)
}
