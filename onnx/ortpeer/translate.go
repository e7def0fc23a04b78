//go:build ort

package ortpeer

import (
	"fmt"
	"math"
	"slices"

	"github.com/kernelmachines/bkm/train"
)

// Translate translates every source with beam size beam (1: greedy) and length
// penalty lp, in batches cut as train.Translator cuts them (sorted by length, at most
// maxSentences sentences and maxTokens padded source tokens each), and returns the
// translations in input order and the output tokens counted (EOS excluded).
func (r *Runtime) Translate(sources []string, beam int, lp float64, maxSentences, maxTokens int) ([]string, int, error) {
	if beam < 1 || maxSentences < 1 || maxTokens < 1 {
		return nil, 0, fmt.Errorf("ortpeer: beam %d, max sentences %d, max tokens %d: each must be ≥ 1", beam, maxSentences, maxTokens)
	}
	ids, order, starts := train.SourceBatches(r.Tok, sources, r.Man.MaxLen, r.Man.EOS, maxSentences, maxTokens)
	out := make([]string, len(sources))
	tokens := 0
	for b := range len(starts) - 1 {
		batch := order[starts[b]:starts[b+1]]
		srcs := make([][]int32, 0, len(batch))
		for _, i := range batch {
			srcs = append(srcs, ids[i])
		}
		best, err := r.decode(srcs, beam, lp)
		if err != nil {
			return nil, 0, err
		}
		for j, i := range batch {
			out[i] = r.Tok.Decode(best[j])
			tokens += len(best[j])
		}
	}
	return out, tokens, nil
}

// sentence is the search state of one sentence of a batch.
type sentence struct {
	limit int // steps allowed: min(max_len, 2·|source|+10)
	done  int // finished hypotheses
	score float64
	best  []int32
}

// finish records a finished hypothesis; the best score wins, the earlier among equals.
func (s *sentence) finish(tokens []int32, logp float64, length int, lp float64) {
	s.done++
	if sc := logp / math.Pow(float64(length), lp); s.done == 1 || sc > s.score {
		s.score, s.best = sc, tokens
	}
}

// hyp is a live hypothesis (a row of a step) or a candidate continuation.
type hyp struct {
	row    int     // the row it continues (candidates) or occupies
	tok    int32   // its last token
	logp   float64 // summed log-probability
	tokens []int32 // the tokens so far, without BOS (candidates: the parent's)
}

// topCandidates returns the n best continuations of rows (the hypotheses of one
// sentence) ranked by summed log-probability, higher first and, among equals, the
// earlier row and token first; Pad and BOS are never candidates.
func (r *Runtime) topCandidates(rows []hyp, logp []float32, n int) []hyp {
	top := make([]hyp, 0, n+1)
	for _, h := range rows {
		row := logp[h.row*r.V : (h.row+1)*r.V]
		for v := range row {
			if int32(v) == r.Man.Pad || int32(v) == r.Man.BOS {
				continue
			}
			s := h.logp + float64(row[v])
			if len(top) == n && !(s > top[n-1].logp) {
				continue
			}
			i := len(top)
			top = append(top, hyp{})
			for ; i > 0 && top[i-1].logp < s; i-- {
				top[i] = top[i-1]
			}
			top[i] = hyp{row: h.row, tok: int32(v), logp: s, tokens: h.tokens}
			top = top[:min(len(top), n)]
		}
	}
	return top
}

