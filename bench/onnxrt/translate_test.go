//go:build ort

package onnxrt

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kernelmachines/bkm/onnx"
	"github.com/kernelmachines/bkm/onnx/ortpeer"
	"github.com/kernelmachines/bkm/train"
)

// BenchmarkTranslate: issue 19's ONNX Runtime peer. One op translates every source of
// the test split (the text before the tab of each line of BKM_TRANSLATE_TSV, default
// /tmp/bible/test.tsv) with ortpeer.Runtime.Translate — train.Translator's batching and
// search rules over the exported encoder and decoder-step graphs — greedily or with
// beam 4 (length penalty 1), batch 1 or 32 sentences, with 1 or 2 intra-op threads, for
// each checkpoint of BKM_TRANSLATE_CHECKPOINTS (name=path pairs, comma-separated;
// default readme=/work/ckpt/readme/checkpoint.bkm,bible=/work/ckpt/bible-edp/checkpoint.bkm),
// exported once into a temporary directory. BKM_ORT_LIB names libonnxruntime.so. It
// reports sentences/s and tokens/s (output tokens, EOS excluded) under the names
// impl=ort/ckpt=NAME/mode=greedy|beam4/batch=N/threads=T.
func BenchmarkTranslate(b *testing.B) {
	lib := os.Getenv("BKM_ORT_LIB")
	if lib == "" {
		b.Skip("BKM_ORT_LIB is not set: the path of libonnxruntime.so")
	}
	if err := ortpeer.Init(lib); err != nil {
		b.Fatal(err)
	}
	tsv := os.Getenv("BKM_TRANSLATE_TSV")
	if tsv == "" {
		tsv = "/tmp/bible/test.tsv"
	}
	data, err := os.ReadFile(tsv)
	if err != nil {
		b.Skipf("no test split (%v): run scripts/bible-corpus.sh /tmp/bible or set BKM_TRANSLATE_TSV", err)
	}
	var src []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		s, _, _ := strings.Cut(line, "\t")
		src = append(src, s)
	}
	ckpts := os.Getenv("BKM_TRANSLATE_CHECKPOINTS")
	if ckpts == "" {
		ckpts = "readme=/work/ckpt/readme/checkpoint.bkm,bible=/work/ckpt/bible-edp/checkpoint.bkm"
	}
	for _, pair := range strings.Split(ckpts, ",") {
		name, path, ok := strings.Cut(pair, "=")
		if !ok {
			b.Fatalf("BKM_TRANSLATE_CHECKPOINTS: %q is not name=path", pair)
		}
		dir := filepath.Join(b.TempDir(), name)
		exported := false
		for _, mode := range []struct {
			name string
			beam int
		}{{"greedy", 1}, {"beam4", 4}} {
			for _, batch := range []int{1, 32} {
				for _, threads := range []int{1, 2} {
					b.Run(fmt.Sprintf("impl=ort/ckpt=%s/mode=%s/batch=%d/threads=%d", name, mode.name, batch, threads), func(b *testing.B) {
						if _, err := os.Stat(path); err != nil {
							b.Skipf("checkpoint %s: %v (set BKM_TRANSLATE_CHECKPOINTS=name=path,...)", name, err)
						}
						if !exported {
							if _, err := onnx.ExportCheckpoint(dir, path); err != nil {
								b.Fatal(err)
							}
							exported = true
						}
						r, err := ortpeer.Open(dir, threads)
						if err != nil {
							b.Fatal(err)
						}
						defer r.Close()
						translate(b, r, src, mode.beam, batch)
					})
				}
			}
		}
	}
}

// translate times b.N translations of src, after warming the sessions on its first
// sentences.
func translate(b *testing.B, r *ortpeer.Runtime, src []string, beam, batch int) {
	if _, _, err := r.Translate(src[:min(len(src), 64)], beam, 1, batch, train.DefaultMaxTokens); err != nil {
		b.Fatal(err)
	}
	tokens := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, n, err := r.Translate(src, beam, 1, batch, train.DefaultMaxTokens)
		if err != nil {
			b.Fatal(err)
		}
		tokens += n
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*len(src))/sec, "sentences/s")
	b.ReportMetric(float64(tokens)/sec, "tokens/s")
}
