//go:build ort

package ortpeer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/kernelmachines/bkm/onnx"
	"github.com/kernelmachines/bkm/train"
)

var (
	initOnce sync.Once
	initErr  error
	initLib  string
)

// Init loads the ONNX Runtime shared library at lib (once per process; a second call
// with another path is an error).
func Init(lib string) error {
	initOnce.Do(func() {
		initLib = lib
		ort.SetSharedLibraryPath(lib)
		initErr = ort.InitializeEnvironment(ort.WithLogLevelError())
	})
	if initErr == nil && lib != initLib {
		return fmt.Errorf("ortpeer: ONNX Runtime already loaded from %s, not %s", initLib, lib)
	}
	return initErr
}

// Runtime holds an export's two sessions, its manifest and its tokenizer.
type Runtime struct {
	Man        onnx.Manifest
	Tok        train.Tokenizer
	enc, dec   *ort.DynamicAdvancedSession
	L, H, D, V int
}

// Open loads the export in dir into sessions with the given intra-op thread count (the
// library must be loaded: Init).
func Open(dir string, threads int) (*Runtime, error) {
	r := &Runtime{}
	b, err := os.ReadFile(filepath.Join(dir, onnx.ManifestFile))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &r.Man); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, onnx.ManifestFile), err)
	}
	b, err = os.ReadFile(filepath.Join(dir, r.Man.Tokenizer))
	if err != nil {
		return nil, err
	}
	var spec train.TokenizerSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", r.Man.Tokenizer, err)
	}
	if r.Tok, err = spec.Tokenizer(); err != nil {
		return nil, err
	}
	r.L, r.H, r.D, r.V = r.Man.DecLayers, r.Man.Heads, r.Man.HeadDim, r.Man.Vocab
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, err
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	names := func(ios []onnx.IO) []string {
		var n []string
		for _, io := range ios {
			n = append(n, io.Name)
		}
		return n
	}
	if r.enc, err = ort.NewDynamicAdvancedSession(filepath.Join(dir, r.Man.Encoder), names(r.Man.EncoderInputs), names(r.Man.EncoderOutputs), opts); err != nil {
		return nil, err
	}
	if r.dec, err = ort.NewDynamicAdvancedSession(filepath.Join(dir, r.Man.DecoderStep), names(r.Man.DecoderStepInputs), names(r.Man.DecoderStepOutputs), opts); err != nil {
		r.enc.Destroy()
		return nil, err
	}
	return r, nil
}

// Close frees the sessions.
func (r *Runtime) Close() {
	r.enc.Destroy()
	r.dec.Destroy()
}

// values is a list of tensors destroyed together.
type values []ort.Value

func (v values) destroy() {
	for _, x := range v {
		if x != nil {
			x.Destroy()
		}
	}
}

func tensor[T ort.TensorData](vs *values, data []T, shape ...int64) (*ort.Tensor[T], error) {
	t, err := ort.NewTensor(ort.NewShape(shape...), data)
	if err != nil {
		return nil, err
	}
	*vs = append(*vs, t)
	return t, nil
}

// Encode runs the encoder on src [B, S] (padded with the manifest's pad) and returns
// its output [B, S, C] and the cross-attention keys and values, k then v per decoder
// layer, each [B, H, S, D].
func (r *Runtime) Encode(src []int64, B, S int) (encOut []float32, cross [][]float32, err error) {
	var vs values
	defer vs.destroy()
	in, err := tensor(&vs, src, int64(B), int64(S))
	if err != nil {
		return nil, nil, err
	}
	encOut = make([]float32, B*S*r.Man.DModel)
	outs := []ort.Value{nil}
	t, err := tensor(&vs, encOut, int64(B), int64(S), int64(r.Man.DModel))
	if err != nil {
		return nil, nil, err
	}
	outs[0] = t
	for i := 0; i < 2*r.L; i++ {
		c := make([]float32, B*r.H*S*r.D)
		cross = append(cross, c)
		t, err := tensor(&vs, c, int64(B), int64(r.H), int64(S), int64(r.D))
		if err != nil {
			return nil, nil, err
		}
		outs = append(outs, t)
	}
	if err := r.enc.Run([]ort.Value{in}, outs); err != nil {
		return nil, nil, err
	}
	return encOut, cross, nil
}

// stepInputs are the inputs of decoder steps that change only when the set of live
// sentences does: the sources and the cross-attention keys and values.
type stepInputs struct {
	vs    values
	B, S  int
	fixed []ort.Value // src, then cross k, v per layer
}

func (r *Runtime) newStepInputs(src []int64, B, S int, cross [][]float32) (*stepInputs, error) {
	si := &stepInputs{B: B, S: S}
	t, err := tensor(&si.vs, src, int64(B), int64(S))
	if err != nil {
		return nil, err
	}
	si.fixed = append(si.fixed, t)
	for _, c := range cross {
		t, err := tensor(&si.vs, c, int64(B), int64(r.H), int64(S), int64(r.D))
		if err != nil {
			si.vs.destroy()
			return nil, err
		}
		si.fixed = append(si.fixed, t)
	}
	return si, nil
}

func (si *stepInputs) destroy() { si.vs.destroy() }

// Step runs one decoder step at position t for the rows' tokens (rows = B·beams, each
// sentence's rows adjacent) over past caches [rows, H, t, D] (k then v per layer; nil
// at t = 0) and returns the log-probabilities [rows, V] and the grown caches
// [rows, H, t+1, D].
func (r *Runtime) Step(si *stepInputs, tokens []int64, t int, past [][]float32) (logp []float32, present [][]float32, err error) {
	var vs values
	defer vs.destroy()
	rows := len(tokens)
	tok, err := tensor(&vs, tokens, int64(rows))
	if err != nil {
		return nil, nil, err
	}
	pos, err := tensor(&vs, []int64{int64(t)}, 1)
	if err != nil {
		return nil, nil, err
	}
	ins := append([]ort.Value{tok, pos}, si.fixed...)
	var empty [1]float32
	for i := 0; i < 2*r.L; i++ {
		data := empty[:]
		if t > 0 {
			data = past[i]
		}
		p, err := tensor(&vs, data, int64(rows), int64(r.H), int64(t), int64(r.D))
		if err != nil {
			return nil, nil, err
		}
		ins = append(ins, p)
	}
	logp = make([]float32, rows*r.V)
	lt, err := tensor(&vs, logp, int64(rows), int64(r.V))
	if err != nil {
		return nil, nil, err
	}
	outs := []ort.Value{lt}
	for i := 0; i < 2*r.L; i++ {
		c := make([]float32, rows*r.H*(t+1)*r.D)
		present = append(present, c)
		p, err := tensor(&vs, c, int64(rows), int64(r.H), int64(t+1), int64(r.D))
		if err != nil {
			return nil, nil, err
		}
		outs = append(outs, p)
	}
	if err := r.dec.Run(ins, outs); err != nil {
		return nil, nil, err
	}
	return logp, present, nil
}
