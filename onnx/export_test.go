package onnx

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/internal/atomicfile"
	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// tinyModel is a small encoder–decoder with random weights, every layer's kernel spec.
func tinyModel(t testing.TB, kernel string, variant func(*train.ModelConfig)) *train.Model {
	t.Helper()
	cfg := train.DefaultConfig().Model
	cfg.DModel, cfg.Heads, cfg.FFN, cfg.EncLayers, cfg.DecLayers, cfg.MaxLen = 16, 2, 32, 1, 2, 32
	cfg.Kernel = kernel
	if variant != nil {
		variant(&cfg)
	}
	m, err := train.NewModel(cfg, 3)
	require.NoError(t, err)
	return m
}

// standardOps are the opset-17 operators the graphs may use.
var standardOps = map[string]bool{
	"Gather": true, "Mul": true, "Add": true, "Sub": true, "Gemm": true, "MatMul": true, "Split": true,
	"Reshape": true, "Transpose": true, "Concat": true, "Shape": true, "Slice": true, "Unsqueeze": true,
	"Equal": true, "Not": true, "Where": true, "Softmax": true, "LogSoftmax": true, "ReduceSum": true,
	"Abs": true, "Min": true, "Relu": true, "Pow": true, "Elu": true, "Greater": true, "Reciprocal": true,
	"LayerNormalization": true, "Tanh": true, "Identity": true,
}

// checkGraph checks what a runtime relies on: the IR and opset, standard operators
// only, every node input defined before use, and the declared outputs produced.
func checkGraph(t *testing.T, g decodedGraph, outputs []IO) {
	t.Helper()
	require.Equal(t, int64(irVersion), g.ir)
	require.Equal(t, int64(opset), g.opset)
	defined := map[string]bool{}
	for _, in := range g.inputs {
		defined[in] = true
	}
	for name, init := range g.inits {
		defined[name] = true
		n := int64(1)
		for _, d := range init.dims {
			n *= d
		}
		size := map[int64]int64{typeFloat: 4, typeInt64: 8}[init.elem]
		require.NotZero(t, size, "initializer %s type %d", name, init.elem)
		require.Equal(t, n*size, int64(len(init.raw)), "initializer %s", name)
	}
	for _, n := range g.nodes {
		require.True(t, standardOps[n.op], "operator %s", n.op)
		for _, in := range n.inputs {
			require.True(t, defined[in], "%s reads %q before it is defined", n.op, in)
		}
		for _, out := range n.outputs {
			require.False(t, defined[out], "%q defined twice", out)
			defined[out] = true
		}
	}
	require.Len(t, g.outputs, len(outputs))
	for i, o := range outputs {
		require.Equal(t, o.Name, g.outputs[i])
		require.True(t, defined[o.Name], "output %s", o.Name)
		require.Len(t, g.outputShape[o.Name], len(o.Shape))
	}
}

