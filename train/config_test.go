package train

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigJSONRoundTrip(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Model.LayerKernels = []string{"edp", "rbf", "poly2", "taylor2", "edp", "favor16"}
	require.NoError(t, cfg.Validate())
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	path := writeFile(t, "cfg.json", string(b))
	back, err := LoadConfig(path)
	require.NoError(t, err)
	require.Equal(t, cfg, back)

	_, err = LoadConfig(writeFile(t, "bad.json", `{"model": {"d_modle": 3}}`))
	require.ErrorContains(t, err, `unknown field "d_modle"`)
}

func TestConfigValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		edit func(c *Config)
		msg  string
	}{
		{func(c *Config) { c.Model.Heads = 3 }, "model.heads = 3: must divide model.d_model = 64"},
		{func(c *Config) { c.Model.Arch = "rnn" }, `model.arch = "rnn"`},
		{func(c *Config) { c.Model.Kernel = "nope" }, `model.layer_kernels[0]: attention kernel "nope"`},
		{func(c *Config) { c.Model.LayerKernels = []string{"edp"} }, "model.layer_kernels has 1 entries: the model has 6 attention layers"},
		{func(c *Config) { c.Model.AttentionDropout = 1 }, "model.attention_dropout = 1: must be in [0, 1)"},
		{func(c *Config) { c.Model.AttentionDropout = -0.1 }, "model.attention_dropout = -0.1: must be in [0, 1)"},
		{func(c *Config) { c.Model.Pad = 300 }, "model.pad = 300"},
		{func(c *Config) { c.Optim.LR = 0 }, "optim.lr = 0"},
		{func(c *Config) { c.Optim.Accumulate = 0 }, "optim.accumulate = 0"},
		{func(c *Config) { c.Schedule.Kind = "linear" }, `schedule.kind = "linear"`},
		{func(c *Config) { c.Schedule.Kind, c.Schedule.Steps = "cosine", 10 }, "schedule.steps = 10: cosine needs steps > warmup = 400"},
		{func(c *Config) { c.Data.MaxTokens = 100 }, "data.max_tokens = 100: must be ≥ model.max_len = 256"},
		{func(c *Config) { c.Model.Arch, c.Data.Context = "decoder", 1000 }, "data.context = 1000"},
	} {
		cfg := DefaultConfig()
		tc.edit(&cfg)
		require.ErrorContains(t, cfg.Validate(), tc.msg)
	}
	cfg := DefaultConfig()
	cfg.Model.AttentionDropout = 0.1
	require.NoError(t, cfg.Validate(), "attention dropout is supported")
}

// TestConfigValidateRejectsBadFloats: every float field rejects NaN, ±Inf and values
// out of its range up front, naming the field and the value (NaN used to pass, train,
// and then fail to save the checkpoint).
func TestConfigValidateRejectsBadFloats(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	fields := []struct {
		name     string
		field    func(c *Config) *float32
		outRange []float32
	}{
		{"model.dropout", func(c *Config) *float32 { return &c.Model.Dropout }, []float32{-0.1, 1}},
		{"model.activation_dropout", func(c *Config) *float32 { return &c.Model.ActivationDropout }, []float32{-0.1, 1}},
		{"model.attention_dropout", func(c *Config) *float32 { return &c.Model.AttentionDropout }, []float32{-0.1, 1}},
		{"model.label_smoothing", func(c *Config) *float32 { return &c.Model.LabelSmoothing }, []float32{-0.1, 1}},
		{"model.kernel_scale", func(c *Config) *float32 { return &c.Model.KernelScale }, []float32{-1}},
		{"optim.lr", func(c *Config) *float32 { return &c.Optim.LR }, []float32{0, -1e-3}},
		{"optim.beta1", func(c *Config) *float32 { return &c.Optim.Beta1 }, []float32{-0.5, 1, 2}},
		{"optim.beta2", func(c *Config) *float32 { return &c.Optim.Beta2 }, []float32{-0.5, 1, 2}},
		{"optim.eps", func(c *Config) *float32 { return &c.Optim.Eps }, []float32{0, -1e-8}},
		{"optim.weight_decay", func(c *Config) *float32 { return &c.Optim.WeightDecay }, []float32{-1e-4}},
		{"optim.clip_norm", func(c *Config) *float32 { return &c.Optim.ClipNorm }, []float32{-1}},
		{"schedule.min_lr", func(c *Config) *float32 { return &c.Schedule.MinLR }, []float32{-1e-5}},
		{"schedule.init_lr", func(c *Config) *float32 { return &c.Schedule.InitLR }, []float32{-1e-7}},
	}
	for _, f := range fields {
		for _, v := range append([]float32{nan, inf, -inf}, f.outRange...) {
			cfg := DefaultConfig()
			*f.field(&cfg) = v
			err := cfg.Validate()
			require.Error(t, err, "%s = %g", f.name, v)
			require.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("%s = %g: must be", f.name, v)), "%s = %g: got %q", f.name, v, err)
			if v != v || math.IsInf(float64(v), 0) {
				require.ErrorContains(t, err, "finite")
			}
		}
	}
}

