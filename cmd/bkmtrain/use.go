package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

// modelFlags are the flags of the commands that use a trained model.
type modelFlags struct {
	checkpoint string
	threads    int
	translates bool        // the command translates: it has the decode flags
	decode     decodeFlags // --beam, --len-penalty
}

func (m *modelFlags) register(fs *flag.FlagSet, translates bool) {
	fs.StringVar(&m.checkpoint, "checkpoint", "", "checkpoint file or run directory (required)")
	fs.IntVar(&m.threads, "threads", 0, "threads (0 = all cores)")
	if m.translates = translates; translates {
		m.decode.register(fs, "beam size (1 = greedy)")
	}
}

// parse parses args and checks the decode flags.
func (m *modelFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkThreads(m.threads); err != nil {
		return err
	}
	if m.translates {
		return m.decode.check()
	}
	return nil
}

// open loads the model for command cmd ("eval", "translate" or "generate"); translate
// and generate need a model of their task.
func (m *modelFlags) open(cmd string) (*train.Session, error) {
	s, err := openModel(m.checkpoint, m.threads)
	if err != nil {
		return nil, err
	}
	task := taskOf(s.Trainer.Cfg)
	if want := map[string]string{"translate": "translate", "generate": "lm"}[cmd]; want != "" && task != want {
		other := map[string]string{"translate": "generate", "lm": "translate"}[want]
		return nil, fmt.Errorf("%s holds a %s model: use bkmtrain %s", m.checkpoint, map[string]string{"translate": "translation", "lm": "language"}[task], other)
	}
	return s, nil
}

// checkThreads rejects a --threads outside [0, simd.MaxThreads] (bkm.MaxThreads is the
// same limit).
func checkThreads(n int) error {
	if n < 0 || n > simd.MaxThreads {
		return usagef("--threads = %d: must be in [0, %d] (0 = all cores)", n, simd.MaxThreads)
	}
	return nil
}

// translator loads a translation model into a train.Translator.
func (m *modelFlags) translator() (*train.Translator, error) {
	s, err := m.open("translate")
	if err != nil {
		return nil, err
	}
	return train.NewTranslator(s.Trainer.Model, s.Tok)
}

// runEval reports the validation loss (and BLEU) of a checkpoint. Only the validation
// data is read: the model's training data and position play no part.
func runEval(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	var mf modelFlags
	mf.register(fs, true)
	validPath := fs.String("valid", "", "validation data (TSV for translation, text for lm); default: the embedded validation set")
	bleuN := fs.Int("bleu-sentences", 0, "translate this many validation sentences for BLEU (0 = all)")
	if err := mf.parse(fs, args); err != nil {
		return err
	}
	if err := checkCounts(map[string]int{"bleu-sentences": *bleuN}); err != nil {
		return err
	}
	s, err := mf.open("eval")
	if err != nil {
		return err
	}
	task := taskOf(s.Trainer.Cfg)
	c, err := loadData(task, *validPath, *validPath)
	if err != nil {
		return err
	}
	if err := s.SetValidation(c); err != nil {
		return err
	}
	vl := s.Validate()
	if err := train.FiniteLoss(vl); err != nil {
		return fmt.Errorf("checkpoint %s: %w", mf.checkpoint, err)
	}
	fmt.Fprintf(stdout, "step %d: valid loss %.4f, perplexity %.2f", s.Steps(), vl, math.Exp(vl))
	if task == "translate" {
		score, src, _, _, err := s.BLEU(context.Background(), *bleuN, mf.decode.beam, mf.decode.lenPenalty)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, ", BLEU %.2f on %d sentences (beam %d)", score.Score, len(src), mf.decode.beam)
	}
	fmt.Fprintln(stdout)
	return nil
}

