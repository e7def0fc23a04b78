package train

import (
	"encoding/json"
	"fmt"
	"os"
)

// Config is everything a training run needs: model, optimizer, schedule, data, seed and
// threads. It round-trips through JSON (cmd/bkmtrain reads it from a file and lets flags
// override fields) and is stored in every checkpoint.
type Config struct {
	Model    ModelConfig    `json:"model"`
	Optim    OptimConfig    `json:"optim"`
	Schedule ScheduleConfig `json:"schedule"`
	Data     DataConfig     `json:"data"`
	Seed     uint64         `json:"seed"`
	Threads  int            `json:"threads"` // simd.SetThreads; 0 = GOMAXPROCS
}

// ModelConfig describes the Transformer.
type ModelConfig struct {
	Arch       string `json:"arch"`       // "decoder" (language model) or "encdec" (translation)
	Vocab      int    `json:"vocab"`      // joint source/target vocabulary size
	DModel     int    `json:"d_model"`    // C
	Heads      int    `json:"heads"`      // H; C must be a multiple of H
	FFN        int    `json:"ffn"`        // hidden width of the feed-forward block
	EncLayers  int    `json:"enc_layers"` // encoder layers (encdec only)
	DecLayers  int    `json:"dec_layers"` // decoder layers
	MaxLen     int    `json:"max_len"`    // longest sequence (positions table size)
	PreLN      bool   `json:"pre_ln"`     // layer norm before each sublayer (+ final norms); default post-LN as fairseq
	Positions  string `json:"positions"`  // "sinusoidal" (default) or "learned"
	Activation string `json:"activation"` // "relu" (default) or "gelu" (tanh approximation)
	// ShareDecoderEmbeddings ties the decoder input embedding and the output projection.
	ShareDecoderEmbeddings bool `json:"share_decoder_embeddings"`
	// ShareAllEmbeddings also uses the decoder's table for the encoder (encdec only).
	ShareAllEmbeddings bool `json:"share_all_embeddings"`
	// ScaleEmbedding multiplies token embeddings by √C (fairseq); they are initialized N(0, C^-½).
	ScaleEmbedding bool `json:"scale_embedding"`

	Dropout           float32 `json:"dropout"`            // after embeddings and every sublayer
	ActivationDropout float32 `json:"activation_dropout"` // inside the FFN, after the activation
	// AttentionDropout drops normalized attention weights during training (package
	// attention's Options.Dropout, applied inside the fused kernels), in every self-,
	// cross- and decoder attention layer; never in evaluation or decoding.
	AttentionDropout float32 `json:"attention_dropout"`
	LabelSmoothing   float32 `json:"label_smoothing"`

	// Kernel names the attention kernel of every layer (package attention's zoo; "edp" is
	// softmax attention). LayerKernels, when set, overrides it per attention layer in the
	// order encoder self-attentions, then for each decoder layer self-attention and (encdec)
	// cross-attention.
	Kernel       string   `json:"kernel"`
	LayerKernels []string `json:"layer_kernels,omitempty"`
	// KernelScale is the kernel's γ; 0 means 1/√(C/H).
	KernelScale float32 `json:"kernel_scale,omitempty"`

	Pad int32 `json:"pad"` // padding id: ignored by the loss, masked as a key
	BOS int32 `json:"bos"` // first decoder input
	EOS int32 `json:"eos"` // end of sequence
}

// OptimConfig configures AdamW and the update.
type OptimConfig struct {
	LR          float32 `json:"lr"` // peak learning rate
	Beta1       float32 `json:"beta1"`
	Beta2       float32 `json:"beta2"`
	Eps         float32 `json:"eps"`
	WeightDecay float32 `json:"weight_decay"` // decoupled; applied to matrices and embeddings, not biases or norms
	ClipNorm    float32 `json:"clip_norm"`    // global gradient-norm clip; 0 = off
	Accumulate  int     `json:"accumulate"`   // micro-batches per update (≥ 1)
}

