package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/kernelmachines/bkm/train"
)

// Checkpoint file (written by bkmtrain until package train exposes its own Save/Load):
//
//	"BKMTRAIN-CKPT\n" version(uint32) headerLen(uint32) header(JSON)
//	params  [header.Params]float32   little endian
//	optim   [header.OptState]float32 AdamW moments
//	sha256 of everything above (32 bytes)
//
// It is written to a temporary file in the same directory, fsynced and renamed, so a
// crash leaves either the old checkpoint or the new one, never half of one.
const (
	ckptMagic   = "BKMTRAIN-CKPT\n"
	ckptVersion = 1
)

type ckptHeader struct {
	Config    train.Config    `json:"config"`
	Tokenizer string          `json:"tokenizer"`
	Steps     int             `json:"steps"`
	Micro     uint64          `json:"micro"`
	OptT      int             `json:"optim_t"`
	Data      train.DataState `json:"data"`
	Params    int             `json:"params"`
	OptState  int             `json:"optim_state"`
}

func (e *engine) save(path string) error {
	h := ckptHeader{
		Config: e.cfg, Tokenizer: "byte", Steps: e.tr.Steps, Micro: e.tr.Micro, OptT: e.tr.Opt.T,
		Data: e.loader.State(), Params: len(e.tr.Model.Params), OptState: len(e.tr.Opt.State),
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(ckptMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(ckptVersion))
	binary.Write(&buf, binary.LittleEndian, uint32(len(hj)))
	buf.Write(hj)
	writeF32(&buf, e.tr.Model.Params)
	writeF32(&buf, e.tr.Opt.State)
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return writeFileAtomic(path, buf.Bytes())
}

func writeF32(w *bytes.Buffer, x []float32) {
	var b [4]byte
	for _, v := range x {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		w.Write(b[:])
	}
}

func readF32(dst []float32, b []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and renames it
// over path, then syncs the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// readCheckpoint reads and verifies a checkpoint file; errors say what is wrong with it.
func readCheckpoint(path string) (ckptHeader, []byte, error) {
	var h ckptHeader
	b, err := os.ReadFile(path)
	if err != nil {
		return h, nil, fmt.Errorf("checkpoint: %w", err)
	}
	if !bytes.HasPrefix(b, []byte(ckptMagic)) {
		return h, nil, fmt.Errorf("checkpoint %s: not a bkmtrain checkpoint (bad magic)", path)
	}
	r := b[len(ckptMagic):]
	if len(r) < 8+sha256.Size {
		return h, nil, fmt.Errorf("checkpoint %s: truncated (%d bytes)", path, len(b))
	}
	if v := binary.LittleEndian.Uint32(r); v != ckptVersion {
		return h, nil, fmt.Errorf("checkpoint %s: format version %d, this bkmtrain reads version %d", path, v, ckptVersion)
	}
	hl := int(binary.LittleEndian.Uint32(r[4:]))
	if 8+hl > len(r) {
		return h, nil, fmt.Errorf("checkpoint %s: truncated (header of %d bytes, file of %d)", path, hl, len(b))
	}
	if err := json.Unmarshal(r[8:8+hl], &h); err != nil {
		return h, nil, fmt.Errorf("checkpoint %s: corrupt header: %v", path, err)
	}
	body := r[8+hl:]
	want := 4*(h.Params+h.OptState) + sha256.Size
	if len(body) < want {
		return h, nil, fmt.Errorf("checkpoint %s: truncated (%d of %d bytes of weights)", path, len(body), want)
	}
	if len(body) > want {
		return h, nil, fmt.Errorf("checkpoint %s: %d unexpected bytes after the weights", path, len(body)-want)
	}
	payload := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(payload)
	if !bytes.Equal(sum[:], b[len(b)-sha256.Size:]) {
		return h, nil, fmt.Errorf("checkpoint %s: corrupt (checksum mismatch)", path)
	}
	return h, body[:len(body)-sha256.Size], nil
}

// checkpointConfig returns the config stored in a checkpoint.
func checkpointConfig(path string) (train.Config, error) {
	h, _, err := readCheckpoint(path)
	return h.Config, err
}

// loadEngine rebuilds the engine of a checkpoint: model, optimizer, step counters and
// data position (ds nil: the model only). cfg is the checkpoint's config with the
// allowed overrides (steps, threads) applied.
func loadEngine(path string, cfg train.Config, ds *dataSet) (*engine, error) {
	h, body, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if h.Tokenizer != "byte" {
		return nil, fmt.Errorf("checkpoint %s: tokenizer %q is not supported", path, h.Tokenizer)
	}
	e, err := newEngine(cfg, ds)
	if err != nil {
		return nil, err
	}
	if len(e.tr.Model.Params) != h.Params || len(e.tr.Opt.State) != h.OptState {
		return nil, fmt.Errorf("checkpoint %s: holds %d parameters and %d optimizer values, its config builds %d and %d (mismatched checkpoint)",
			path, h.Params, h.OptState, len(e.tr.Model.Params), len(e.tr.Opt.State))
	}
	readF32(e.tr.Model.Params, body)
	readF32(e.tr.Opt.State, body[4*h.Params:])
	e.tr.Steps, e.tr.Micro, e.tr.Opt.T = h.Steps, h.Micro, h.OptT
	if ds == nil {
		return e, nil
	}
	if err := e.loader.SetState(h.Data); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w (was it trained on other data?)", path, err)
	}
	return e, nil
}
