//go:build ort

package onnxrt

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/internal/translatebench"
	"github.com/kernelmachines/bkm/onnx"
	"github.com/kernelmachines/bkm/onnx/ortpeer"
	"github.com/kernelmachines/bkm/train"
)

// BenchmarkTranslate: issue 19's ONNX Runtime peer. One op translates every source of
// the test split with ortpeer.Runtime.Translate — train.Translator's batching and
// search rules over the exported encoder and decoder-step graphs — in each case of
// translatebench.Run (checkpoints, greedy or beam 4, batch 1 or 32 sentences, 1 or 2
// intra-op threads), each checkpoint exported once into a temporary directory.
// BKM_ORT_LIB names libonnxruntime.so. It reports sentences/s and tokens/s (output
// tokens, EOS excluded) under the names impl=ort/ckpt=NAME/mode=greedy|beam4/batch=N/threads=T.
func BenchmarkTranslate(b *testing.B) {
	lib := os.Getenv("BKM_ORT_LIB")
	if lib == "" {
		b.Skip("BKM_ORT_LIB is not set: the path of libonnxruntime.so")
	}
	if err := ortpeer.Init(lib); err != nil {
		b.Fatal(err)
	}
	src := translatebench.Sources(b)
	root := b.TempDir()
	exported := map[string]bool{} // the checkpoints exported under root
	translatebench.Run(b, "ort", func(b *testing.B, c translatebench.Case) {
		dir := filepath.Join(root, c.Name)
		if !exported[c.Name] {
			if _, err := onnx.ExportCheckpoint(dir, c.Path); err != nil {
				b.Fatal(err)
			}
			exported[c.Name] = true
		}
		r, err := ortpeer.Open(dir, c.Threads)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		translate(b, r, src, c.Beam, c.Batch)
	})
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
