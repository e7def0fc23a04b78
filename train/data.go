package train

import (
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

// TextPair is one sentence pair of a parallel corpus, as text.
type TextPair struct{ Src, Tgt string }

// ParseTSV parses a parallel corpus, one "source<TAB>target" pair per line; name is the
// file name shown in errors. Empty lines are skipped. A line without exactly one tab,
// with an empty side, with invalid UTF-8, a NUL byte or a lone carriage return is an
// error naming the file and line; so is a corpus without pairs.
func ParseTSV(name string, b []byte) ([]TextPair, error) {
	return parseLines(name, b, "no sentence pairs", func(n int, line string) (TextPair, error) {
		src, tgt, ok := strings.Cut(line, "\t")
		switch {
		case !ok:
			return TextPair{}, fmt.Errorf("%s:%d: no tab: want source<TAB>target, got %q", name, n, clip(line, 60))
		case strings.Contains(tgt, "\t"):
			return TextPair{}, fmt.Errorf("%s:%d: more than one tab: want source<TAB>target", name, n)
		case strings.TrimSpace(src) == "":
			return TextPair{}, fmt.Errorf("%s:%d: empty source side", name, n)
		case strings.TrimSpace(tgt) == "":
			return TextPair{}, fmt.Errorf("%s:%d: empty target side", name, n)
		}
		return TextPair{src, tgt}, nil
	})
}

// ReadTSVText reads a parallel corpus file with ParseTSV.
func ReadTSVText(path string) ([]TextPair, error) { return readWith(path, ParseTSV) }

// ReadTSV reads a parallel corpus with ParseTSV and tokenizes both sides.
func ReadTSV(path string, tok Tokenizer) ([]Pair, error) {
	pairs, err := ReadTSVText(path)
	if err != nil {
		return nil, err
	}
	return EncodePairs(pairs, tok), nil
}

// EncodePairs tokenizes both sides of every pair.
func EncodePairs(pairs []TextPair, tok Tokenizer) []Pair {
	out := make([]Pair, len(pairs))
	for i, p := range pairs {
		out[i] = Pair{Src: tok.Encode(p.Src), Tgt: tok.Encode(p.Tgt)}
	}
	return out
}

// SplitPairs returns the sources and the targets (references) of pairs, in order.
func SplitPairs(pairs []TextPair) (src, tgt []string) {
	src, tgt = make([]string, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		src[i], tgt[i] = p.Src, p.Tgt
	}
	return src, tgt
}

// ParseTextLines parses a plain-text corpus into its non-empty lines, trimmed of
// surrounding white space; name is the file name shown in errors. Invalid UTF-8, a NUL
// byte or a lone carriage return is an error naming the file and line; so is a corpus
// without text.
func ParseTextLines(name string, b []byte) ([]string, error) {
	return parseLines(name, b, "empty corpus", func(_ int, line string) (string, error) {
		return strings.TrimSpace(line), nil
	})
}

// ReadTextLines reads a plain-text corpus file with ParseTextLines.
func ReadTextLines(path string) ([]string, error) { return readWith(path, ParseTextLines) }

// readWith reads the file at path and parses it with parse, which names it in errors.
func readWith[T any](path string, parse func(name string, b []byte) (T, error)) (T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var zero T
		return zero, err
	}
	return parse(path, b)
}

// ReadText reads a plain-text corpus as one string: its lines as they are (line endings
// normalized to LF), each ending in LF. The checks are those of ParseTextLines; a file
// without lines is an error.
func ReadText(path string) (string, error) {
	lines, err := readWith(path, splitLines)
	if err != nil {
		return "", err
	}
	if len(lines) == 0 {
		return "", fmt.Errorf("%s: empty corpus", path)
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// parseLines is the skeleton of the corpus parsers: the lines of b with splitLines'
// checks, blank ones skipped, each other one turned into a T by parse (given its
// 1-based line number for errors); a corpus that yields nothing is the error
// "name: empty".
func parseLines[T any](name string, b []byte, empty string, parse func(n int, line string) (T, error)) ([]T, error) {
	lines, err := splitLines(name, b)
	if err != nil {
		return nil, err
	}
	var out []T
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		v, err := parse(i+1, line)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %s", name, empty)
	}
	return out, nil
}

// splitLines cuts b into lines at LF, dropping one CR before each LF (CRLF files). A
// line with invalid UTF-8, a NUL byte (a binary file) or another CR (a file with CR-only
// line endings, which would otherwise read as one long line) is an error naming it.
func splitLines(name string, b []byte) ([]string, error) {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil, nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		switch {
		case !utf8.ValidString(l):
			return nil, fmt.Errorf("%s:%d: invalid UTF-8", name, i+1)
		case strings.IndexByte(l, 0) >= 0:
			return nil, fmt.Errorf("%s:%d: NUL byte (binary file?)", name, i+1)
		case strings.IndexByte(l, '\r') >= 0:
			return nil, fmt.Errorf("%s:%d: carriage return inside a line (CR-only line endings?): want LF or CRLF line endings", name, i+1)
		}
		lines[i] = l
	}
	return lines, nil
}

// clip shortens s to at most n bytes (on a rune boundary) for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// DataState is a loader's position: the epoch and the index of the next batch in that
// epoch's shuffled order. It is saved in checkpoints.
type DataState struct {
	Epoch int `json:"epoch"`
	Next  int `json:"next"`
	// Corpus is the data the position is in (Session.Save sets it; nil from a loader
	// and in checkpoints written before it): ResumeSession refuses other data.
	Corpus *CorpusID `json:"corpus,omitempty"`
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
