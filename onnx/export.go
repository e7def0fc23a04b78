package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kernelmachines/bkm/internal/atomicfile"
	"github.com/kernelmachines/bkm/train"
)

// File names inside an export directory.
const (
	EncoderFile     = "encoder.onnx"
	DecoderStepFile = "decoder_step.onnx"
	TokenizerFile   = "tokenizer.json"
	ManifestFile    = "manifest.json"
)

// Manifest describes an export: what a runtime needs to tokenize, encode and decode
// without reading the graphs. Shapes use the symbolic names batch (sentences), rows
// (hypotheses: batch·beams), src_len and past_len.
type Manifest struct {
	Format      string    `json:"format"` // "bkm-onnx-1"
	IRVersion   int       `json:"ir_version"`
	Opset       int       `json:"opset"`
	Encoder     string    `json:"encoder"`
	DecoderStep string    `json:"decoder_step"`
	Tokenizer   string    `json:"tokenizer"`
	Vocab       int       `json:"vocab"`
	DModel      int       `json:"d_model"`
	Heads       int       `json:"heads"`
	HeadDim     int       `json:"head_dim"`
	FFN         int       `json:"ffn"`
	EncLayers   int       `json:"enc_layers"`
	DecLayers   int       `json:"dec_layers"`
	MaxLen      int       `json:"max_len"`
	Pad         int32     `json:"pad"`
	BOS         int32     `json:"bos"`
	EOS         int32     `json:"eos"`
	Kernels     []string  `json:"kernels"` // per attention layer: encoder self, then per decoder layer self and cross
	Gammas      []float32 `json:"gammas"`  // each layer's kernel scale γ
	PreLN       bool      `json:"pre_ln"`
	Activation  string    `json:"activation"`
	Positions   string    `json:"positions"`
	// Inputs and outputs of the two graphs, in order.
	EncoderInputs      []IO `json:"encoder_inputs"`
	EncoderOutputs     []IO `json:"encoder_outputs"`
	DecoderStepInputs  []IO `json:"decoder_step_inputs"`
	DecoderStepOutputs []IO `json:"decoder_step_outputs"`
	// Operators counts the nodes per operator type of each graph.
	Operators map[string]map[string]int `json:"operators"`
}

// IO is one graph input or output: name, element type and shape (numbers or symbols).
type IO struct {
	Name  string `json:"name"`
	Type  string `json:"type"` // "float32", "int64"
	Shape []any  `json:"shape"`
}

// ErrExists is wrapped by the error for an export directory that already holds one of
// the files an export writes: an export never overwrites.
var ErrExists = errors.New("export would overwrite a file")

// ErrModel is wrapped by the error for a model that cannot be exported (a decoder-only
// language model, or a kernel standard operators do not express: ErrUnsupportedKernel).
var ErrModel = errors.New("model cannot be exported")

// ExportCheckpoint loads the checkpoint at path and exports it into dir (see Export).
func ExportCheckpoint(dir, path string) (*Manifest, error) {
	s, err := train.OpenModel(path, 1)
	if err != nil {
		return nil, err
	}
	m, err := Export(dir, s.Trainer.Model, s.Tok)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", path, err)
	}
	return m, nil
}

// Export writes the encoder–decoder m and its tokenizer into dir (created if missing):
// encoder.onnx, decoder_step.onnx, tokenizer.json and manifest.json, each atomically.
// It refuses, before writing anything, a model it cannot express (ErrModel) or a
// directory that already holds one of those files (ErrExists); a write that fails
// removes the files written before it.
func Export(dir string, m *train.Model, tok train.Tokenizer) (*Manifest, error) {
	e, err := newExporter(m)
	if err != nil {
		return nil, err
	}
	spec := train.Spec(tok)
	if spec == nil {
		return nil, fmt.Errorf("%w: tokenizer %T has no saved form", ErrModel, tok)
	}
	encG, decG := e.encoder(), e.decoderStep()
	man := e.manifest(encG, decG)
	files := []struct {
		name string
		data []byte
	}{
		{EncoderFile, encG.model("bkm encoder: src token ids → encoder output and each decoder layer's cross-attention keys and values")},
		{DecoderStepFile, decG.model("bkm decoder step: one token per hypothesis → next-token log-probabilities and the grown self-attention caches")},
	}
	tj, err := json.MarshalIndent(struct {
		*train.TokenizerSpec
		Pad int32 `json:"pad"`
		BOS int32 `json:"bos"`
		EOS int32 `json:"eos"`
	}{spec, m.Cfg.Pad, m.Cfg.BOS, m.Cfg.EOS}, "", " ")
	if err != nil {
		return nil, err
	}
	mj, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return nil, err
	}
	files = append(files, struct {
		name string
		data []byte
	}{TokenizerFile, append(tj, '\n')}, struct {
		name string
		data []byte
	}{ManifestFile, append(mj, '\n')})
	st, statErr := os.Stat(dir)
	if statErr == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%w: %s exists (remove it or choose another directory)", ErrExists, p)
		} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return nil, err
		}
	}
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// The manifest goes last: a directory with a manifest is a complete export. A
	// failed write (a full disk) removes the files written before it, and the directory
	// if the export made it, so that the same export can run again once the cause is
	// fixed instead of finding its own half in the way.
	for i, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			for _, done := range files[:i] {
				os.Remove(filepath.Join(dir, done.name))
			}
			if created {
				os.Remove(dir)
			}
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, f.name), err)
		}
	}
	return man, nil
}

// writeFile writes an export's file atomically (a variable: tests make it fail).
var writeFile = atomicfile.WriteFile