// decode translates one batch (sources sorted by length, each ending in EOS) and
// returns each sentence's best tokens (without BOS and EOS).
func (r *Runtime) decode(srcs [][]int32, k int, lp float64) ([][]int32, error) {
	B, S := len(srcs), len(srcs[len(srcs)-1])
	src := make([]int64, B*S)
	sents := make([]sentence, B)
	for i, s := range srcs {
		for j := range S {
			src[i*S+j] = int64(r.Man.Pad)
			if j < len(s) {
				src[i*S+j] = int64(s[j])
			}
		}
		sents[i].limit = min(r.Man.MaxLen, 2*len(s)+10)
	}
	_, cross, err := r.Encode(src, B, S)
	if err != nil {
		return nil, err
	}
	live := make([]int, B) // the live sentences, in order
	rows := make([][]hyp, B)
	for i := range live {
		live[i] = i
		rows[i] = []hyp{{row: i, tok: r.Man.BOS}}
	}
	si, err := r.newStepInputs(src, B, S, cross)
	if err != nil {
		return nil, err
	}
	defer func() { si.destroy() }()
	var past [][]float32
	for t := 0; len(live) > 0; t++ {
		var toks []int64
		for _, i := range live {
			for _, h := range rows[i] {
				toks = append(toks, int64(h.tok))
			}
		}
		logp, present, err := r.Step(si, toks, t, past)
		if err != nil {
			return nil, err
		}
		for _, x := range logp[:len(toks)*r.V] {
			if x-x != 0 {
				return nil, fmt.Errorf("ortpeer: step %d: non-finite log-probabilities", t)
			}
		}
		var parents []int
		next := live[:0:0]
		for _, i := range live {
			st := &sents[i]
			var cont []hyp
			if k == 1 {
				cont = r.topCandidates(rows[i], logp, 1)
				c := cont[0]
				toks := append(slices.Clip(c.tokens), c.tok)
				switch {
				case c.tok == r.Man.EOS:
					st.best, cont = c.tokens, nil
				case t+1 == st.limit:
					st.best, cont = toks, nil
				default:
					cont[0].tokens = toks
				}
			} else {
				var keep []hyp
				for rank, c := range r.topCandidates(rows[i], logp, 2*k) {
					if c.tok == r.Man.EOS {
						// fairseq: only an EOS among the k best finishes a hypothesis.
						if rank < k && st.done < k {
							st.finish(c.tokens, c.logp, t+1, lp)
						}
						continue
					}
					if len(keep) < k {
						c.tokens = append(slices.Clip(c.tokens), c.tok)
						keep = append(keep, c)
					}
				}
				switch {
				case st.done >= k || len(keep) == 0:
					keep = nil
				case t+1 == st.limit:
					for _, c := range keep {
						st.finish(c.tokens, c.logp, t+1, lp)
					}
					keep = nil
				}
				cont = keep
			}
			if len(cont) == 0 {
				continue
			}
			for j := range cont {
				parents = append(parents, cont[j].row)
				cont[j].row = len(parents) - 1
			}
			rows[i] = cont
			next = append(next, i)
		}
		if len(next) == 0 {
			break
		}
		if len(next) != len(live) {
			// Sentences finished: the step inputs keep only the live ones.
			si.destroy()
			if si, err = r.liveInputs(src, S, cross, next); err != nil {
				return nil, err
			}
		}
		live = next
		per := len(rows[live[0]])
		for _, i := range live {
			if len(rows[i]) != per {
				return nil, fmt.Errorf("ortpeer: step %d: sentences have %d and %d hypotheses; the decoder step needs as many per sentence", t, per, len(rows[i]))
			}
		}
		past = gatherRows(present, parents, r.H*(t+1)*r.D)
	}
	best := make([][]int32, B)
	for i := range sents {
		best[i] = sents[i].best
	}
	return best, nil
}

// liveInputs builds the step inputs of the sentences in live from the batch's.
func (r *Runtime) liveInputs(src []int64, S int, cross [][]float32, live []int) (*stepInputs, error) {
	per := r.H * S * r.D
	s := make([]int64, 0, len(live)*S)
	c := make([][]float32, len(cross))
	for _, i := range live {
		s = append(s, src[i*S:(i+1)*S]...)
		for l := range cross {
			c[l] = append(c[l], cross[l][i*per:(i+1)*per]...)
		}
	}
	return r.newStepInputs(s, len(live), S, c)
}

// gatherRows makes row j of each output the row parents[j] of the input (rows of n
// values), reusing the input when the rows do not move.
func gatherRows(caches [][]float32, parents []int, n int) [][]float32 {
	identity := len(parents)*n == len(caches[0])
	for j, p := range parents {
		identity = identity && p == j
	}
	if identity {
		return caches
	}
	out := make([][]float32, len(caches))
	for l, c := range caches {
		out[l] = make([]float32, len(parents)*n)
		for j, p := range parents {
			copy(out[l][j*n:(j+1)*n], c[p*n:(p+1)*n])
		}
	}
	return out
}
