//go:build ort

package ortpeer

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/internal/translatebench"
	"github.com/kernelmachines/bkm/onnx"
	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// The parity tests need ONNX Runtime's shared library: BKM_ORT_LIB names it (for
// example node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 of
// `npm install --ignore-scripts onnxruntime-node@1.30.0`).
func initORT(t testing.TB) {
	lib := os.Getenv("BKM_ORT_LIB")
	if lib == "" {
		t.Skip("BKM_ORT_LIB is not set: the path of libonnxruntime.so")
	}
	require.NoError(t, Init(lib))
}

// tolerance is the acceptance bound: |ort − bkm| ≤ tolerance·max(|bkm|, 1) elementwise
// (relative where values are ≥ 1 in magnitude, absolute below).
const tolerance = 1e-4

// maxRelErr returns max_i |a_i − b_i| / max(|b_i|, 1).
func maxRelErr(t testing.TB, a, b []float32) float64 {
	require.Len(t, a, len(b))
	worst := 0.0
	for i := range a {
		e := math.Abs(float64(a[i])-float64(b[i])) / math.Max(math.Abs(float64(b[i])), 1)
		if !(e <= worst) {
			worst = e
		}
	}
	return worst
}

// compare exports m, then runs sources through ONNX Runtime as one padded batch and
// through bkm one sentence at a time, following bkm's greedy tokens for up to steps
// steps, and returns the largest error of the encoder outputs and of the step
// log-probabilities.
func compare(t *testing.T, m *train.Model, tok train.Tokenizer, sources []string, steps int) (encErr, stepErr float64) {
	dir := filepath.Join(t.TempDir(), "onnx")
	_, err := onnx.Export(dir, m, tok)
	require.NoError(t, err)
	r, err := Open(dir, 1)
	require.NoError(t, err)
	defer r.Close()
	C, V := m.C, m.V
	ids := make([][]int32, len(sources))
	S := 0
	for i, s := range sources {
		x := tok.Encode(s)
		ids[i] = append(x[:min(len(x), m.Cfg.MaxLen-1)], m.Cfg.EOS)
		S = max(S, len(ids[i]))
	}
	B := len(ids)
	src := make([]int64, B*S)
	for i, s := range ids {
		for j := range S {
			src[i*S+j] = int64(m.Cfg.Pad)
			if j < len(s) {
				src[i*S+j] = int64(s[j])
			}
		}
	}
	encOut, cross, err := r.Encode(src, B, S)
	require.NoError(t, err)
	decs := make([]*train.Decoder, B)
	for i, s := range ids {
		want := m.Encode(s, 1, len(s))
		encErr = max(encErr, maxRelErr(t, encOut[i*S*C:(i*S+len(s))*C], want))
		decs[i] = m.NewDecoder(1, min(m.Cfg.MaxLen, steps+1))
		decs[i].Start(s)
	}
	si, err := r.newStepInputs(src, B, S, cross)
	require.NoError(t, err)
	defer si.destroy()
	toks := make([]int64, B)
	for i := range toks {
		toks[i] = int64(m.Cfg.BOS)
	}
	var past [][]float32
	for step := 0; step < min(steps, m.Cfg.MaxLen); step++ {
		logp, present, err := r.Step(si, toks, step, past)
		require.NoError(t, err)
		for i, d := range decs {
			want := d.Step([]int32{int32(toks[i])}, step)
			stepErr = max(stepErr, maxRelErr(t, logp[i*V:(i+1)*V], want))
			next := 0
			for v := range want {
				if int32(v) != m.Cfg.Pad && int32(v) != m.Cfg.BOS && want[v] > want[next] {
					next = v
				}
			}
			toks[i] = int64(next) // bkm's choice drives both, past EOS too
		}
		past = present
	}
	return encErr, stepErr
}

var paritySources = []string{"Y dijo Dios: Sea la luz; y fue la luz.", "En el principio", "¿Quién eres tú?"}

// TestParityKernels: every exportable kernel, post-LN and pre-LN, on random models
// whose weights are scaled up so attention is far from uniform.
func TestParityKernels(t *testing.T) {
	initORT(t)
	for _, kernel := range []string{"edp", "rbf", "laplace", "expint", "intersection", "poly2", "poly:p=3,c=0.5", "taylor2", "linear"} {
		for _, preLN := range []bool{false, true} {
			name := kernel
			if preLN {
				name += "/pre-ln-gelu"
			}
			t.Run(name, func(t *testing.T) {
				cfg := train.DefaultConfig().Model
				cfg.DModel, cfg.Heads, cfg.FFN, cfg.EncLayers, cfg.DecLayers, cfg.MaxLen = 32, 4, 64, 2, 2, 64
				cfg.Kernel, cfg.PreLN = kernel, preLN
				if preLN {
					cfg.Activation, cfg.Positions = "gelu", "learned"
				}
				m, err := train.NewModel(cfg, 11)
				require.NoError(t, err)
				for _, tn := range m.Tensors {
					if tn.Decay {
						w := m.Params[tn.Offset : tn.Offset+tn.Size]
						for i := range w {
							w[i] *= 4
						}
					}
				}
				encErr, stepErr := compare(t, m, train.ByteTokenizer{}, paritySources, 12)
				t.Logf("%s: encoder %.2g, step log-probabilities %.2g", name, encErr, stepErr)
				require.LessOrEqual(t, encErr, tolerance)
				require.LessOrEqual(t, stepErr, tolerance)
			})
		}
	}
}

// TestParityCheckpoints: the acceptance on trained models — encoder outputs
// and step log-probabilities within 1e-4 on the first sentences of the test split, and
// greedy translations of the whole split equal to bkm's for at least 99% of them.
func TestParityCheckpoints(t *testing.T) {
	initORT(t)
	src := translatebench.Sources(t)
	for _, ck := range translatebench.Checkpoints(t, "") {
		t.Run(ck.Name, func(t *testing.T) {
			s, err := train.OpenModel(ck.Path, 1)
			require.NoError(t, err)
			m := s.Trainer.Model
			encErr, stepErr := compare(t, m, s.Tok, src[:8], 40)
			t.Logf("%s: encoder %.2g, step log-probabilities %.2g (bound %g)", ck.Name, encErr, stepErr, tolerance)
			require.LessOrEqual(t, encErr, tolerance)
			require.LessOrEqual(t, stepErr, tolerance)

			dir := filepath.Join(t.TempDir(), "onnx")
			_, err = onnx.Export(dir, m, s.Tok)
			require.NoError(t, err)
			r, err := Open(dir, 1)
			require.NoError(t, err)
			defer r.Close()
			tr, err := train.NewTranslator(m, s.Tok)
			require.NoError(t, err)
			for _, beam := range []int{1, 4} {
				want, err := tr.TranslateBatch(context.Background(), src, train.TranslateOptions{Beam: beam, LenPenalty: 1, MaxSentences: 32})
				require.NoError(t, err)
				got, _, err := r.Translate(src, beam, 1, 32, train.DefaultMaxTokens)
				require.NoError(t, err)
				same := 0
				for i := range src {
					if got[i] == want[i] {
						same++
					}
				}
				t.Logf("%s beam %d: %d of %d translations identical", ck.Name, beam, same, len(src))
				if beam == 1 {
					require.GreaterOrEqual(t, float64(same), 0.99*float64(len(src)))
				}
			}
		})
	}
}
