package train

import (
	"context"
	"fmt"
	"strings"
)

// Corpus is the text a run trains and validates on: sentence pairs for translation
// (encdec), lines for language modelling (decoder).
type Corpus struct {
	Name                 string // shown in logs: file names, or a description
	Train, Valid         []TextPair
	TrainText, ValidText []string
}

// Session is a training run: a Trainer, the tokenizer of its model, the loader of the
// training batches and the validation batches. It is what a command drives: Step,
// Validate, BLEU, Save, and ResumeSession or OpenModel to come back to a checkpoint.
type Session struct {
	Trainer *Trainer
	Tok     Tokenizer
	Corpus  *Corpus // nil until SetData or SetValidation
	loader  Loader  // nil without training data
	valid   []*Batch
	// corpusID identifies the corpus of SetData, saved with the data position.
	corpusID *CorpusID
}

// NewSession builds the model of cfg (initialized from cfg.Seed) for tok, whose ids
// must fit cfg.Model.Vocab. It has no data yet.
func NewSession(cfg Config, tok Tokenizer) (*Session, error) {
	if m := cfg.Model; m.Vocab < tok.VocabSize() {
		return nil, fmt.Errorf("model.vocab = %d is smaller than the tokenizer's %d ids", m.Vocab, tok.VocabSize())
	}
	tr, err := NewTrainer(cfg)
	if err != nil {
		return nil, err
	}
	return &Session{Trainer: tr, Tok: tok}, nil
}

// NewCorpusTokenizer makes the tokenizer of a fresh run: "byte", or "bpe" learned from
// the training text of c (both sides of every pair) with vocab ids in total.
func NewCorpusTokenizer(kind string, vocab int, c *Corpus) (Tokenizer, error) {
	switch kind {
	case "byte":
		return ByteTokenizer{}, nil
	case "bpe":
		var b strings.Builder
		for _, p := range c.Train {
			b.WriteString(p.Src + "\n" + p.Tgt + "\n")
		}
		for _, l := range c.TrainText {
			b.WriteString(l + "\n")
		}
		return TrainBPE(b.String(), vocab)
	}
	return nil, fmt.Errorf("tokenizer %q: want byte or bpe", kind)
}

// SetData tokenizes c and prepares the training loader (seeded by the config) and the
// validation batches.
func (s *Session) SetData(c *Corpus) error {
	cfg := s.Trainer.Cfg
	d := cfg.Data
	if s.isTranslation() {
		l, err := s.pairLoader(c.Train, "training")
		if err != nil {
			return err
		}
		s.loader = l
	} else {
		l, err := NewLMLoader(s.encodeText(c.TrainText), d.Batch, d.Context, cfg.Seed)
		if err != nil {
			return fmt.Errorf("training data: %w", err)
		}
		s.loader = l
	}
	if err := s.SetValidation(c); err != nil {
		return err
	}
	s.corpusID = c.identify()
	s.reserveArena()
	return nil
}

// reserveArena sizes the training model's activation arena once for the largest
// training or validation batch, and its attention workspace for every batch shape, so
// that no step mid-run replaces them with larger ones; the step's halves are sized at
// the first step of a run alone (a rank of a distributed run has none).
func (s *Session) reserveArena() {
	m := s.Trainer.Model
	var src, tgt int
	type shape struct{ B, S, T int }
	seen := map[shape]bool{}
	for _, bs := range [][]*Batch{s.loader.Batches(), s.valid} {
		for _, b := range bs {
			src, tgt = max(src, b.B*b.S), max(tgt, b.B*b.T)
			if sh := (shape{b.B, b.S, b.T}); !seen[sh] {
				seen[sh] = true
				m.reserveAttention(b.B, b.S, b.T)
			}
		}
	}
	m.Reserve(src, tgt)
	s.Trainer.reserveHalvesAtFirstStep(s.loader.Batches())
}

// SetValidation prepares the validation batches of c only: evaluating a model needs
// neither its training data nor its data position.
func (s *Session) SetValidation(c *Corpus) error {
	cfg := s.Trainer.Cfg
	d := cfg.Data
	s.Corpus = c
	if s.isTranslation() {
		vl, err := s.pairLoader(c.Valid, "validation")
		if err != nil {
			return err
		}
		s.valid = vl.Batches()
		return nil
	}
	// The validation text may be shorter than one training batch: use fewer rows.
	vt := s.encodeText(c.ValidText)
	B := min(d.Batch, max((len(vt)-1)/d.Context, 1))
	vl, err := NewLMLoader(vt, B, min(d.Context, len(vt)-1), cfg.Seed)
	if err != nil {
		return fmt.Errorf("validation data: %w", err)
	}
	s.valid = vl.Batches()
	return nil
}

