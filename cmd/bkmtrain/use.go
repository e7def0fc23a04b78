package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// openCheckpoint loads the model of a checkpoint file or run directory, with the data
// of ds (nil for the model only).
func openCheckpoint(path string, threads int, ds *dataSet) (*engine, error) {
	if path == "" {
		return nil, usagef("--checkpoint is required")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = checkpointPath(path)
	}
	cfg, err := checkpointConfig(path)
	if err != nil {
		return nil, err
	}
	cfg.Threads = threads
	return loadEngine(path, cfg, ds)
}

func runEval(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	ckpt := fs.String("checkpoint", "", "checkpoint file or run directory (required)")
	validPath := fs.String("valid", "", "validation data (TSV for translation, text for lm); default: the embedded validation set")
	bleuN := fs.Int("bleu-sentences", 0, "translate this many validation sentences for BLEU (0 = all)")
	beam := fs.Int("beam", 1, "beam size (1 = greedy)")
	lenPenalty := lenPenaltyFlag(fs)
	threads := fs.Int("threads", 0, "threads (0 = all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *beam < 1 {
		return usagef("--beam = %d: must be ≥ 1", *beam)
	}
	if err := checkLenPenalty(*lenPenalty); err != nil {
		return err
	}
	if *ckpt == "" {
		return usagef("--checkpoint is required")
	}
	cfg, err := checkpointConfig(resolveCheckpoint(*ckpt))
	if err != nil {
		return err
	}
	task := taskOf(cfg)
	var ds *dataSet
	if *validPath == "" {
		ds, err = loadData(task, "", "")
	} else {
		ds, err = loadData(task, *validPath, *validPath)
	}
	if err != nil {
		return err
	}
	e, err := openCheckpoint(*ckpt, *threads, ds)
	if err != nil {
		return err
	}
	e.lenPenalty = *lenPenalty
	vl := e.validate()
	fmt.Fprintf(stdout, "step %d: valid loss %.4f, perplexity %.2f", e.steps(), vl, math.Exp(vl))
	if task == "translate" {
		n := len(ds.Valid)
		if *bleuN > 0 {
			n = min(n, *bleuN)
		}
		src, ref := make([]string, n), make([]string, n)
		for i, p := range ds.Valid[:n] {
			src[i], ref[i] = p.Src, p.Tgt
		}
		hyp, err := e.translate(src, *beam)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, ", BLEU %.2f on %d sentences (beam %d)", e.bleu(hyp, ref), n, *beam)
	}
	fmt.Fprintln(stdout)
	return nil
}

func resolveCheckpoint(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return checkpointPath(path)
	}
	return path
}

func runTranslate(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return useModel("translate", args, stdin, stdout, stderr)
}

func runGenerate(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return useModel("generate", args, stdin, stdout, stderr)
}

// useModel reads stdin line by line and writes one translation (or continuation) per
// line to stdout, in order.
func useModel(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet(name, stderr)
	ckpt := fs.String("checkpoint", "", "checkpoint file or run directory (required)")
	beam := new(int)
	*beam = 1
	tokens := new(int)
	lenPenalty := new(float64)
	if name == "translate" {
		fs.IntVar(beam, "beam", 1, "beam size (1 = greedy)")
		lenPenalty = lenPenaltyFlag(fs)
	} else {
		fs.IntVar(tokens, "tokens", 100, "tokens to add to each line (greedy)")
	}
	threads := fs.Int("threads", 0, "threads (0 = all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *beam < 1 {
		return usagef("--beam = %d: must be ≥ 1", *beam)
	}
	if *tokens < 0 {
		return usagef("--tokens = %d: must be ≥ 0", *tokens)
	}
	if err := checkLenPenalty(*lenPenalty); err != nil {
		return err
	}
	e, err := openCheckpoint(*ckpt, *threads, nil)
	if err != nil {
		return err
	}
	e.lenPenalty = *lenPenalty
	if want := map[string]string{"translate": "translate", "generate": "lm"}[name]; e.task != want {
		other := map[string]string{"translate": "generate", "lm": "translate"}[want]
		return fmt.Errorf("%s holds a %s model: use bkmtrain %s", *ckpt, map[string]string{"translate": "translation", "lm": "language"}[e.task], other)
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		var out []string
		if name == "translate" {
			out, err = e.translate([]string{line}, *beam)
		} else {
			out, err = e.generate([]string{line}, *tokens)
		}
		if err != nil {
			return err
		}
		if name == "generate" {
			fmt.Fprintln(w, line+out[0])
		} else {
			fmt.Fprintln(w, out[0])
		}
		w.Flush()
	}
	return sc.Err()
}
