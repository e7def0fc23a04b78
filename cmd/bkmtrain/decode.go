package main

import (
	"math"

	"github.com/kernelmachines/bkm/train"
)

// lenPenalty is the beam-search length penalty α (scores are log p / len^α, fairseq's
// default 1).
const lenPenalty = 1.0

// decoder returns a decoder for up to beam hypotheses, reused across calls.
func (e *engine) decoder(beam int) *train.Decoder {
	if e.dec == nil || e.dec.Beam < beam {
		e.dec = e.tr.Model.NewDecoder(beam, e.cfg.Model.MaxLen)
	}
	e.tr.Model.Training = false
	return e.dec
}

// translate decodes each source sentence, greedily (beam 1) or with beam search.
// Sources are cut to model.max_len − 1 tokens plus EOS, as in training.
func (e *engine) translate(src []string, beam int) ([]string, error) {
	m := e.cfg.Model
	d := e.decoder(beam)
	out := make([]string, len(src))
	for i, s := range src {
		ids := e.tok.Encode(s)
		ids = append(ids[:min(len(ids), m.MaxLen-1)], m.EOS)
		var hyp []int32
		if beam == 1 {
			hyp = d.Greedy(ids, nil, m.MaxLen)
		} else if hs := d.BeamSearch(ids, beam, lenPenalty, m.MaxLen); len(hs) > 0 {
			hyp = hs[0].Tokens
		}
		out[i] = e.tok.Decode(hyp)
	}
	return out, nil
}

// generate continues each prompt greedily by up to tokens tokens (fewer if the model's
// context fills up or it emits EOS). Only the continuation is returned.
func (e *engine) generate(prompts []string, tokens int) ([]string, error) {
	m := e.cfg.Model
	d := e.decoder(1)
	out := make([]string, len(prompts))
	for i, p := range prompts {
		ids := e.tok.Encode(p)
		if len(ids) == 0 {
			ids = e.tok.Encode("\n")
		}
		// Keep the end of a long prompt so that some room is left to generate.
		if keep := max(m.MaxLen-tokens, m.MaxLen/2); len(ids) > keep {
			ids = ids[len(ids)-keep:]
		}
		hyp := d.Greedy(nil, ids, min(len(ids)+tokens, m.MaxLen))
		out[i] = e.tok.Decode(hyp)
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
