package main

import (
	"errors"
	"math"

	"github.com/kernelmachines/bkm/train"
)

// errNoDecoder is returned while package train has no decoding API (greedy/beam search
// with a key–value cache, and BLEU). Training and validation loss work without it;
// translate, generate, BLEU and samples need it.
var errNoDecoder = errors.New("decoding is not available: package train does not expose a decoder yet")

func (e *engine) translate(src []string, beam int) ([]string, error) { return nil, errNoDecoder }

func (e *engine) generate(prompts []string, tokens int) ([]string, error) { return nil, errNoDecoder }

// bleu is sacreBLEU's default corpus BLEU (13a tokenization) of hyp against ref.
func (e *engine) bleu(hyp, ref []string) float64 {
	s, err := train.CorpusBLEU(hyp, [][]string{ref})
	if err != nil {
		return math.NaN()
	}
	return s.Score
}
