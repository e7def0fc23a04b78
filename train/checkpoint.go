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
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	h := sha256.New()
	w := io.MultiWriter(f, h)
	var pre [20]byte
	copy(pre[:8], checkpointMagic)
	binary.LittleEndian.PutUint32(pre[8:], checkpointVersion)
	binary.LittleEndian.PutUint64(pre[12:], uint64(len(js)))
	if _, err := w.Write(pre[:]); err != nil {
		return fail(err)
	}
	if _, err := w.Write(js); err != nil {
		return fail(err)
	}
	if err := writeFloats(w, t.Model.Params); err != nil {
		return fail(err)
	}
	if err := writeFloats(w, t.Opt.State); err != nil {
		return fail(err)
	}
	if _, err := f.Write(h.Sum(nil)); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
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
func ReadCheckpoint(path string) (*CheckpointHeader, []float32, []float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrCheckpoint, path, fmt.Sprintf(format, args...))
	}
	if len(b) < 8 || string(b[:8]) != checkpointMagic {
		if len(b) < 8 && bytes.HasPrefix([]byte(checkpointMagic), b) {
			return nil, nil, nil, bad("truncated: %d bytes, shorter than the header", len(b))
		}
		return nil, nil, nil, bad("not a bkm checkpoint (bad magic)")
	}
	if len(b) < 20 {
		return nil, nil, nil, bad("truncated: %d bytes, shorter than the header", len(b))
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != checkpointVersion {
		return nil, nil, nil, bad("unsupported format version %d (this build reads version %d)", v, checkpointVersion)
	}
	hl := binary.LittleEndian.Uint64(b[12:])
	if hl > uint64(len(b)) {
		return nil, nil, nil, bad("truncated: %d bytes, the header alone claims %d", len(b), hl)
	}
	var hdr CheckpointHeader
	if err := json.Unmarshal(b[20:20+hl], &hdr); err != nil {
		// A damaged header is most likely corruption; the checksum decides below.
		if len(b) >= 32 && !checksumOK(b) {
			return nil, nil, nil, bad("corrupt: checksum mismatch")
		}
		return nil, nil, nil, bad("corrupt header: %v", err)
	}
	n := hdr.NumParams
	want := 20 + int(hl) + 12*n + sha256.Size
	if n < 0 || len(b) < want {
		return nil, nil, nil, bad("truncated: %d bytes, expected %d", len(b), want)
	}
	if len(b) > want {
		return nil, nil, nil, bad("corrupt: %d trailing bytes", len(b)-want)
	}
	if !checksumOK(b) {
		return nil, nil, nil, bad("corrupt: checksum mismatch")
	}
	off := 20 + int(hl)
	params := make([]float32, n)
	state := make([]float32, 2*n)
	readFloats(b[off:], params)
	readFloats(b[off+4*n:], state)
	return &hdr, params, state, nil
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
	t.Opt.T = hdr.AdamT
	t.Steps, t.Micro = hdr.Steps, hdr.Micro
	return nil
}
