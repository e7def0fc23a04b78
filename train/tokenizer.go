package train

// Tokenizer maps text to token ids and back. Both tokenizers reserve the same three
// special ids right after the 256 byte values: Pad (ignored by the loss and masked as
// a key), BOS (first decoder input) and EOS (end of sequence).
type Tokenizer interface {
	Encode(s string) []int32
	Decode(ids []int32) string // skips special ids
	VocabSize() int
}

// Special ids shared by ByteTokenizer and BPE.
const (
	BytePad int32 = 256
	ByteBOS int32 = 257
	ByteEOS int32 = 258
)

// ByteTokenizer is the byte-level tokenizer: token i < 256 is the byte i, then Pad, BOS,
// EOS. Vocabulary size 259. Any byte string round-trips.
type ByteTokenizer struct{}

func (ByteTokenizer) VocabSize() int { return 259 }

func (ByteTokenizer) Encode(s string) []int32 {
	ids := make([]int32, len(s))
	for i := 0; i < len(s); i++ {
		ids[i] = int32(s[i])
	}
	return ids
}

func (ByteTokenizer) Decode(ids []int32) string {
	b := make([]byte, 0, len(ids))
	for _, id := range ids {
		if id >= 0 && id < 256 {
			b = append(b, byte(id))
		}
	}
	return string(b)
}