// TestConfigValidateLimits: sizes past the documented limits, a thread count past
// simd.MaxThreads, negative steps and a run that cannot fit in memory fail in Validate
// (they used to end in "fatal error: out of memory"), saying which limit was hit.
func TestConfigValidateLimits(t *testing.T) {
	for _, tc := range []struct {
		edit func(c *Config)
		msg  string
	}{
		{func(c *Config) { c.Model.DModel, c.Model.Heads = 100000, 1 }, "model.d_model = 100000: must be in [1, 16384]"},
		{func(c *Config) { c.Model.Vocab = MaxVocab + 1 }, "model.vocab = 1048577: must be in [1, 1048576]"},
		{func(c *Config) { c.Model.FFN = 1 << 20 }, "model.ffn = 1048576: must be in [1, 65536]"},
		{func(c *Config) { c.Model.DecLayers = 1000 }, "model.dec_layers = 1000: must be in [1, 256]"},
		{func(c *Config) { c.Model.EncLayers = 1000 }, "model.enc_layers = 1000: must be in [0, 256]"},
		{func(c *Config) { c.Model.Heads = 1 << 12 }, "model.heads = 4096: must be in [1, 1024]"},
		{func(c *Config) { c.Model.MaxLen = 1 << 20 }, "model.max_len = 1048576: must be in [1, 65536]"},
		{func(c *Config) { c.Data.MaxTokens = 1 << 30 }, "data.max_tokens = 1073741824: must be ≤ 16777216"},
		{func(c *Config) { c.Model.Arch, c.Model.EncLayers, c.Data.Batch = "decoder", 0, 1<<20 }, "data.batch = 1048576: must be in [1, 65536]"},
		{func(c *Config) { c.Threads = 1000000 }, "threads = 1000000: must be in [0, 1024]"},
		{func(c *Config) { c.Optim.Accumulate = 1 << 30 }, "optim.accumulate = 1073741824: must be in [1, 65536]"},
		{func(c *Config) { c.Schedule.Steps = -1 }, "schedule.steps = -1: must be ≥ 0"},
		// Every size within its limit, but 8 × 10⁹ parameters: no machine this runs on has
		// the 250 GiB that needs.
		{func(c *Config) { c.Model.DModel, c.Model.FFN, c.Model.EncLayers, c.Model.DecLayers = 8192, 65536, 8, 8 },
			"over the memory limit of"},
	} {
		cfg := DefaultConfig()
		tc.edit(&cfg)
		require.ErrorContains(t, cfg.Validate(), tc.msg)
	}
	cfg := DefaultConfig()
	mem := cfg.Memory()
	require.Greater(t, mem.Params, 8*250e3, "the default model has about 267k parameters")
	require.Less(t, mem.Params, 8*300e3)
	require.Greater(t, mem.Optimizer, mem.Params, "moments and the last good copy")
	require.Greater(t, MemoryLimit(), int64(1<<28))
}

// TestLoadConfigRejectsTrailingData: a config file must be one JSON value.
func TestLoadConfigRejectsTrailingData(t *testing.T) {
	_, err := LoadConfig(writeFile(t, "ok.json", "{\"seed\": 3}\n\n"))
	require.NoError(t, err)
	for _, tail := range []string{`}`, `{"seed": 4}`, `garbage`, `,`} {
		_, err := LoadConfig(writeFile(t, "bad.json", `{"seed": 3}`+"\n"+tail))
		require.ErrorContains(t, err, "bad.json: ", tail)
		require.ErrorContains(t, err, "after the JSON value", tail)
	}
}
