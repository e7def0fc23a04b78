package train

import (
	"context"
	"fmt"
)

// Translate decodes one source sentence with the encoder–decoder model: beam search with
// the given beam size and length penalty (beam 1 decodes greedily; beam < 1 is an
// error). The source is
// truncated to model.max_len−1 tokens plus EOS; the output to at most
// min(model.max_len, 2·|source|+10) tokens.
func Translate(m *Model, tok Tokenizer, src string, beam int, lenPenalty float64) (string, error) {
	if m.Cfg.Arch != "encdec" {
		return "", fmt.Errorf("translate: the model is a %s, not an encoder–decoder", m.Cfg.Arch)
	}
	if beam < 1 {
		return "", fmt.Errorf("translate: beam = %d: must be ≥ 1", beam)
	}
	ids := sourceIDs(tok, src, m.Cfg.MaxLen, m.Cfg.EOS)
	maxLen := min(m.Cfg.MaxLen, 2*len(ids)+10)
	d := m.NewDecoder(beam, maxLen)
	if beam == 1 {
		out := d.Greedy(ids, nil, maxLen)
		if err := d.Err(); err != nil {
			return "", fmt.Errorf("translate: %w", err)
		}
		return tok.Decode(out), nil
	}
	hyps := d.BeamSearch(ids, beam, lenPenalty, maxLen)
	if err := d.Err(); err != nil {
		return "", fmt.Errorf("translate: %w", err)
	}
	if len(hyps) == 0 {
		return "", nil
	}
	return tok.Decode(hyps[0].Tokens), nil
}

// Generate continues prompt greedily with up to n ≥ 0 tokens with the decoder-only model
// (stopping early at EOS). The model reads at most model.max_len positions (there is
// no sliding window) and the token after the last position read is still predicted,
// as in training, where a window of max_len inputs has max_len targets: prompt and
// continuation together are at most max_len+1 tokens. A prompt longer than max_len−1
// keeps its last max_len−1 tokens, leaving room for 2 more.
func Generate(m *Model, tok Tokenizer, prompt string, n int) (string, error) {
	if m.Cfg.Arch != "decoder" {
		return "", fmt.Errorf("generate: the model is a %s, not a decoder-only language model", m.Cfg.Arch)
	}
	if n < 0 {
		return "", fmt.Errorf("generate: n = %d tokens: must be ≥ 0", n)
	}
	ids := tok.Encode(prompt)
	if len(ids) == 0 {
		ids = []int32{m.Cfg.BOS}
	}
	if keep := m.Cfg.MaxLen - 1; len(ids) > keep {
		ids = ids[len(ids)-keep:]
	}
	if n == 0 {
		return "", nil
	}
	// Greedy feeds ids[0..L−1] at steps 0..L−1 and emits one new token per step from
	// step L−1 on, so total steps L+n−1 give n tokens.
	total := min(m.Cfg.MaxLen, len(ids)+n-1)
	d := m.NewDecoder(1, total)
	out := d.Greedy(nil, ids, total)
	if err := d.Err(); err != nil {
		return "", fmt.Errorf("generate: %w", err)
	}
	return tok.Decode(out), nil
}

// EvalBLEU translates every source (beam, lenPenalty as in Translate) and scores the
// outputs against the references with CorpusBLEU; it also returns the translations.
func EvalBLEU(m *Model, tok Tokenizer, sources, references []string, beam int, lenPenalty float64) (BLEUScore, []string, error) {
	return EvalBLEUContext(context.Background(), m, tok, sources, references, beam, lenPenalty)
}

// EvalBLEUContext is EvalBLEU that stops between sentences once ctx is done, returning
// ctx.Err(): scoring a large validation set can take minutes, and a command stops it
// on Ctrl-C.
func EvalBLEUContext(ctx context.Context, m *Model, tok Tokenizer, sources, references []string, beam int, lenPenalty float64) (BLEUScore, []string, error) {
	if len(sources) != len(references) {
		return BLEUScore{}, nil, fmt.Errorf("bleu: %d sources, %d references", len(sources), len(references))
	}
	if beam < 1 {
		return BLEUScore{}, nil, fmt.Errorf("bleu: beam = %d: must be ≥ 1", beam)
	}
	hyps := make([]string, len(sources))
	for i, s := range sources {
		if err := ctx.Err(); err != nil {
			return BLEUScore{}, nil, err
		}
		h, err := Translate(m, tok, s, beam, lenPenalty)
		if err != nil {
			return BLEUScore{}, nil, err
		}
		hyps[i] = h
	}
	score, err := CorpusBLEU(hyps, [][]string{references})
	return score, hyps, err
}
