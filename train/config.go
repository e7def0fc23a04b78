package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/kernelmachines/bkm/simd"
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

// Validate reports the first inconsistent field, by its JSON path, with its value:
// every float must be finite and in its range, every size within the limits below, and
// the memory a run needs (Config.Memory) within MemoryLimit — so a bad config fails
// here, before anything is trained or written.
func (c *Config) Validate() error {
	if err := c.Model.Validate(); err != nil {
		return err
	}
	o := c.Optim
	for _, f := range []floatField{
		{"optim.lr", o.LR, 0, math.MaxFloat32, false, true},
		{"optim.beta1", o.Beta1, 0, 1, true, false},
		{"optim.beta2", o.Beta2, 0, 1, true, false},
		{"optim.eps", o.Eps, 0, math.MaxFloat32, false, true},
		{"optim.weight_decay", o.WeightDecay, 0, math.MaxFloat32, true, true},
		{"optim.clip_norm", o.ClipNorm, 0, math.MaxFloat32, true, true},
	} {
		if err := f.check(); err != nil {
			return err
		}
	}
	if o.Accumulate < 1 || o.Accumulate > MaxAccumulate {
		return fmt.Errorf("optim.accumulate = %d: must be in [1, %d]", o.Accumulate, MaxAccumulate)
	}
	s := c.Schedule
	switch s.Kind {
	case "inverse_sqrt", "cosine", "constant":
	default:
		return fmt.Errorf("schedule.kind = %q: want inverse_sqrt, cosine or constant", s.Kind)
	}
	for _, f := range []floatField{
		{"schedule.min_lr", s.MinLR, 0, math.MaxFloat32, true, true},
		{"schedule.init_lr", s.InitLR, 0, math.MaxFloat32, true, true},
	} {
		if err := f.check(); err != nil {
			return err
		}
	}
	if s.Warmup < 0 {
		return fmt.Errorf("schedule.warmup = %d: must be ≥ 0", s.Warmup)
	}
	if s.Steps < 0 {
		return fmt.Errorf("schedule.steps = %d: must be ≥ 0", s.Steps)
	}
	if s.Kind == "cosine" && s.Steps <= s.Warmup {
		return fmt.Errorf("schedule.steps = %d: cosine needs steps > warmup = %d", s.Steps, s.Warmup)
	}
	d := c.Data
	if c.Model.Arch == "decoder" {
		if d.Batch < 1 || d.Batch > MaxBatch {
			return fmt.Errorf("data.batch = %d: must be in [1, %d]", d.Batch, MaxBatch)
		}
		if d.Context < 1 || d.Context > c.Model.MaxLen {
			return fmt.Errorf("data.context = %d: must be in [1, model.max_len = %d]", d.Context, c.Model.MaxLen)
		}
	} else if d.MaxTokens < c.Model.MaxLen {
		return fmt.Errorf("data.max_tokens = %d: must be ≥ model.max_len = %d so the longest sentence fits", d.MaxTokens, c.Model.MaxLen)
	} else if d.MaxTokens > MaxTokens {
		return fmt.Errorf("data.max_tokens = %d: must be ≤ %d", d.MaxTokens, MaxTokens)
	}
	if c.Threads < 0 || c.Threads > simd.MaxThreads {
		return fmt.Errorf("threads = %d: must be in [0, %d] (0 = GOMAXPROCS)", c.Threads, simd.MaxThreads)
	}
	if mem, limit := c.Memory(), MemoryLimit(); mem.Total() > float64(limit) {
		return fmt.Errorf("the run needs about %s (parameters and gradients %s, optimizer %s, activations %s, the step's second half %s), over the memory limit of %s (%s): make the model or the batch smaller",
			bytesString(mem.Total()), bytesString(mem.Params), bytesString(mem.Optimizer), bytesString(mem.Activations), bytesString(mem.Halves), bytesString(float64(limit)), memoryLimitSource)
	}
	return nil
}