// pairLoader tokenizes pairs and batches them as the config says; what ("training",
// "validation") names the data in errors.
func (s *Session) pairLoader(pairs []TextPair, what string) (*PairLoader, error) {
	if pairs == nil {
		return nil, fmt.Errorf("translation needs a parallel corpus (TSV: source<TAB>target)")
	}
	cfg := s.Trainer.Cfg
	m := cfg.Model
	l, err := NewPairLoader(EncodePairs(pairs, s.Tok), cfg.Data.MaxTokens, m.MaxLen, m.Pad, m.BOS, m.EOS, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s data: %w", what, err)
	}
	return l, nil
}

func (s *Session) isTranslation() bool { return s.Trainer.Cfg.Model.Arch == "encdec" }

func (s *Session) encodeText(lines []string) []int32 {
	return s.Tok.Encode(strings.Join(lines, "\n") + "\n")
}

// Steps is the number of updates done.
func (s *Session) Steps() int { return s.Trainer.Steps }

// Step does one optimizer update over Optim.Accumulate micro-batches of the training
// data. A NaN or infinite loss, gradient or update is an error wrapping ErrDiverged,
// with the trainer back at its last good state (Trainer.Step).
func (s *Session) Step() (StepStats, error) {
	if s.loader == nil {
		panic("train: Session.Step: no training data (call SetData first)")
	}
	micro := make([]*Batch, s.Trainer.Cfg.Optim.Accumulate)
	for i := range micro {
		micro[i] = s.loader.Next()
	}
	return s.Trainer.Step(micro...)
}

// Validate returns the mean per-token validation loss (no label smoothing, no dropout).
func (s *Session) Validate() float64 {
	loss, _ := s.Trainer.Eval(s.valid)
	return loss
}

// BLEU translates the first n validation pairs (all for n ≤ 0) with EvalBLEUContext
// and returns the score with the sources, references and translations.
func (s *Session) BLEU(ctx context.Context, n, beam int, lenPenalty float64) (score BLEUScore, src, ref, hyp []string, err error) {
	if s.Corpus == nil || s.Corpus.Valid == nil {
		return score, nil, nil, nil, fmt.Errorf("bleu: no validation pairs (SetData or SetValidation with a parallel corpus)")
	}
	pairs := s.Corpus.Valid
	if n > 0 {
		pairs = pairs[:min(n, len(pairs))]
	}
	src, ref = SplitPairs(pairs)
	score, hyp, err = EvalBLEUContext(ctx, s.Trainer.Model, s.Tok, src, ref, beam, lenPenalty)
	return score, src, ref, hyp, err
}

// Generate continues each prompt greedily by up to n tokens (Generate).
func (s *Session) Generate(prompts []string, n int) ([]string, error) {
	out := make([]string, len(prompts))
	for i, p := range prompts {
		g, err := Generate(s.Trainer.Model, s.Tok, p, n)
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

// Save writes a checkpoint of the session (model, optimizer, counters, data position,
// tokenizer) to path atomically.
//
// In a data-parallel group (Distribute) every rank calls it: the ranks check that their
// parameters are still identical, and rank 0 alone writes.
func (s *Session) Save(path string) error {
	write := func() error { return s.Trainer.Save(path, s.dataState(), s.Tok) }
	if s.Trainer.dp != nil {
		return s.saveDistributed(write)
	}
	return write()
}

// dataState is the loader's position in the training corpus (zero without training
// data).
func (s *Session) dataState() DataState {
	if s.loader == nil {
		return DataState{}
	}
	st := s.loader.State()
	st.Corpus = s.corpusID
	return st
}

// ResumeSession continues the run saved in the checkpoint at path on the corpus c: cfg
// is the checkpoint's config (CheckpointHeader.Config) with the changes a resumed run
// allows; the model, optimizer, counters and data position are restored.
func ResumeSession(path string, cfg Config, c *Corpus) (*Session, error) {
	s, hdr, err := openCheckpoint(path, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.SetData(c); err != nil {
		return nil, err
	}
	if err := sameCorpus(hdr.Data.Corpus, s.corpusID); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	pos := hdr.Data
	pos.Corpus = nil
	if err := s.loader.SetState(pos); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w (was it trained on other data?)", path, err)
	}
	return s, nil
}

// OpenModel loads the model and tokenizer of the checkpoint at path, running on threads
// threads (0 = all cores), without data: for translation, generation, or evaluation
// after SetValidation.
func OpenModel(path string, threads int) (*Session, error) {
	hdr, _, _, err := ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	cfg := hdr.Config
	cfg.Threads = threads
	s, _, err := openCheckpoint(path, cfg)
	return s, err
}

// openCheckpoint builds a session for cfg with the checkpoint's tokenizer and restores
// the checkpoint's model, optimizer and counters into it.
func openCheckpoint(path string, cfg Config) (*Session, *CheckpointHeader, error) {
	hdr, _, _, err := ReadCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	tok, err := hdr.Tokenizer.Tokenizer()
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	s, err := NewSession(cfg, tok)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if _, err := s.Trainer.LoadInto(path); err != nil {
		return nil, nil, err
	}
	return s, hdr, nil
}
