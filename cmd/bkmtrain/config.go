package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/train"
)

// configFlags registers the flags that set fields of train.Config. A flag only changes
// its field when given, so the order of precedence is: defaults for the task, then the
// --config file, then the flags.
type configFlags struct {
	file    string
	task    string
	pending []func(*train.Config) error
}

func (cf *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&cf.file, "config", "", "JSON config file (train.Config; flags override its fields)")
	fs.StringVar(&cf.task, "task", "", "translate (encoder–decoder) or lm (decoder-only language model); default translate, or the config file's model.arch")
	cf.registerModel(fs)
	cf.registerRecipe(fs)
}

// registerModel adds the flags of train.ModelConfig.
func (cf *configFlags) registerModel(fs *flag.FlagSet) {
	cf.str(fs, "kernel", "attention kernel of every layer: edp (softmax), rbf, expint, poly2, taylor2, linear, favor, ...",
		func(c *train.Config) string { return c.Model.Kernel },
		func(c *train.Config, v string) error { c.Model.Kernel, c.Model.LayerKernels = v, nil; return nil })
	cf.integer(fs, "d-model", "model width", func(c *train.Config) *int { return &c.Model.DModel })
	cf.integer(fs, "heads", "attention heads", func(c *train.Config) *int { return &c.Model.Heads })
	cf.integer(fs, "ffn", "feed-forward hidden width", func(c *train.Config) *int { return &c.Model.FFN })
	cf.str(fs, "layers", "encoder and decoder layers (N, or ENC,DEC)",
		func(c *train.Config) string { return fmt.Sprintf("%d,%d", c.Model.EncLayers, c.Model.DecLayers) },
		func(c *train.Config, v string) error {
			e, d, two := strings.Cut(v, ",")
			ne, err1 := strconv.Atoi(e)
			nd, err2 := ne, error(nil)
			if two {
				nd, err2 = strconv.Atoi(d)
			}
			if err1 != nil || err2 != nil {
				return fmt.Errorf("--layers = %q: want N or ENC,DEC", v)
			}
			c.Model.EncLayers, c.Model.DecLayers = ne, nd
			return nil
		})
	cf.integer(fs, "max-len", "longest sequence in tokens (longer sentences are cut)", func(c *train.Config) *int { return &c.Model.MaxLen })
	cf.float(fs, "dropout", "dropout after embeddings and sublayers", func(c *train.Config) *float32 { return &c.Model.Dropout })
	cf.float(fs, "attention-dropout", "dropout of the attention weights (inside the fused attention; training only)", func(c *train.Config) *float32 { return &c.Model.AttentionDropout })
	cf.float(fs, "label-smoothing", "label smoothing of the cross-entropy", func(c *train.Config) *float32 { return &c.Model.LabelSmoothing })
	cf.boolean(fs, "pre-ln", "layer norm before each sublayer (default post-LN)", func(c *train.Config) *bool { return &c.Model.PreLN })
	cf.str(fs, "activation", "FFN activation: relu or gelu", func(c *train.Config) string { return c.Model.Activation },
		func(c *train.Config, v string) error { c.Model.Activation = v; return nil })
}