// runTranslate writes one translation of each input line (stdin or --input) to
// stdout, in order. Lines are read in chunks that the Translator sorts by length and
// decodes in batches; progress goes to stderr on a terminal or with --progress.
func runTranslate(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("translate", stderr)
	var mf modelFlags
	mf.register(fs, true)
	input := fs.String("input", "", "read the sentences from this file instead of stdin")
	batch := fs.Int("batch", train.DefaultMaxSentences, "sentences decoded together")
	maxTokens := fs.Int("max-tokens", train.DefaultMaxTokens, "padded source tokens per batch (sentences × longest)")
	showProgress := fs.Bool("progress", false, "report progress on stderr even when it is not a terminal")
	if err := mf.parse(fs, args); err != nil {
		return err
	}
	if *batch < 1 {
		return usagef("--batch = %d: must be ≥ 1", *batch)
	}
	if *maxTokens < 1 {
		return usagef("--max-tokens = %d: must be ≥ 1", *maxTokens)
	}
	in, name := stdin, "stdin"
	if *input != "" {
		name = *input
		f, err := os.Open(*input)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	tr, err := mf.translator()
	if err != nil {
		return err
	}
	opts := train.TranslateOptions{Beam: mf.decode.beam, LenPenalty: mf.decode.lenPenalty, MaxSentences: *batch, MaxTokens: *maxTokens}
	prog := lineProgress{w: stderr, on: *showProgress || isTerminal(stderr), bar: isTerminal(stderr), t0: time.Now()}
	err = eachChunk(in, name, stdout, max(16**batch, 256), func(lines []string) ([]string, error) {
		out, err := tr.TranslateBatch(context.Background(), lines, opts)
		prog.add(len(lines))
		return out, err
	})
	prog.finish()
	return err
}

// lineProgress reports lines done and their rate: redrawn in place on a terminal,
// one line per chunk otherwise.
type lineProgress struct {
	w       io.Writer
	on, bar bool
	n       int
	t0      time.Time
}

func (p *lineProgress) add(n int) {
	if !p.on {
		return
	}
	p.n += n
	msg := fmt.Sprintf("translated %d lines, %.1f lines/s", p.n, float64(p.n)/time.Since(p.t0).Seconds())
	if p.bar {
		fmt.Fprintf(p.w, "\r%s", msg)
	} else {
		fmt.Fprintln(p.w, msg)
	}
}

func (p *lineProgress) finish() {
	if p.on && p.bar && p.n > 0 {
		fmt.Fprintln(p.w)
	}
}

// maxLine is the longest input line translate and generate read.
const maxLine = 1 << 24

// eachChunk reads input lines (without their line endings) in chunks of up to n and
// writes f's outputs for each chunk to stdout, one line each, in order. A line that is
// not valid UTF-8, or longer than 16 MiB, is an error naming it (name:line): the
// tokenizer would take its bytes as they come, where the training data and serve
// refuse such text.
func eachChunk(stdin io.Reader, name string, stdout io.Writer, n int, f func([]string) ([]string, error)) error {
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 1<<16), maxLine)
	lines := make([]string, 0, n)
	flush := func() error {
		if len(lines) == 0 {
			return nil
		}
		out, err := f(lines)
		if err != nil {
			return err
		}
		for _, o := range out {
			fmt.Fprintln(w, o)
		}
		lines = lines[:0]
		return w.Flush()
	}
	line := 0
	for sc.Scan() {
		line++
		if !utf8.Valid(sc.Bytes()) {
			return fmt.Errorf("%s:%d: invalid UTF-8", name, line)
		}
		if lines = append(lines, strings.TrimRight(sc.Text(), "\r")); len(lines) == n {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("%s:%d: line longer than %d MiB", name, line+1, maxLine>>20)
	} else if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return flush()
}

// runGenerate writes each stdin line followed by its greedy continuation to stdout.
func runGenerate(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate", stderr)
	var mf modelFlags
	mf.register(fs, false)
	tokens := fs.Int("tokens", 100, "tokens to add to each line (greedy)")
	if err := mf.parse(fs, args); err != nil {
		return err
	}
	if *tokens < 0 {
		return usagef("--tokens = %d: must be ≥ 0", *tokens)
	}
	s, err := mf.open("generate")
	if err != nil {
		return err
	}
	// One line a chunk: each continuation is written as soon as it is made.
	return eachChunk(stdin, "stdin", stdout, 1, func(lines []string) ([]string, error) {
		g, err := train.Generate(s.Trainer.Model, s.Tok, lines[0], *tokens)
		return []string{lines[0] + g}, err
	})
}
