package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kernelmachines/bkm/internal/atomicfile"
)

// Checkpoint file format, version 1 (all integers little-endian):
//
//	magic    8 bytes  "BKMCKPT\n"
//	version  uint32   1
//	hdrLen   uint64   length of the JSON header
//	header   JSON     CheckpointHeader
//	params   float32 × N   parameter arena
//	moments  float32 × 2N  AdamW first then second moments
//	sha256   32 bytes over everything before it
//
// Files are written to a temporary file in the same directory, fsynced, renamed over
// the destination and the directory fsynced, so a crash leaves either the old
// checkpoint or the new one, never half of one.
const (
	checkpointMagic   = "BKMCKPT\n"
	checkpointVersion = 1
)

// CheckpointHeader is the JSON part of a checkpoint. The random state of a run is
// (Config.Seed, Micro, Data): dropout masks are drawn from streams keyed by the seed and
// the micro-batch number, and the data order from the seed and the epoch.
type CheckpointHeader struct {
	Config    Config         `json:"config"`
	Steps     int            `json:"steps"`      // optimizer updates done
	Micro     uint64         `json:"micro"`      // micro-batches done (dropout stream)
	AdamT     int            `json:"adam_t"`     // AdamW bias-correction step
	Data      DataState      `json:"data"`       // loader position
	Tokenizer *TokenizerSpec `json:"tokenizer"`  // nil when the caller saved none
	Tensors   []Tensor       `json:"tensors"`    // parameter layout
	NumParams int            `json:"num_params"` // N
}

// TokenizerSpec saves a tokenizer with the model: "byte", or "bpe" with its merges.
type TokenizerSpec struct {
	Kind   string     `json:"kind"`
	Merges [][2]int32 `json:"merges,omitempty"`
}

// Spec returns the saved form of a tokenizer (nil for an unknown kind).
func Spec(tok Tokenizer) *TokenizerSpec {
	switch t := tok.(type) {
	case ByteTokenizer, *ByteTokenizer:
		return &TokenizerSpec{Kind: "byte"}
	case *BPE:
		return &TokenizerSpec{Kind: "bpe", Merges: slices.Clone(t.Merges)}
	}
	return nil
}

// Tokenizer rebuilds the saved tokenizer.
func (s *TokenizerSpec) Tokenizer() (Tokenizer, error) {
	if s == nil {
		return nil, errors.New("checkpoint holds no tokenizer")
	}
	switch s.Kind {
	case "byte":
		return ByteTokenizer{}, nil
	case "bpe":
		return NewBPE(s.Merges)
	}
	return nil, fmt.Errorf("unknown tokenizer kind %q", s.Kind)
}