// registerRecipe adds the flags of the optimizer, schedule, data, seed and threads.
func (cf *configFlags) registerRecipe(fs *flag.FlagSet) {
	cf.float(fs, "lr", "peak learning rate", func(c *train.Config) *float32 { return &c.Optim.LR })
	cf.float(fs, "beta1", "AdamW β1", func(c *train.Config) *float32 { return &c.Optim.Beta1 })
	cf.float(fs, "beta2", "AdamW β2", func(c *train.Config) *float32 { return &c.Optim.Beta2 })
	cf.float(fs, "weight-decay", "AdamW decoupled weight decay", func(c *train.Config) *float32 { return &c.Optim.WeightDecay })
	cf.float(fs, "clip", "gradient-norm clip (0 = off)", func(c *train.Config) *float32 { return &c.Optim.ClipNorm })
	cf.integer(fs, "accumulate", "micro-batches per update", func(c *train.Config) *int { return &c.Optim.Accumulate })
	cf.str(fs, "schedule", "learning-rate schedule: inverse_sqrt, cosine or constant", func(c *train.Config) string { return c.Schedule.Kind },
		func(c *train.Config, v string) error { c.Schedule.Kind = v; return nil })
	cf.integer(fs, "warmup", "warm-up updates", func(c *train.Config) *int { return &c.Schedule.Warmup })
	cf.integer(fs, "steps", "updates to train for", func(c *train.Config) *int { return &c.Schedule.Steps })
	cf.integer(fs, "max-tokens", "translation: tokens per batch", func(c *train.Config) *int { return &c.Data.MaxTokens })
	cf.integer(fs, "batch", "language model: sequences per batch", func(c *train.Config) *int { return &c.Data.Batch })
	cf.integer(fs, "context", "language model: tokens per sequence", func(c *train.Config) *int { return &c.Data.Context })
	seedValue := func(c *train.Config) string { return strconv.FormatUint(c.Seed, 10) }
	fs.Func("seed", withDefaults("random seed (initialization, dropout, data order)", seedValue), func(v string) error {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("not a non-negative integer")
		}
		cf.pending = append(cf.pending, func(c *train.Config) error { c.Seed = n; return nil })
		return nil
	})
	cf.integer(fs, "threads", "threads for the GEMMs (0 = all cores)", func(c *train.Config) *int { return &c.Threads })
}

// withDefaults appends the task defaults of a field to a flag's usage, so -h shows them.
func withDefaults(usage string, value func(c *train.Config) string) string {
	tr, _ := taskDefaults("translate")
	lm, _ := taskDefaults("lm")
	a, b := value(&tr), value(&lm)
	switch {
	case strings.HasPrefix(usage, "translation:"):
		return fmt.Sprintf("%s (default %s)", usage, a)
	case strings.HasPrefix(usage, "language model:"):
		return fmt.Sprintf("%s (default %s)", usage, b)
	case a != b:
		return fmt.Sprintf("%s (default %s; %s with --task lm)", usage, a, b)
	}
	return fmt.Sprintf("%s (default %s)", usage, a)
}

// str adds a flag whose value set parses into the config (errors are usage errors when
// the config is resolved).
func (cf *configFlags) str(fs *flag.FlagSet, name, usage string, value func(*train.Config) string, set func(c *train.Config, v string) error) {
	fs.Func(name, withDefaults(usage, value), func(v string) error {
		cf.pending = append(cf.pending, func(c *train.Config) error { return set(c, v) })
		return nil
	})
}

func (cf *configFlags) integer(fs *flag.FlagSet, name, usage string, field func(c *train.Config) *int) {
	value := func(c *train.Config) string { return strconv.Itoa(*field(c)) }
	fs.Func(name, withDefaults(usage, value), func(v string) error {
		n, err := strconv.Atoi(v)
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("out of range")
		}
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		cf.pending = append(cf.pending, func(c *train.Config) error { *field(c) = n; return nil })
		return nil
	})
}

func (cf *configFlags) float(fs *flag.FlagSet, name, usage string, field func(c *train.Config) *float32) {
	value := func(c *train.Config) string { return strconv.FormatFloat(float64(*field(c)), 'g', -1, 32) }
	fs.Func(name, withDefaults(usage, value), func(v string) error {
		x, err := strconv.ParseFloat(v, 32)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return fmt.Errorf("out of range: float32 holds magnitudes up to %.4g", math.MaxFloat32)
		case err != nil:
			return fmt.Errorf("not a number")
		case math.IsNaN(x) || math.IsInf(x, 0):
			return fmt.Errorf("must be a finite number")
		}
		cf.pending = append(cf.pending, func(c *train.Config) error { *field(c) = float32(x); return nil })
		return nil
	})
}

