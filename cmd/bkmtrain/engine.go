package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

// engine adapts package train to what the commands need: a trainer with its data
// loader, the validation batches, and the text of the validation set for BLEU and
// samples. Every call into package train goes through this file.
type engine struct {
	cfg    train.Config
	task   string // "translate" or "lm"
	tok    train.Tokenizer
	tr     *train.Trainer
	loader train.Loader
	valid  []*train.Batch
	ds     *dataSet
	// lenPenalty is the beam-search length penalty α: hypotheses are ranked by
	// log p / len^α (fairseq; default 1, set by --len-penalty).
	lenPenalty float64
}

// newEngine builds the model from cfg (initialized from cfg.Seed) and the batches of ds
// tokenized with tok; with ds nil, only the model (for translate and generate).
func newEngine(cfg train.Config, ds *dataSet, tok train.Tokenizer) (*engine, error) {
	tr, err := train.NewTrainer(cfg)
	if err != nil {
		return nil, fmt.Errorf("inconsistent config: %w", err)
	}
	e := &engine{cfg: cfg, task: taskOf(cfg), tok: tok, tr: tr, ds: ds, lenPenalty: defaultLenPenalty}
	if m := cfg.Model; m.Vocab < e.tok.VocabSize() {
		return nil, fmt.Errorf("inconsistent config: model.vocab = %d is smaller than the tokenizer's %d ids (--tokenizer sets it)", m.Vocab, e.tok.VocabSize())
	}
	if ds == nil {
		return e, nil
	}
	if err := e.prepareData(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *engine) prepareData() error {
	m := e.cfg.Model
	var err error
	if e.task == "translate" {
		if e.ds.Train == nil {
			return fmt.Errorf("translation needs a parallel corpus (TSV: source<TAB>target)")
		}
		var l *train.PairLoader
		if l, err = train.NewPairLoader(e.encodePairs(e.ds.Train), e.cfg.Data.MaxTokens, m.MaxLen, m.Pad, m.BOS, m.EOS, e.cfg.Seed); err != nil {
			return fmt.Errorf("training data: %w", err)
		}
		e.loader = l
		vl, err := train.NewPairLoader(e.encodePairs(e.ds.Valid), e.cfg.Data.MaxTokens, m.MaxLen, m.Pad, m.BOS, m.EOS, e.cfg.Seed)
		if err != nil {
			return fmt.Errorf("validation data: %w", err)
		}
		e.valid = vl.Batches()
		return nil
	}
	d := e.cfg.Data
	l, err := train.NewLMLoader(e.encodeText(e.ds.TrainText), d.Batch, d.Context, e.cfg.Seed)
	if err != nil {
		return fmt.Errorf("training data: %w", err)
	}
	e.loader = l
	// The validation text may be shorter than one training batch: use fewer rows.
	vt := e.encodeText(e.ds.ValidText)
	B := min(d.Batch, max((len(vt)-1)/d.Context, 1))
	vl, err := train.NewLMLoader(vt, B, min(d.Context, len(vt)-1), e.cfg.Seed)
	if err != nil {
		return fmt.Errorf("validation data: %w", err)
	}
	e.valid = vl.Batches()
	return nil
}

func (e *engine) encodePairs(ps []pair) []train.Pair {
	out := make([]train.Pair, len(ps))
	for i, p := range ps {
		out[i] = train.Pair{Src: e.tok.Encode(p.Src), Tgt: e.tok.Encode(p.Tgt)}
	}
	return out
}

func (e *engine) encodeText(lines []string) []int32 {
	return e.tok.Encode(strings.Join(lines, "\n") + "\n")
}

// steps is the number of updates done.
func (e *engine) steps() int { return e.tr.Steps }

// step does one optimizer update over Optim.Accumulate micro-batches. A non-finite loss
// is returned as an error before the update, so the model is still the last good one.
func (e *engine) step() (train.StepStats, error) {
	micro := make([]*train.Batch, e.cfg.Optim.Accumulate)
	for i := range micro {
		micro[i] = e.loader.Next()
	}
	return e.tr.Step(micro...)
}

// validate returns the mean per-token validation loss (no label smoothing, no dropout).
func (e *engine) validate() float64 {
	loss, _ := e.tr.Eval(e.valid)
	return loss
}

func (e *engine) numParams() int { return e.tr.Model.NumParams() }

func (e *engine) threads() int { return simd.Threads() }

// configJSON is the config as one line of JSON, for logs.
func configJSON(cfg train.Config) string {
	b, _ := json.Marshal(cfg)
	return string(b)
}

// newTokenizer makes the tokenizer of a fresh run: bytes, or BPE learned from the
// training text (both sides for translation) with vocab ids in total.
func newTokenizer(kind string, vocab int, ds *dataSet) (train.Tokenizer, error) {
	switch kind {
	case "byte":
		return train.ByteTokenizer{}, nil
	case "bpe":
		var b strings.Builder
		for _, p := range ds.Train {
			b.WriteString(p.Src + "\n" + p.Tgt + "\n")
		}
		for _, l := range ds.TrainText {
			b.WriteString(l + "\n")
		}
		bpe, err := train.TrainBPE(b.String(), vocab)
		if err != nil {
			return nil, fmt.Errorf("--bpe-vocab %d: %w", vocab, err)
		}
		return bpe, nil
	}
	return nil, usagef("--tokenizer = %q: want byte or bpe", kind)
}