func floatsOf(raw []byte) []float32 {
	x := make([]float32, len(raw)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return x
}

func TestExportStructure(t *testing.T) {
	variants := map[string]func(*train.ModelConfig){
		"post-ln": nil,
		"pre-ln-gelu-learned-untied": func(c *train.ModelConfig) {
			c.PreLN, c.Activation, c.Positions = true, "gelu", "learned"
			c.ShareDecoderEmbeddings, c.ScaleEmbedding = false, false
		},
		"mixed-kernels": func(c *train.ModelConfig) {
			c.LayerKernels = []string{"rbf", "edp", "laplace", "poly:p=3,c=0.5", "linear"}
			c.KernelScale = 0.3
		},
	}
	for _, kernel := range []string{"edp", "rbf", "laplace", "expint", "intersection", "poly2", "taylor2", "taylor0", "linear"} {
		for vname, variant := range variants {
			t.Run(kernel+"/"+vname, func(t *testing.T) {
				m := tinyModel(t, kernel, variant)
				dir := filepath.Join(t.TempDir(), "out")
				man, err := Export(dir, m, train.ByteTokenizer{})
				require.NoError(t, err)
				var onDisk Manifest
				b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &onDisk))
				require.Equal(t, man.Kernels, onDisk.Kernels)
				require.Equal(t, m.Cfg.EncLayers+2*m.Cfg.DecLayers, len(man.Kernels))
				require.Equal(t, []int32{train.BytePad, train.ByteBOS, train.ByteEOS}, []int32{onDisk.Pad, onDisk.BOS, onDisk.EOS})

				graphs := map[string]decodedGraph{}
				for file, outs := range map[string][]IO{EncoderFile: man.EncoderOutputs, DecoderStepFile: man.DecoderStepOutputs} {
					b, err := os.ReadFile(filepath.Join(dir, file))
					require.NoError(t, err)
					graphs[file] = decodeModel(t, b)
					checkGraph(t, graphs[file], outs)
				}
				require.Equal(t, []string{"src"}, graphs[EncoderFile].inputs)
				require.Len(t, graphs[DecoderStepFile].inputs, 3+4*m.Cfg.DecLayers)
				require.Equal(t, []string{"rows", "259"}, graphs[DecoderStepFile].outputShape["logprobs"])

				// Every parameter reaches a graph, bit for bit.
				for _, tn := range m.Tensors {
					want := m.Params[tn.Offset : tn.Offset+tn.Size]
					found := false
					for _, g := range graphs {
						if init, ok := g.inits[tn.Name]; ok {
							found = true
							require.Equal(t, want, floatsOf(init.raw), tn.Name)
						}
					}
					require.True(t, found, "parameter %s is in no graph", tn.Name)
				}

				var tok struct {
					Kind string `json:"kind"`
					EOS  int32  `json:"eos"`
				}
				b, err = os.ReadFile(filepath.Join(dir, TokenizerFile))
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &tok))
				require.Equal(t, "byte", tok.Kind)
				require.Equal(t, train.ByteEOS, tok.EOS)
			})
		}
	}
}

func TestExportRefuses(t *testing.T) {
	t.Run("favor", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		_, err := Export(dir, tinyModel(t, "favor16", nil), train.ByteTokenizer{})
		require.ErrorIs(t, err, ErrModel)
		require.ErrorIs(t, err, ErrUnsupportedKernel)
		require.ErrorContains(t, err, "favor")
		require.NoDirExists(t, dir, "nothing written")
	})
	t.Run("language model", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		_, err := Export(dir, tinyModel(t, "edp", func(c *train.ModelConfig) { c.Arch, c.EncLayers = "decoder", 0 }), train.ByteTokenizer{})
		require.ErrorIs(t, err, ErrModel)
		require.ErrorContains(t, err, "decoder")
		require.NoDirExists(t, dir)
	})
	t.Run("existing files", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, DecoderStepFile), []byte("keep"), 0o644))
		_, err := Export(dir, tinyModel(t, "edp", nil), train.ByteTokenizer{})
		require.ErrorIs(t, err, ErrExists)
		b, err := os.ReadFile(filepath.Join(dir, DecoderStepFile))
		require.NoError(t, err)
		require.Equal(t, "keep", string(b))
		require.NoFileExists(t, filepath.Join(dir, EncoderFile))
	})
	t.Run("a failed write", func(t *testing.T) {
		// The third file fails (a full disk): the two written before it go, and so
		// does the directory the export made, so the same export can run again.
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		written := 0
		writeFile = func(path string, data []byte, perm os.FileMode) error {
			if written == 2 {
				return errors.New("no space left on device")
			}
			written++
			return atomicfile.WriteFile(path, data, perm)
		}
		t.Cleanup(func() { writeFile = atomicfile.WriteFile })
		m := tinyModel(t, "edp", nil)
		_, err := Export(dir, m, train.ByteTokenizer{})
		require.ErrorContains(t, err, TokenizerFile+": no space left on device")
		require.NoDirExists(t, dir, "the export's directory and files removed")
		// An existing directory stays, emptied of what the export wrote.
		require.NoError(t, os.Mkdir(dir, 0o755))
		written = 0
		_, err = Export(dir, m, train.ByteTokenizer{})
		require.Error(t, err)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, entries)
		writeFile = atomicfile.WriteFile
		_, err = Export(dir, m, train.ByteTokenizer{})
		require.NoError(t, err, "the same export runs again")
	})
	t.Run("a file in the way", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "plain")
		require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
		_, err := Export(file, tinyModel(t, "edp", nil), train.ByteTokenizer{})
		require.Error(t, err)
		b, _ := os.ReadFile(file)
		require.Equal(t, "x", string(b))
	})
}