// Size limits of a config: far above any model this package trains in reasonable time,
// low enough that sizes and their products cannot overflow and a typo fails in Validate.
const (
	MaxVocab      = 1 << 20 // model.vocab
	MaxDModel     = 1 << 14 // model.d_model
	MaxHeads      = 1 << 10 // model.heads
	MaxFFN        = 1 << 16 // model.ffn
	MaxLayers     = 1 << 8  // model.enc_layers and model.dec_layers, each
	MaxLen        = 1 << 16 // model.max_len (and so data.context)
	MaxBatch      = 1 << 16 // data.batch
	MaxTokens     = 1 << 24 // data.max_tokens
	MaxAccumulate = 1 << 16 // optim.accumulate
)

// floatField is a float config field and its allowed range [lo, hi], each end closed
// or open.
type floatField struct {
	name               string
	v                  float32
	lo, hi             float64
	loClosed, hiClosed bool
}

func (f floatField) check() error {
	v := float64(f.v)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s = %g: must be a finite number", f.name, f.v)
	}
	if v < f.lo || (v == f.lo && !f.loClosed) || v > f.hi || (v == f.hi && !f.hiClosed) {
		lb, rb := "[", "]"
		if !f.loClosed {
			lb = "("
		}
		if !f.hiClosed {
			rb = ")"
		}
		if f.hi == math.MaxFloat32 {
			if f.loClosed {
				return fmt.Errorf("%s = %g: must be ≥ %g", f.name, f.v, f.lo)
			}
			return fmt.Errorf("%s = %g: must be > %g", f.name, f.v, f.lo)
		}
		return fmt.Errorf("%s = %g: must be in %s%g, %g%s", f.name, f.v, lb, f.lo, f.hi, rb)
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
	for _, f := range []struct {
		name   string
		v, max int
	}{
		{"model.vocab", m.Vocab, MaxVocab}, {"model.d_model", m.DModel, MaxDModel}, {"model.heads", m.Heads, MaxHeads},
		{"model.ffn", m.FFN, MaxFFN}, {"model.dec_layers", m.DecLayers, MaxLayers}, {"model.max_len", m.MaxLen, MaxLen},
	} {
		if f.v < 1 || f.v > f.max {
			return fmt.Errorf("%s = %d: must be in [1, %d]", f.name, f.v, f.max)
		}
	}
	switch {
	case m.DModel%m.Heads != 0:
		return fmt.Errorf("model.heads = %d: must divide model.d_model = %d", m.Heads, m.DModel)
	case m.Arch == "encdec" && m.EncLayers < 1:
		return fmt.Errorf("model.enc_layers = %d: an encoder–decoder needs ≥ 1", m.EncLayers)
	case m.EncLayers < 0 || m.EncLayers > MaxLayers:
		return fmt.Errorf("model.enc_layers = %d: must be in [0, %d]", m.EncLayers, MaxLayers)
	}
	for _, f := range []floatField{
		{"model.dropout", m.Dropout, 0, 1, true, false},
		{"model.activation_dropout", m.ActivationDropout, 0, 1, true, false},
		{"model.attention_dropout", m.AttentionDropout, 0, 1, true, false},
		{"model.label_smoothing", m.LabelSmoothing, 0, 1, true, false},
		{"model.kernel_scale", m.KernelScale, 0, math.MaxFloat32, true, true},
	} {
		if err := f.check(); err != nil {
			return err
		}
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

// RejectTrailingJSON returns an error if dec, having decoded one value, has anything but
// white space left: a config with trailing garbage (a second object, a stray brace) is
// a broken file, not a config.
func RejectTrailingJSON(dec *json.Decoder) error {
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
		return nil
	case err != nil:
		return fmt.Errorf("after the JSON value, at byte %d: %w", dec.InputOffset(), err)
	default:
		return fmt.Errorf("trailing data after the JSON value, at byte %d", dec.InputOffset()-int64(len(extra)))
	}
}

// LoadConfig reads a JSON config file over DefaultConfig (DecodeConfig) and validates it.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return DefaultConfig(), err
	}
	defer f.Close()
	cfg, err := DecodeConfig(f, DefaultConfig())
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, cfg.Validate()
}

// DecodeConfig reads one JSON config from r over base (fields absent from the JSON keep
// base's values). Unknown fields and anything after the JSON value are errors; the
// result is not validated.
func DecodeConfig(r io.Reader, base Config) (Config, error) {
	cfg := base
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, err
	}
	return cfg, RejectTrailingJSON(dec)
}
