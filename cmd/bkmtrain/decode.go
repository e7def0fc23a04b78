package main

import (
	"flag"
	"math"

	"github.com/kernelmachines/bkm/train"
)

// defaultLenPenalty is the beam-search length penalty α of --len-penalty (scores are
// log p / len^α; fairseq's default 1).
const defaultLenPenalty = 1.0

// lenPenaltyFlag adds --len-penalty to fs.
func lenPenaltyFlag(fs *flag.FlagSet) *float64 {
	return fs.Float64("len-penalty", defaultLenPenalty, "beam-search length penalty α: hypotheses ranked by log p / len^α (0 = none; beam > 1 only)")
}

// checkLenPenalty rejects a length penalty that is not a finite number.
func checkLenPenalty(a float64) error {
	if math.IsNaN(a) || math.IsInf(a, 0) {
		return usagef("--len-penalty = %v: must be a finite number", a)
	}
	return nil
}

// translate decodes each source sentence with train.Translate: greedily (beam 1) or
// with beam search ranked with e.lenPenalty.
func (e *engine) translate(src []string, beam int) ([]string, error) {
	e.tr.Model.Training = false
	out := make([]string, len(src))
	for i, s := range src {
		h, err := train.Translate(e.tr.Model, e.tok, s, beam, e.lenPenalty)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// generate continues each prompt greedily by up to tokens tokens with train.Generate;
// only the continuation is returned.
func (e *engine) generate(prompts []string, tokens int) ([]string, error) {
	e.tr.Model.Training = false
	out := make([]string, len(prompts))
	for i, p := range prompts {
		g, err := train.Generate(e.tr.Model, e.tok, p, tokens)
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

// bleu is sacreBLEU's default corpus BLEU (13a tokenization) of hyp against ref.
func (e *engine) bleu(hyp, ref []string) float64 {
	s, err := train.CorpusBLEU(hyp, [][]string{ref})
	if err != nil {
		return math.NaN()
	}
	return s.Score
}