// Save writes a checkpoint of the trainer, the loader position and the tokenizer (may be
// nil) to path atomically.
func (t *Trainer) Save(path string, data DataState, tok Tokenizer) error {
	hdr := CheckpointHeader{Config: t.Cfg, Steps: t.Steps, Micro: t.Micro, AdamT: t.Opt.T, Data: data,
		Tensors: t.Model.Tensors, NumParams: len(t.Model.Params)}
	if tok != nil {
		hdr.Tokenizer = Spec(tok)
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	removeStaleTemps(dir, filepath.Base(path))
	// The file stays private to its owner (0600), as os.CreateTemp makes it.
	err = atomicfile.Write(path, 0o600, func(f io.Writer) error {
		h := sha256.New()
		w := io.MultiWriter(f, h)
		var pre [20]byte
		copy(pre[:8], checkpointMagic)
		binary.LittleEndian.PutUint32(pre[8:], checkpointVersion)
		binary.LittleEndian.PutUint64(pre[12:], uint64(len(js)))
		if _, err := w.Write(pre[:]); err != nil {
			return err
		}
		if _, err := w.Write(js); err != nil {
			return err
		}
		if err := writeFloats(w, t.Model.Params); err != nil {
			return err
		}
		if err := writeFloats(w, t.Opt.State); err != nil {
			return err
		}
		_, err := f.Write(h.Sum(nil))
		return err
	})
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// processStart is when this process started, near enough: temporary files older than
// it cannot belong to a save in progress here.
var processStart = time.Now()

// removeStaleTemps deletes the temporary files a save of dir/base left behind when its
// process was killed (kill -9 skips the cleanup): exactly base + ".tmp-" + the digits
// os.CreateTemp puts there, regular files last modified before this process started.
// A save running in another process writes to its file as it goes, so its file is newer.
// Errors are ignored: a leftover file is untidy, not wrong.
func removeStaleTemps(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := base + ".tmp-"
	for _, e := range entries {
		name := e.Name()
		digits, ok := strings.CutPrefix(name, prefix)
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(processStart) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

func writeFloats(w io.Writer, x []float32) error {
	var buf [1 << 14]byte
	for len(x) > 0 {
		n := min(len(x), len(buf)/4)
		for i, v := range x[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(buf[:4*n]); err != nil {
			return err
		}
		x = x[n:]
	}
	return nil
}

func readFloats(b []byte, x []float32) {
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// ErrCheckpoint is wrapped by every checkpoint loading error; the message says which
// problem: not a checkpoint, unsupported version, truncated, corrupt or mismatched.
var ErrCheckpoint = errors.New("bad checkpoint")

// ReadCheckpoint reads and verifies a checkpoint: its header, parameters and moments.
// Every length and count in the file is checked against the file's size and against the
// limits of Config.Validate before it is used, so a corrupt or crafted file is an error
// saying what is wrong (never a panic or a huge allocation); a header that passes also
// has a valid config, a tensor layout inside the parameter arena and a tokenizer that
// fits the model's vocabulary.
func ReadCheckpoint(path string) (*CheckpointHeader, []float32, []float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	return parseCheckpoint(path, b)
}

// parseCheckpoint is ReadCheckpoint on the file's bytes b.
func parseCheckpoint(path string, b []byte) (*CheckpointHeader, []float32, []float32, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrCheckpoint, path, fmt.Sprintf(format, args...))
	}
	if len(b) < 8 || string(b[:8]) != checkpointMagic {
		if len(b) < 8 && bytes.HasPrefix([]byte(checkpointMagic), b) {
			return nil, nil, nil, bad("truncated: %d bytes, shorter than the header", len(b))
		}
		return nil, nil, nil, bad("not a bkm checkpoint (bad magic)")
	}
	if len(b) < checkpointPrefix {
		return nil, nil, nil, bad("truncated: %d bytes, shorter than the header", len(b))
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != checkpointVersion {
		return nil, nil, nil, bad("unsupported format version %d (this build reads version %d)", v, checkpointVersion)
	}
	hl := binary.LittleEndian.Uint64(b[12:])
	if hl > uint64(len(b)-checkpointPrefix) {
		return nil, nil, nil, bad("truncated: %d bytes, the header length field (byte 12) claims %d bytes of header after the first %d", len(b), hl, checkpointPrefix)
	}
	off := checkpointPrefix + int(hl)
	var hdr CheckpointHeader
	if err := json.Unmarshal(b[checkpointPrefix:off], &hdr); err != nil {
		// A damaged header is most likely corruption; the checksum decides below.
		if len(b) >= off+sha256.Size && !checksumOK(b) {
			return nil, nil, nil, bad("corrupt: checksum mismatch")
		}
		return nil, nil, nil, bad("corrupt header: %v", err)
	}
	// The arenas: N parameters and 2N moments, 12 bytes per parameter; N is bounded by
	// the bytes left before multiplying.
	n := hdr.NumParams
	if rest := len(b) - off - sha256.Size; n < 0 || rest < 0 || n > rest/12 {
		return nil, nil, nil, bad("truncated: %d bytes, header field num_params = %d needs 12 bytes per parameter after the %d-byte header (room for %d)", len(b), n, off, max(rest, 0)/12)
	}
	if want := off + 12*n + sha256.Size; len(b) > want {
		return nil, nil, nil, bad("corrupt: %d trailing bytes after byte %d", len(b)-want, want)
	}
	if !checksumOK(b) {
		return nil, nil, nil, bad("corrupt: checksum mismatch")
	}
	if err := hdr.check(); err != nil {
		return nil, nil, nil, bad("header: %v", err)
	}
	params := make([]float32, n)
	state := make([]float32, 2*n)
	readFloats(b[off:], params)
	readFloats(b[off+4*n:], state)
	return &hdr, params, state, nil
}

// checkpointPrefix is the size of the magic, version and header-length fields.
const checkpointPrefix = 20

// check validates what the header's fields claim: counters, config, tensor layout and
// tokenizer (the arenas' sizes were checked against the file already).
func (h *CheckpointHeader) check() error {
	switch {
	case h.Steps < 0:
		return fmt.Errorf("steps = %d: must be ≥ 0", h.Steps)
	case h.AdamT < 0:
		return fmt.Errorf("adam_t = %d: must be ≥ 0", h.AdamT)
	case h.Data.Epoch < 0 || h.Data.Next < 0:
		return fmt.Errorf("data = epoch %d, next %d: must be ≥ 0", h.Data.Epoch, h.Data.Next)
	}
	if err := h.Config.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	end := 0
	for i, t := range h.Tensors {
		size := 1
		for _, d := range t.Shape {
			if d < 0 || (d > 0 && size > h.NumParams/d) {
				return fmt.Errorf("tensors[%d] (%q): shape %v does not fit num_params = %d", i, t.Name, t.Shape, h.NumParams)
			}
			size *= d
		}
		if t.Size != size || t.Offset != end {
			return fmt.Errorf("tensors[%d] (%q): offset %d, size %d with shape %v: want offset %d, size %d", i, t.Name, t.Offset, t.Size, t.Shape, end, size)
		}
		if end += size; end > h.NumParams {
			return fmt.Errorf("tensors[%d] (%q): ends at %d, past num_params = %d", i, t.Name, end, h.NumParams)
		}
	}
	if end != h.NumParams {
		return fmt.Errorf("the tensors cover %d parameters, num_params = %d", end, h.NumParams)
	}
	if tok := h.Tokenizer; tok != nil {
		vocab := 0
		switch tok.Kind {
		case "byte":
			vocab = bpeFirst
		case "bpe":
			vocab = bpeFirst + len(tok.Merges)
		default:
			return fmt.Errorf("tokenizer.kind = %q: want byte or bpe", tok.Kind)
		}
		if vocab > h.Config.Model.Vocab {
			return fmt.Errorf("tokenizer has %d tokens, more than config.model.vocab = %d", vocab, h.Config.Model.Vocab)
		}
	}
	return nil
}

func checksumOK(b []byte) bool {
	body := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(body)
	return bytes.Equal(sum[:], b[len(b)-sha256.Size:])
}

// Load rebuilds a trainer from a checkpoint (its stored config) and returns it with the
// header (data position, tokenizer).
func Load(path string) (*Trainer, *CheckpointHeader, error) {
	hdr, params, state, err := ReadCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	t, err := NewTrainer(hdr.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("%w %s: stored config: %v", ErrCheckpoint, path, err)
	}
	if err := t.restore(path, hdr, params, state); err != nil {
		return nil, nil, err
	}
	return t, hdr, nil
}

// LoadInto restores a checkpoint into an existing trainer, whose model must have the same
// parameter layout (names and shapes); the trainer keeps its own optimizer and schedule
// settings. A different layout is a "mismatched" error naming the first difference.
func (t *Trainer) LoadInto(path string) (*CheckpointHeader, error) {
	hdr, params, state, err := ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return hdr, t.restore(path, hdr, params, state)
}

func (t *Trainer) restore(path string, hdr *CheckpointHeader, params, state []float32) error {
	m := t.Model
	mismatch := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: mismatched: %s", ErrCheckpoint, path, fmt.Sprintf(format, args...))
	}
	if len(hdr.Tensors) != len(m.Tensors) {
		return mismatch("checkpoint has %d tensors, the model %d", len(hdr.Tensors), len(m.Tensors))
	}
	for i, a := range hdr.Tensors {
		b := m.Tensors[i]
		if a.Name != b.Name || !slices.Equal(a.Shape, b.Shape) || a.Offset != b.Offset {
			return mismatch("tensor %d is %s %v in the checkpoint, %s %v in the model", i, a.Name, a.Shape, b.Name, b.Shape)
		}
	}
	if len(params) != len(m.Params) {
		return mismatch("%d parameters in the checkpoint, %d in the model", len(params), len(m.Params))
	}
	copy(m.Params, params)
	copy(t.Opt.State, state)
	t.good.valid = false // the copy kept by Step was of other parameters
	t.Opt.T = hdr.AdamT
	t.Steps, t.Micro = hdr.Steps, hdr.Micro
	return nil
}
