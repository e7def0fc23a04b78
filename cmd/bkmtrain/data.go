package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/kernelmachines/bkm/cmd/bkmtrain/internal/corpus"
)

// pair is one line of a parallel corpus.
type pair struct{ Src, Tgt string }

// dataSet is what a run trains and validates on.
type dataSet struct {
	Name         string // shown in logs: file names or "embedded"
	Train, Valid []pair // translation
	TrainText    []string
	ValidText    []string // language modelling
}

// loadData reads the training and validation files, or the embedded corpus when both
// are empty. For language modelling a TSV file's target side is used as text, so the
// embedded corpus serves both tasks.
func loadData(task, trainPath, validPath string) (*dataSet, error) {
	if (trainPath == "") != (validPath == "") {
		return nil, usagef("--train and --valid go together (got --train %q, --valid %q)", trainPath, validPath)
	}
	ds := &dataSet{}
	var err error
	if trainPath == "" {
		ds.Name = "embedded Spanish→English Bible verses"
		if ds.Train, err = parseParallel("embedded train.tsv", corpus.Train()); err != nil {
			return nil, err
		}
		if ds.Valid, err = parseParallel("embedded valid.tsv", corpus.Valid()); err != nil {
			return nil, err
		}
	} else {
		ds.Name = trainPath + ", " + validPath
		if task == "translate" {
			if ds.Train, err = readParallel(trainPath); err != nil {
				return nil, err
			}
			if ds.Valid, err = readParallel(validPath); err != nil {
				return nil, err
			}
		} else {
			if ds.TrainText, err = readText(trainPath); err != nil {
				return nil, err
			}
			if ds.ValidText, err = readText(validPath); err != nil {
				return nil, err
			}
		}
	}
	if task == "lm" && ds.TrainText == nil {
		for _, p := range ds.Train {
			ds.TrainText = append(ds.TrainText, p.Tgt)
		}
		for _, p := range ds.Valid {
			ds.ValidText = append(ds.ValidText, p.Tgt)
		}
	}
	return ds, nil
}

// readParallel reads a TSV parallel corpus: source⇥target per line.
func readParallel(path string) ([]pair, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading data: %w", err)
	}
	return parseParallel(path, b)
}

func parseParallel(name string, b []byte) ([]pair, error) {
	var pairs []pair
	for i, line := range splitLines(b) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			return nil, fmt.Errorf("%s:%d: not valid UTF-8", name, i+1)
		}
		src, tgt, ok := strings.Cut(string(line), "\t")
		switch {
		case !ok:
			return nil, fmt.Errorf("%s:%d: no tab: want source<TAB>target, got %q", name, i+1, clip(string(line), 60))
		case strings.Contains(tgt, "\t"):
			return nil, fmt.Errorf("%s:%d: more than one tab: want source<TAB>target", name, i+1)
		case strings.TrimSpace(src) == "":
			return nil, fmt.Errorf("%s:%d: empty source side", name, i+1)
		case strings.TrimSpace(tgt) == "":
			return nil, fmt.Errorf("%s:%d: empty target side", name, i+1)
		}
		pairs = append(pairs, pair{src, tgt})
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%s: no sentence pairs", name)
	}
	return pairs, nil
}

// readText reads a plain-text corpus, one line per example.
func readText(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading data: %w", err)
	}
	var lines []string
	for i, line := range splitLines(b) {
		if !utf8.Valid(line) {
			return nil, fmt.Errorf("%s:%d: not valid UTF-8", path, i+1)
		}
		if s := strings.TrimSpace(string(line)); s != "" {
			lines = append(lines, s)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: no text", path)
	}
	return lines, nil
}

func splitLines(b []byte) [][]byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	if len(b) == 0 {
		return nil
	}
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return lines
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