func (cf *configFlags) boolean(fs *flag.FlagSet, name, usage string, field func(c *train.Config) *bool) {
	fs.BoolFunc(name, usage, func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		cf.pending = append(cf.pending, func(c *train.Config) error { *field(c) = b; return nil })
		return nil
	})
}

// taskDefaults is the recipe a run starts from when no config file is given
// (train.QuickConfig).
func taskDefaults(task string) (train.Config, error) {
	arch, err := archOf(task)
	if err != nil {
		return train.Config{}, err
	}
	return train.QuickConfig(arch)
}

// archOf is the model architecture of a --task.
func archOf(task string) (string, error) {
	arch, ok := map[string]string{"": "encdec", "translate": "encdec", "lm": "decoder"}[task]
	if !ok {
		return "", usagef("--task = %q: want translate or lm", task)
	}
	return arch, nil
}

// resolve builds the run's config: task defaults, then the file, then the flags, and
// validates it (the error names the inconsistent field); set holds the flags given
// (flag.FlagSet.Visit).
func (cf *configFlags) resolve(set map[string]bool) (train.Config, error) {
	var cfg train.Config
	var err error
	if cf.file != "" {
		cfg, err = readConfigFile(cf.file)
		if err != nil {
			return cfg, err
		}
		if cf.task != "" {
			if cfg.Model.Arch, err = archOf(cf.task); err != nil {
				return cfg, err
			}
		}
	} else if cfg, err = taskDefaults(cf.task); err != nil {
		return cfg, err
	}
	for _, set := range cf.pending {
		if err := set(&cfg); err != nil {
			return cfg, usagef("%v", err)
		}
	}
	if err := checkKernel("--kernel", cfg); err != nil {
		return cfg, err
	}
	if err := checkTaskFlags(cfg.Model.Arch, set); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("inconsistent config: %w", err)
	}
	return cfg, nil
}

// checkTaskFlags rejects the batching flags of the other task, which the run would
// ignore: --batch and --context size a language model's batches, --max-tokens a
// translation's.
func checkTaskFlags(arch string, set map[string]bool) error {
	for _, name := range []string{"batch", "context", "max-tokens"} {
		switch {
		case !set[name]:
		case arch == "decoder" && name == "max-tokens":
			return usagef("--max-tokens sizes translation batches: a language model (--task lm) takes --batch and --context")
		case arch != "decoder" && name != "max-tokens":
			return usagef("--%s sizes language-model batches (--task lm): a translation run takes --max-tokens", name)
		}
	}
	return nil
}

// checkKernel reports an unknown kernel name as such, before the config validation
// would report it as a bad per-layer field.
func checkKernel(flagName string, cfg train.Config) error {
	m := cfg.Model
	if len(m.LayerKernels) > 0 || m.Heads < 1 || m.DModel%m.Heads != 0 {
		return nil
	}
	if _, err := attention.ByName(m.Kernel, m.DModel/m.Heads); err != nil {
		return fmt.Errorf("%s: %s", flagName, strings.TrimPrefix(err.Error(), "attention: "))
	}
	return nil
}

// readConfigFile reads a JSON config over the defaults of its task (train.DecodeConfig);
// unknown fields are errors, so a misspelt field is not silently ignored.
func readConfigFile(path string) (train.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return train.Config{}, fmt.Errorf("config: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return train.Config{}, fmt.Errorf("config %s: empty file (want a JSON object: a train.Config)", path)
	}
	task := "translate"
	var probe struct {
		Model struct {
			Arch string `json:"arch"`
		} `json:"model"`
	}
	if json.Unmarshal(b, &probe) == nil && probe.Model.Arch == "decoder" {
		task = "lm"
	}
	cfg, _ := taskDefaults(task)
	if cfg, err = train.DecodeConfig(bytes.NewReader(b), cfg); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

func taskOf(cfg train.Config) string {
	if cfg.Model.Arch == "decoder" {
		return "lm"
	}
	return "translate"
}
