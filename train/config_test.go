package train

import (
	"encoding/json"
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
