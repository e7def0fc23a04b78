package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tinyCheckpoint is a valid checkpoint of a very small language model (vocab 11, a few
// hundred parameters), the seed the crafted and fuzzed files start from.
func tinyCheckpoint(t testing.TB) []byte {
	cfg := DefaultConfig()
	cfg.Model = tinyModelConfig("decoder")
	cfg.Model.DecLayers = 1
	cfg.Data = DataConfig{Batch: 1, Context: 4}
	cfg.Threads = 1
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "tiny.bkm")
	require.NoError(t, tr.Save(path, DataState{Epoch: 1, Next: 2}, nil))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// craftCheckpoint rebuilds a checkpoint around header JSON js and arena bytes, with
// the header-length field hl and a correct checksum: a file whose checksum cannot
// catch what is wrong with it.
func craftCheckpoint(js []byte, hl uint64, arenas []byte) []byte {
	b := []byte(checkpointMagic)
	b = binary.LittleEndian.AppendUint32(b, checkpointVersion)
	b = binary.LittleEndian.AppendUint64(b, hl)
	b = append(append(b, js...), arenas...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// splitCheckpoint returns a valid checkpoint's header (decoded) and its arena bytes.
func splitCheckpoint(t testing.TB, b []byte) (map[string]any, []byte) {
	hl := binary.LittleEndian.Uint64(b[12:])
	var hdr map[string]any
	require.NoError(t, json.Unmarshal(b[20:20+hl], &hdr))
	return hdr, b[20+hl : len(b)-sha256.Size]
}

// TestCheckpointCraftedHeaders: length and count fields that lie, with the checksum
// made to match, are errors naming the field (they used to panic: "slice bounds out of
// range" for a header length near the file size, "makeslice: len out of range" for a
// num_params whose ×12 overflows).
func TestCheckpointCraftedHeaders(t *testing.T) {
	good := tinyCheckpoint(t)
	hdr, arenas := splitCheckpoint(t, good)
	hl := binary.LittleEndian.Uint64(good[12:])
	js := good[20 : 20+hl]
	edit := func(f func(h map[string]any)) []byte {
		var h map[string]any
		require.NoError(t, json.Unmarshal(js, &h))
		f(h)
		out, err := json.Marshal(h)
		require.NoError(t, err)
		return craftCheckpoint(out, uint64(len(out)), arenas)
	}
	tensors := func(h map[string]any) map[string]any { return h["tensors"].([]any)[0].(map[string]any) }
	model := func(h map[string]any) map[string]any {
		return h["config"].(map[string]any)["model"].(map[string]any)
	}
	n := int(hdr["num_params"].(float64))
	for _, tc := range []struct {
		name string
		file []byte
		msg  string
	}{
		{"header length near the file size", func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint64(b[12:], uint64(len(b)-5))
			return b
		}(), "header length field (byte 12) claims"},
		{"header length 2^64-1", craftCheckpoint(js, ^uint64(0), arenas), "header length field (byte 12) claims"},
		{"num_params ×12 overflows", edit(func(h map[string]any) { h["num_params"] = 768614336404564651 }), "num_params = 768614336404564651"},
		{"num_params negative", edit(func(h map[string]any) { h["num_params"] = -1 }), "num_params = -1"},
		{"num_params smaller than the arenas", edit(func(h map[string]any) { h["num_params"] = n - 1 }), "trailing bytes"},
		{"tensor past the arena", edit(func(h map[string]any) { tensors(h)["offset"] = n }), "tensors[0]"},
		{"tensor shape overflows", edit(func(h map[string]any) { tensors(h)["shape"] = []int{1 << 40, 1 << 40} }), "does not fit num_params"},
		{"tensor negative dimension", edit(func(h map[string]any) { tensors(h)["shape"] = []int{-4, 8} }), "does not fit num_params"},
		{"tensors do not cover the arena", edit(func(h map[string]any) { h["tensors"] = h["tensors"].([]any)[:1] }), "the tensors cover"},
		{"bad config", edit(func(h map[string]any) { model(h)["d_model"] = 100000 }), "config: model.d_model = 100000"},
		{"negative steps", edit(func(h map[string]any) { h["steps"] = -3 }), "steps = -3"},
		{"tokenizer larger than the vocabulary", edit(func(h map[string]any) { h["tokenizer"] = map[string]any{"kind": "byte"} }),
			"tokenizer has 259 tokens, more than config.model.vocab = 11"},
		{"unknown tokenizer", edit(func(h map[string]any) { h["tokenizer"] = map[string]any{"kind": "wordpiece"} }), `tokenizer.kind = "wordpiece"`},
	} {
		_, _, _, err := parseCheckpoint("crafted.bkm", tc.file)
		require.ErrorIs(t, err, ErrCheckpoint, tc.name)
		require.ErrorContains(t, err, tc.msg, tc.name)
		require.ErrorContains(t, err, "crafted.bkm", tc.name)
	}
	_, _, _, err := parseCheckpoint("good.bkm", good)
	require.NoError(t, err)
}

// TestBPERejectsExplodingMerges: each merge of a token with itself doubles its
// length; 40 of them used to ask NewBPE for 2^40 bytes.
func TestBPERejectsExplodingMerges(t *testing.T) {
	merges := [][2]int32{{'a', 'a'}}
	for i := int32(0); i < 40; i++ {
		merges = append(merges, [2]int32{bpeFirst + i, bpeFirst + i})
	}
	_, err := NewBPE(merges)
	require.ErrorContains(t, err, "bytes in all")
}

// TestSaveRemovesStaleTemps: the temporary files of a save killed before its rename
// (kill -9) are removed by the next save to that path — only files named exactly like
// os.CreateTemp's and older than this process.
func TestSaveRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	old := processStart.Add(-time.Hour)
	touch := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("partial"), 0o644))
		require.NoError(t, os.Chtimes(p, mtime, mtime))
		return p
	}
	stale := touch("ck.bkm.tmp-123456789", old)
	kept := []string{
		touch("ck.bkm.tmp-987654321", time.Now().Add(time.Hour)), // a save in progress elsewhere
		touch("ck.bkm.tmp-12ab", old),                            // not CreateTemp's digits
		touch("ck.bkm.tmp-", old),                                // no digits
		touch("other.bkm.tmp-123456789", old),                    // another checkpoint's
		touch("ck.bkm.tmp-123456789.txt", old),                   // not the exact pattern
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "ck.bkm.tmp-42"), 0o755)) // a directory
	cfg := DefaultConfig()
	cfg.Model = tinyModelConfig("decoder")
	cfg.Data = DataConfig{Batch: 1, Context: 4}
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	require.NoError(t, tr.Save(filepath.Join(dir, "ck.bkm"), DataState{}, nil))
	require.NoFileExists(t, stale)
	for _, p := range kept {
		require.FileExists(t, p)
	}
	require.DirExists(t, filepath.Join(dir, "ck.bkm.tmp-42"))
	require.FileExists(t, filepath.Join(dir, "ck.bkm"))
}

