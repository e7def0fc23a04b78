package train

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// Pair is one sentence pair of a parallel corpus, tokenized.
type Pair struct {
	Src, Tgt []int32
}

// ReadTSV reads a parallel corpus, one "source<TAB>target" pair per line, and tokenizes
// both sides. Empty lines are skipped. A line without exactly one tab, with an empty side
// or with invalid UTF-8 is an error naming the file and line.
func ReadTSV(path string, tok Tokenizer) ([]Pair, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var pairs []Pair
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		src, tgt, ok := strings.Cut(line, "\t")
		switch {
		case !ok:
			return nil, fmt.Errorf("%s:%d: no tab: want source<TAB>target", path, i+1)
		case strings.Contains(tgt, "\t"):
			return nil, fmt.Errorf("%s:%d: more than one tab: want source<TAB>target", path, i+1)
		case strings.TrimSpace(src) == "":
			return nil, fmt.Errorf("%s:%d: empty source side", path, i+1)
		case strings.TrimSpace(tgt) == "":
			return nil, fmt.Errorf("%s:%d: empty target side", path, i+1)
		}
		pairs = append(pairs, Pair{Src: tok.Encode(src), Tgt: tok.Encode(tgt)})
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%s: no sentence pairs", path)
	}
	return pairs, nil
}

// ReadText reads a plain-text corpus. Invalid UTF-8 or a NUL byte is an error naming the
// file and line; an empty file is an error.
func ReadText(path string) (string, error) {
	lines, err := readLines(path)
	if err != nil {
		return "", err
	}
	if len(lines) == 0 {
		return "", fmt.Errorf("%s: empty corpus", path)
	}
	return strings.Join(lines, "\n") + "\n", nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<26)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s:%d: invalid UTF-8", path, n)
		}
		if strings.IndexByte(line, 0) >= 0 {
			return nil, fmt.Errorf("%s:%d: NUL byte (binary file?)", path, n)
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, len(lines)+1, err)
	}
	return lines, nil
}

// DataState is a loader's position: the epoch and the index of the next batch in that
// epoch's shuffled order. It is saved in checkpoints.
type DataState struct {
	Epoch int `json:"epoch"`
	Next  int `json:"next"`
}

// Loader yields batches forever, epoch after epoch, each epoch in an order shuffled from
// the seed and the epoch number only (so a saved DataState resumes exactly).
type Loader interface {
	Next() *Batch
	State() DataState
	SetState(DataState) error
	Batches() []*Batch // one epoch in corpus order (for evaluation)
}

type shuffler struct {
	seed  uint64
	state DataState
	order []int
}

func (s *shuffler) reshuffle() {
	for i := range s.order {
		s.order[i] = i
	}
	rng := rand.New(rand.NewPCG(s.seed, uint64(s.state.Epoch)+0xda7a))
	rng.Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
}

func (s *shuffler) next() int {
	if s.state.Next >= len(s.order) {
		s.state.Epoch++
		s.state.Next = 0
		s.reshuffle()
	}
	i := s.order[s.state.Next]
	s.state.Next++
	return i
}

func (s *shuffler) setState(st DataState) error {
	if st.Epoch < 0 || st.Next < 0 || st.Next > len(s.order) {
		return fmt.Errorf("data position epoch %d, batch %d: out of range (%d batches per epoch)", st.Epoch, st.Next, len(s.order))
	}
	s.state = st
	s.reshuffle()
	return nil
}

// LMLoader cuts a token stream into B×T language-model batches: windows of T+1 tokens
// starting every T tokens, shuffled per epoch and grouped B at a time.
type LMLoader struct {
	shuffler
	batches []*Batch
}