// ScheduleConfig configures the learning-rate schedule.
type ScheduleConfig struct {
	Kind   string  `json:"kind"`    // "inverse_sqrt" (fairseq), "cosine" or "constant"
	Warmup int     `json:"warmup"`  // linear warm-up updates
	Steps  int     `json:"steps"`   // total updates (cosine decays to MinLR at Steps)
	MinLR  float32 `json:"min_lr"`  // cosine floor
	InitLR float32 `json:"init_lr"` // learning rate at update 0 of the warm-up
}

// DataConfig says how batches are formed.
type DataConfig struct {
	MaxTokens int `json:"max_tokens"` // translation: tokens per batch (source or target side, padding included)
	Batch     int `json:"batch"`      // language model: sequences per batch
	Context   int `json:"context"`    // language model: tokens per sequence
}

// DefaultConfig is a small post-LN encoder–decoder with fairseq's recipe.
func DefaultConfig() Config {
	return Config{
		Model: ModelConfig{
			Arch: "encdec", Vocab: 259, DModel: 64, Heads: 4, FFN: 256, EncLayers: 2, DecLayers: 2,
			MaxLen: 256, Positions: "sinusoidal", Activation: "relu", ScaleEmbedding: true,
			ShareDecoderEmbeddings: true, Dropout: 0.1, LabelSmoothing: 0.1, Kernel: "edp",
			Pad: BytePad, BOS: ByteBOS, EOS: ByteEOS,
		},
		Optim:    OptimConfig{LR: 5e-4, Beta1: 0.9, Beta2: 0.98, Eps: 1e-8, WeightDecay: 0.0001, ClipNorm: 1, Accumulate: 1},
		Schedule: ScheduleConfig{Kind: "inverse_sqrt", Warmup: 400, Steps: 4000, InitLR: 1e-7},
		Data:     DataConfig{MaxTokens: 2048, Batch: 8, Context: 128},
		Seed:     1,
	}
}

// Validate reports the first inconsistent field, by its JSON path.
func (c *Config) Validate() error {
	if err := c.Model.Validate(); err != nil {
		return err
	}
	o := c.Optim
	switch {
	case !(o.LR > 0):
		return fmt.Errorf("optim.lr = %g: must be > 0", o.LR)
	case o.Beta1 < 0 || o.Beta1 >= 1:
		return fmt.Errorf("optim.beta1 = %g: must be in [0, 1)", o.Beta1)
	case o.Beta2 < 0 || o.Beta2 >= 1:
		return fmt.Errorf("optim.beta2 = %g: must be in [0, 1)", o.Beta2)
	case !(o.Eps > 0):
		return fmt.Errorf("optim.eps = %g: must be > 0", o.Eps)
	case o.WeightDecay < 0:
		return fmt.Errorf("optim.weight_decay = %g: must be ≥ 0", o.WeightDecay)
	case o.ClipNorm < 0:
		return fmt.Errorf("optim.clip_norm = %g: must be ≥ 0", o.ClipNorm)
	case o.Accumulate < 1:
		return fmt.Errorf("optim.accumulate = %d: must be ≥ 1", o.Accumulate)
	}
	s := c.Schedule
	switch s.Kind {
	case "inverse_sqrt", "cosine", "constant":
	default:
		return fmt.Errorf("schedule.kind = %q: want inverse_sqrt, cosine or constant", s.Kind)
	}
	if s.Warmup < 0 {
		return fmt.Errorf("schedule.warmup = %d: must be ≥ 0", s.Warmup)
	}
	if s.Kind == "cosine" && s.Steps <= s.Warmup {
		return fmt.Errorf("schedule.steps = %d: cosine needs steps > warmup = %d", s.Steps, s.Warmup)
	}
	d := c.Data
	if c.Model.Arch == "decoder" {
		if d.Batch < 1 {
			return fmt.Errorf("data.batch = %d: must be ≥ 1", d.Batch)
		}
		if d.Context < 1 || d.Context > c.Model.MaxLen {
			return fmt.Errorf("data.context = %d: must be in [1, model.max_len = %d]", d.Context, c.Model.MaxLen)
		}
	} else if d.MaxTokens < c.Model.MaxLen {
		return fmt.Errorf("data.max_tokens = %d: must be ≥ model.max_len = %d so the longest sentence fits", d.MaxTokens, c.Model.MaxLen)
	}
	if c.Threads < 0 {
		return fmt.Errorf("threads = %d: must be ≥ 0", c.Threads)
	}
	return nil
}

