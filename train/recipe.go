package train

import "fmt"

// QuickConfig is the recipe of a small run that learns visibly within minutes on two
// cores: arch "encdec" (translation) or "decoder" (language modelling); Model.Vocab is
// left to the tokenizer.
func QuickConfig(arch string) (Config, error) {
	cfg := DefaultConfig()
	switch arch {
	case "encdec":
		// The model of docs/compare-kernels-bible.md with the rbf kernel, which led that
		// study, trained on the same number of tokens in twice as many updates of half the
		// size: with its 2,048-token batches the update at which the decoder starts to use
		// its source moved by hundreds between runs that differed only in float32 rounding
		// (validation loss 2.98 or 3.45 after 1,300 updates); with 1,024-token batches it had
		// started by update 650. With a BPE tokenizer of 2,000 ids, `bkmtrain train` on the
		// embedded Bible corpus ends with a model that translates; README.md has the figures.
		cfg.Model.Arch = "encdec"
		cfg.Model.Kernel = "rbf"
		cfg.Model.DModel, cfg.Model.Heads, cfg.Model.FFN = 128, 4, 512
		cfg.Model.EncLayers, cfg.Model.DecLayers = 2, 2
		cfg.Model.MaxLen = 96
		cfg.Model.Dropout = 0
		cfg.Optim.LR = 2e-3
		cfg.Schedule = ScheduleConfig{Kind: "inverse_sqrt", Warmup: 400, Steps: 2600, InitLR: 1e-7}
		cfg.Data.MaxTokens = 1024
	case "decoder":
		cfg.Model.Arch = "decoder"
		cfg.Model.DModel, cfg.Model.Heads, cfg.Model.FFN = 64, 4, 256
		cfg.Model.EncLayers, cfg.Model.DecLayers = 0, 2
		cfg.Model.MaxLen = 128
		cfg.Model.Dropout = 0.1
		cfg.Model.LabelSmoothing = 0
		cfg.Optim.LR = 2e-3
		cfg.Schedule = ScheduleConfig{Kind: "cosine", Warmup: 50, Steps: 600, MinLR: 1e-4, InitLR: 1e-7}
		cfg.Data.Batch, cfg.Data.Context = 16, 128
	default:
		return cfg, fmt.Errorf("arch %q: want encdec or decoder", arch)
	}
	return cfg, nil
}