// NewLMLoader prepares every batch of one epoch up front (nothing is allocated later).
// The stream must hold at least B·T+1 tokens.
func NewLMLoader(tokens []int32, B, T int, seed uint64) (*LMLoader, error) {
	windows := (len(tokens) - 1) / T
	nb := windows / B
	if nb < 1 {
		return nil, fmt.Errorf("corpus has %d tokens: a batch of %d×%d needs at least %d", len(tokens), B, T, B*T+1)
	}
	l := &LMLoader{shuffler: shuffler{seed: seed, order: make([]int, nb)}}
	// Windows are assigned to batches in a seeded order too, so a batch mixes the corpus.
	perm := rand.New(rand.NewPCG(seed, 0x77)).Perm(windows)
	for b := 0; b < nb; b++ {
		bt := &Batch{B: B, T: T, In: make([]int32, B*T), Out: make([]int32, B*T)}
		for r := 0; r < B; r++ {
			w := perm[b*B+r] * T
			copy(bt.In[r*T:(r+1)*T], tokens[w:w+T])
			copy(bt.Out[r*T:(r+1)*T], tokens[w+1:w+T+1])
		}
		l.batches = append(l.batches, bt)
	}
	l.reshuffle()
	return l, nil
}

func (l *LMLoader) Next() *Batch               { return l.batches[l.next()] }
func (l *LMLoader) State() DataState           { return l.state }
func (l *LMLoader) SetState(s DataState) error { return l.setState(s) }
func (l *LMLoader) Batches() []*Batch          { return l.batches }

// PairLoader batches a parallel corpus by token count: pairs are sorted by length
// (bucketing, so little padding), cut into batches whose padded size B·max(S, T) stays
// within maxTokens, and the batch order is shuffled per epoch. Sources get EOS appended;
// decoder inputs are BOS y, targets y EOS. Sequences longer than maxLen are truncated.
type PairLoader struct {
	shuffler
	batches []*Batch
}

// NewPairLoader builds every batch up front.
func NewPairLoader(pairs []Pair, maxTokens, maxLen int, pad, bos, eos int32, seed uint64) (*PairLoader, error) {
	if len(pairs) == 0 {
		return nil, fmt.Errorf("no sentence pairs")
	}
	if maxTokens < maxLen {
		return nil, fmt.Errorf("max_tokens = %d < max_len = %d", maxTokens, maxLen)
	}
	type item struct{ src, tgt []int32 }
	items := make([]item, len(pairs))
	for i, p := range pairs {
		src := append(slices.Clip(p.Src[:min(len(p.Src), maxLen-1)]), eos)
		tgt := p.Tgt[:min(len(p.Tgt), maxLen-1)]
		items[i] = item{src, tgt}
	}
	length := func(it item) int { return max(len(it.src), len(it.tgt)+1) }
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if d := length(items[a]) - length(items[b]); d != 0 {
			return d
		}
		return len(items[a].src) - len(items[b].src)
	})
	l := &PairLoader{}
	flush := func(group []int) {
		S, T := 0, 0
		for _, i := range group {
			S = max(S, len(items[i].src))
			T = max(T, len(items[i].tgt)+1)
		}
		B := len(group)
		bt := &Batch{B: B, S: S, T: T, Src: make([]int32, B*S), In: make([]int32, B*T), Out: make([]int32, B*T)}
		for r, i := range group {
			it := items[i]
			row := bt.Src[r*S : (r+1)*S]
			n := copy(row, it.src)
			fill(row[n:], pad)
			in, out := bt.In[r*T:(r+1)*T], bt.Out[r*T:(r+1)*T]
			in[0] = bos
			copy(in[1:], it.tgt)
			copy(out, it.tgt)
			out[len(it.tgt)] = eos
			fill(in[len(it.tgt)+1:], pad)
			fill(out[len(it.tgt)+1:], pad)
		}
		l.batches = append(l.batches, bt)
	}
	var group []int
	width := 0
	for _, i := range idx {
		w := length(items[i])
		if len(group) > 0 && (len(group)+1)*max(width, w) > maxTokens {
			flush(group)
			group, width = group[:0], 0
		}
		group = append(group, i)
		width = max(width, w)
	}
	flush(group)
	l.shuffler = shuffler{seed: seed, order: make([]int, len(l.batches))}
	l.reshuffle()
	return l, nil
}

func fill(x []int32, v int32) {
	for i := range x {
		x[i] = v
	}
}

func (l *PairLoader) Next() *Batch               { return l.batches[l.next()] }
func (l *PairLoader) State() DataState           { return l.state }
func (l *PairLoader) SetState(s DataState) error { return l.setState(s) }
func (l *PairLoader) Batches() []*Batch          { return l.batches }