// Validate reports the first inconsistent model field.
func (m *ModelConfig) Validate() error {
	switch m.Arch {
	case "decoder", "encdec":
	default:
		return fmt.Errorf("model.arch = %q: want decoder or encdec", m.Arch)
	}
	switch {
	case m.Vocab < 1:
		return fmt.Errorf("model.vocab = %d: must be ≥ 1", m.Vocab)
	case m.DModel < 1:
		return fmt.Errorf("model.d_model = %d: must be ≥ 1", m.DModel)
	case m.Heads < 1 || m.DModel%m.Heads != 0:
		return fmt.Errorf("model.heads = %d: must divide model.d_model = %d", m.Heads, m.DModel)
	case m.FFN < 1:
		return fmt.Errorf("model.ffn = %d: must be ≥ 1", m.FFN)
	case m.DecLayers < 1:
		return fmt.Errorf("model.dec_layers = %d: must be ≥ 1", m.DecLayers)
	case m.Arch == "encdec" && m.EncLayers < 1:
		return fmt.Errorf("model.enc_layers = %d: an encoder–decoder needs ≥ 1", m.EncLayers)
	case m.MaxLen < 1:
		return fmt.Errorf("model.max_len = %d: must be ≥ 1", m.MaxLen)
	case !(m.AttentionDropout >= 0 && m.AttentionDropout < 1):
		return fmt.Errorf("model.attention_dropout = %g: must be in [0, 1)", m.AttentionDropout)
	case m.Dropout < 0 || m.Dropout >= 1:
		return fmt.Errorf("model.dropout = %g: must be in [0, 1)", m.Dropout)
	case m.ActivationDropout < 0 || m.ActivationDropout >= 1:
		return fmt.Errorf("model.activation_dropout = %g: must be in [0, 1)", m.ActivationDropout)
	case m.LabelSmoothing < 0 || m.LabelSmoothing >= 1:
		return fmt.Errorf("model.label_smoothing = %g: must be in [0, 1)", m.LabelSmoothing)
	}
	for _, id := range []struct {
		name string
		v    int32
	}{{"pad", m.Pad}, {"bos", m.BOS}, {"eos", m.EOS}} {
		if id.v < 0 || int(id.v) >= m.Vocab {
			return fmt.Errorf("model.%s = %d: must be a token id in [0, model.vocab = %d)", id.name, id.v, m.Vocab)
		}
	}
	switch m.Positions {
	case "", "sinusoidal", "learned":
	default:
		return fmt.Errorf("model.positions = %q: want sinusoidal or learned", m.Positions)
	}
	switch m.Activation {
	case "", "relu", "gelu":
	default:
		return fmt.Errorf("model.activation = %q: want relu or gelu", m.Activation)
	}
	if m.ShareAllEmbeddings && m.Arch != "encdec" {
		return fmt.Errorf("model.share_all_embeddings: only for arch encdec")
	}
	if n := m.attentionLayers(); len(m.LayerKernels) != 0 && len(m.LayerKernels) != n {
		return fmt.Errorf("model.layer_kernels has %d entries: the model has %d attention layers", len(m.LayerKernels), n)
	}
	for i := 0; i < m.attentionLayers(); i++ {
		if _, err := newAttnCore(m.kernelOf(i), m.KernelScale, m.DModel/m.Heads); err != nil {
			return fmt.Errorf("model.layer_kernels[%d]: %w", i, err)
		}
	}
	return nil
}

func (m *ModelConfig) attentionLayers() int {
	if m.Arch == "encdec" {
		return m.EncLayers + 2*m.DecLayers
	}
	return m.DecLayers
}

func (m *ModelConfig) kernelOf(i int) string {
	if len(m.LayerKernels) > 0 {
		return m.LayerKernels[i]
	}
	return m.Kernel
}

// LoadConfig reads a JSON config file over DefaultConfig; unknown fields are errors.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	f, err := os.Open(path)
	if err != nil {
		return cfg, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, cfg.Validate()
}
