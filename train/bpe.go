package train

import (
	"fmt"
	"slices"
	"sort"
	"unicode"
	"unicode/utf8"
)

// BPE is a byte-level byte-pair-encoding tokenizer. Ids 0–255 are bytes, 256–258 the
// specials (Pad, BOS, EOS), and merge i creates id 259+i from the pair Merges[i].
// Text is first cut into words — a letter/digit run with its leading space, or one
// other character — and merges never cross words.
type BPE struct {
	Merges [][2]int32
	rank   map[[2]int32]int32 // pair → merged id
	bytes  [][]byte           // id → bytes
}

const bpeFirst = 259

// NewBPE builds a tokenizer from its merge list (as saved in a checkpoint).
func NewBPE(merges [][2]int32) (*BPE, error) {
	t := &BPE{Merges: merges, rank: make(map[[2]int32]int32, len(merges))}
	t.bytes = make([][]byte, bpeFirst+len(merges))
	for i := 0; i < 256; i++ {
		t.bytes[i] = []byte{byte(i)}
	}
	total := 0
	for i, p := range merges {
		id := int32(bpeFirst + i)
		for _, c := range p {
			if c < 0 || c >= id || (c >= 256 && c < bpeFirst) {
				return nil, fmt.Errorf("bpe: merge %d (%d, %d): component %d is not an earlier token", i, p[0], p[1], c)
			}
		}
		if _, dup := t.rank[p]; dup {
			return nil, fmt.Errorf("bpe: merge %d (%d, %d) repeats an earlier merge", i, p[0], p[1])
		}
		t.rank[p] = id
		if total += len(t.bytes[p[0]]) + len(t.bytes[p[1]]); total > maxBPEBytes {
			return nil, fmt.Errorf("bpe: merge %d (%d, %d): the tokens spell more than %d bytes in all", i, p[0], p[1], maxBPEBytes)
		}
		t.bytes[id] = append(slices.Clip(t.bytes[p[0]]), t.bytes[p[1]]...)
	}
	return t, nil
}

// maxBPEBytes bounds the bytes all merged tokens spell together: each merge can double
// a token's length, so a crafted merge list (in a checkpoint) could otherwise ask for
// 2^len(merges) bytes. Real vocabularies spell a few bytes per token.
const maxBPEBytes = 1 << 26

// VocabSize is 259 plus the number of merges.
func (t *BPE) VocabSize() int { return bpeFirst + len(t.Merges) }

// bpeWords cuts text into words: a run of letters/digits with at most one leading space,
// or any other single character.
func bpeWords(s string) []string {
	var words []string
	for i := 0; i < len(s); {
		j := bpeWordEnd(s, i)
		words = append(words, s[i:j])
		i = j
	}
	return words
}

// bpeWordEnd returns the end of the word (as bpeWords cuts them) starting at s[i].
func bpeWordEnd(s string, i int) int {
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	r, n := utf8.DecodeRuneInString(s[i:])
	j := i + n
	if r == ' ' && j < len(s) {
		if r2, _ := utf8.DecodeRuneInString(s[j:]); isWord(r2) {
			r = r2
		}
	}
	if isWord(r) {
		for j < len(s) {
			r2, n2 := utf8.DecodeRuneInString(s[j:])
			if !isWord(r2) {
				break
			}
			j += n2
		}
	}
	return j
}