// withChecksum replaces the last 32 bytes of b by the checksum of the rest, so that
// the fuzzer's mutations reach the checks behind the checksum.
func withChecksum(b []byte) []byte {
	if len(b) < sha256.Size {
		return b
	}
	body := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(body)
	return append(append([]byte(nil), body...), sum[:]...)
}

// FuzzReadCheckpoint: no input panics the checkpoint reader; whatever it accepts is
// consistent (arena sizes, tokenizer) and, for small models, restores into a trainer.
// The seed corpus (testdata/fuzz/FuzzReadCheckpoint) holds a valid tiny checkpoint,
// truncations of it and crafted headers.
func FuzzReadCheckpoint(f *testing.F) {
	f.Add(tinyCheckpoint(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, withChecksum(b)} {
			hdr, params, state, err := parseCheckpoint("fuzz.bkm", in)
			if err != nil {
				require.ErrorIs(t, err, ErrCheckpoint)
				continue
			}
			require.Len(t, params, hdr.NumParams)
			require.Len(t, state, 2*hdr.NumParams)
			if hdr.Tokenizer != nil {
				if tok, err := hdr.Tokenizer.Tokenizer(); err == nil {
					require.LessOrEqual(t, tok.VocabSize(), hdr.Config.Model.Vocab)
				}
			}
			if hdr.Config.Memory().Total() > 64<<20 {
				continue
			}
			cfg := hdr.Config
			cfg.Threads = 1
			tr, err := NewTrainer(cfg)
			require.NoError(t, err, "the header's config passed Validate")
			if err := tr.restore("fuzz.bkm", hdr, params, state); err == nil {
				require.True(t, slices.EqualFunc(params, tr.Model.Params, func(x, y float32) bool {
					return math.Float32bits(x) == math.Float32bits(y)
				}), "restored parameters")
			}
		}
	})
}
