// Package translatebench is the environment of the translation benchmarks (bench's
// BenchmarkTranslate, bench/onnxrt's ONNX Runtime peer) and of onnx/ortpeer's parity
// test: the test split (BKM_TRANSLATE_TSV), the trained checkpoints
// (BKM_TRANSLATE_CHECKPOINTS) and the matrix of sub-benchmarks, named
//
//	impl=IMPL/ckpt=NAME/mode=greedy|beam4/batch=N/threads=T
//
// as bench/torch_translate.py names its own, so the implementations read side by side.
// Only tests import it; it imports train (the corpus reader).
package translatebench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/kernelmachines/bkm/train"
)

// DefaultCheckpoints are the benchmarks' checkpoints when BKM_TRANSLATE_CHECKPOINTS is
// unset: the README's model and the Bible recipe's.
const DefaultCheckpoints = "readme=/work/ckpt/readme/checkpoint.bkm,bible=/work/ckpt/bible-edp/checkpoint.bkm"

// Sources returns the source side of the test split BKM_TRANSLATE_TSV (default
// /tmp/bible/test.tsv, from scripts/bible-corpus.sh), read with train.ReadTSVText. A
// missing file skips tb; a file that is not a corpus fails it.
func Sources(tb testing.TB) []string {
	path := os.Getenv("BKM_TRANSLATE_TSV")
	if path == "" {
		path = "/tmp/bible/test.tsv"
	}
	pairs, err := train.ReadTSVText(path)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Skipf("no test split (%v): run scripts/bible-corpus.sh /tmp/bible or set BKM_TRANSLATE_TSV", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	src, _ := train.SplitPairs(pairs)
	return src
}

// Checkpoint is one name=path pair of BKM_TRANSLATE_CHECKPOINTS.
type Checkpoint struct{ Name, Path string }

// Checkpoints parses BKM_TRANSLATE_CHECKPOINTS (name=path pairs, comma-separated), or
// def when the variable is unset; an unset variable and an empty def skip tb.
func Checkpoints(tb testing.TB, def string) []Checkpoint {
	env := os.Getenv("BKM_TRANSLATE_CHECKPOINTS")
	if env == "" {
		env = def
	}
	if env == "" {
		tb.Skip("BKM_TRANSLATE_CHECKPOINTS is not set (name=path,...)")
	}
	var out []Checkpoint
	for _, pair := range strings.Split(env, ",") {
		name, path, ok := strings.Cut(pair, "=")
		if !ok {
			tb.Fatalf("BKM_TRANSLATE_CHECKPOINTS: %q is not name=path", pair)
		}
		out = append(out, Checkpoint{name, path})
	}
	return out
}

// Case is one sub-benchmark of the matrix: beam 1 (greedy) or 4 with length penalty 1,
// batches of 1 or 32 sentences, 1 or 2 threads.
type Case struct {
	Checkpoint
	Beam, Batch, Threads int
}

// Run runs bench as one sub-benchmark of b per checkpoint of
// BKM_TRANSLATE_CHECKPOINTS (default DefaultCheckpoints) and case, named with impl;
// a sub-benchmark whose checkpoint file is missing is skipped.
func Run(b *testing.B, impl string, bench func(b *testing.B, c Case)) {
	for _, ck := range Checkpoints(b, DefaultCheckpoints) {
		for _, mode := range []struct {
			name string
			beam int
		}{{"greedy", 1}, {"beam4", 4}} {
			for _, batch := range []int{1, 32} {
				for _, threads := range []int{1, 2} {
					name := fmt.Sprintf("impl=%s/ckpt=%s/mode=%s/batch=%d/threads=%d", impl, ck.Name, mode.name, batch, threads)
					b.Run(name, func(b *testing.B) {
						if _, err := os.Stat(ck.Path); err != nil {
							b.Skipf("checkpoint %s: %v (set BKM_TRANSLATE_CHECKPOINTS=name=path,...)", ck.Name, err)
						}
						bench(b, Case{ck, mode.beam, batch, threads})
					})
				}
			}
		}
	}
}