// TrainBPE learns merges on text until the vocabulary has vocabSize ids (or no pair
// occurs twice). Ties in pair frequency go to the smallest pair (first id, then second),
// so the result depends on the text only.
func TrainBPE(text string, vocabSize int) (*BPE, error) {
	if vocabSize < bpeFirst {
		return nil, fmt.Errorf("bpe: vocabulary size %d < %d (bytes and specials)", vocabSize, bpeFirst)
	}
	freq := map[string]int{}
	for _, w := range bpeWords(text) {
		freq[w]++
	}
	types := make([]string, 0, len(freq))
	for w := range freq {
		types = append(types, w)
	}
	sort.Strings(types)
	words := make([][]int32, len(types))
	counts := make([]int, len(types))
	pairs := map[[2]int32]int{}
	for i, w := range types {
		ids := make([]int32, len(w))
		for j := 0; j < len(w); j++ {
			ids[j] = int32(w[j])
		}
		words[i], counts[i] = ids, freq[w]
		for j := 0; j+1 < len(ids); j++ {
			pairs[[2]int32{ids[j], ids[j+1]}] += counts[i]
		}
	}
	var merges [][2]int32
	for bpeFirst+len(merges) < vocabSize {
		best, bestN := [2]int32{}, 1
		for p, n := range pairs {
			if n > bestN || (n == bestN && n > 1 && (p[0] < best[0] || (p[0] == best[0] && p[1] < best[1]))) {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break
		}
		id := int32(bpeFirst + len(merges))
		merges = append(merges, best)
		for i, ids := range words {
			if !containsPair(ids, best) {
				continue
			}
			c := counts[i]
			for j := 0; j+1 < len(ids); j++ {
				p := [2]int32{ids[j], ids[j+1]}
				if pairs[p] -= c; pairs[p] == 0 {
					delete(pairs, p)
				}
			}
			ids = mergePair(ids, best, id)
			words[i] = ids
			for j := 0; j+1 < len(ids); j++ {
				pairs[[2]int32{ids[j], ids[j+1]}] += c
			}
		}
	}
	return NewBPE(merges)
}

func containsPair(ids []int32, p [2]int32) bool {
	for j := 0; j+1 < len(ids); j++ {
		if ids[j] == p[0] && ids[j+1] == p[1] {
			return true
		}
	}
	return false
}

// mergePair replaces every left-to-right occurrence of p in ids by id, in place.
func mergePair(ids []int32, p [2]int32, id int32) []int32 {
	out := ids[:0]
	for j := 0; j < len(ids); j++ {
		if j+1 < len(ids) && ids[j] == p[0] && ids[j+1] == p[1] {
			out = append(out, id)
			j++
		} else {
			out = append(out, ids[j])
		}
	}
	return out
}

// Encode tokenizes s: each word's bytes are merged pair by pair, always the pair with the
// earliest merge first.
func (t *BPE) Encode(s string) []int32 { return t.AppendEncode(nil, s) }

// AppendEncode appends the tokens of s (as Encode) to dst and returns the extended
// slice; it allocates only when dst lacks room (each word is merged in place).
func (t *BPE) AppendEncode(dst []int32, s string) []int32 {
	for i := 0; i < len(s); {
		j := bpeWordEnd(s, i)
		start := len(dst)
		for ; i < j; i++ {
			dst = append(dst, int32(s[i]))
		}
		ids := dst[start:]
		for len(ids) > 1 {
			bestID, bestJ := int32(-1), -1
			for j := 0; j+1 < len(ids); j++ {
				if id, ok := t.rank[[2]int32{ids[j], ids[j+1]}]; ok && (bestID < 0 || id < bestID) {
					bestID, bestJ = id, j
				}
			}
			if bestJ < 0 {
				break
			}
			ids = mergePair(ids, [2]int32{ids[bestJ], ids[bestJ+1]}, bestID)
		}
		dst = dst[:start+len(ids)]
	}
	return dst
}

// Decode concatenates the bytes of the tokens, skipping specials and unknown ids.
func (t *BPE) Decode(ids []int32) string { return string(t.AppendDecode(nil, ids)) }

// AppendDecode appends the bytes Decode spells for ids to dst and returns the
// extended slice; it allocates only when dst lacks room.
func (t *BPE) AppendDecode(dst []byte, ids []int32) []byte {
	for _, id := range ids {
		if id >= 0 && int(id) < len(t.bytes) {
			dst = append(dst, t.bytes[id]...)
		}
	}
	return dst
}
