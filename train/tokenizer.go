package train

// Tokenizer maps text to token ids and back. Both tokenizers reserve the same three
// special ids right after the 256 byte values: Pad (ignored by the loss and masked as
// a key), BOS (first decoder input) and EOS (end of sequence).
type Tokenizer interface {
	Encode(s string) []int32
	Decode(ids []int32) string // skips special ids
	VocabSize() int
}

// AppendTokenizer is a Tokenizer that also tokenizes into its caller's buffers:
// AppendEncode appends Encode(s) to dst and AppendDecode the bytes of Decode(ids);
// both return the extended slice and allocate only when dst lacks room. The
// Translator uses them when its tokenizer has them (ByteTokenizer and BPE do), so
// that it tokenizes without allocating; with another Tokenizer it calls Encode and
// Decode (their allocations per sentence).
type AppendTokenizer interface {
	Tokenizer
	AppendEncode(dst []int32, s string) []int32
	AppendDecode(dst []byte, ids []int32) []byte
}

// appendEncode is tok's AppendEncode, or Encode appended to dst.
func appendEncode(tok Tokenizer, dst []int32, s string) []int32 {
	if a, ok := tok.(AppendTokenizer); ok {
		return a.AppendEncode(dst, s)
	}
	return append(dst, tok.Encode(s)...)
}

// appendDecode is tok's AppendDecode, or Decode appended to dst.
func appendDecode(tok Tokenizer, dst []byte, ids []int32) []byte {
	if a, ok := tok.(AppendTokenizer); ok {
		return a.AppendDecode(dst, ids)
	}
	return append(dst, tok.Decode(ids)...)
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

func (t ByteTokenizer) Encode(s string) []int32 { return t.AppendEncode(make([]int32, 0, len(s)), s) }

func (ByteTokenizer) AppendEncode(dst []int32, s string) []int32 {
	for i := 0; i < len(s); i++ {
		dst = append(dst, int32(s[i]))
	}
	return dst
}

func (t ByteTokenizer) Decode(ids []int32) string {
	return string(t.AppendDecode(make([]byte, 0, len(ids)), ids))
}

func (ByteTokenizer) AppendDecode(dst []byte, ids []int32) []byte {
	for _, id := range ids {
		if id >= 0 && id < 256 {
			dst = append(dst, byte(id))
		}
	}
	return dst
}
