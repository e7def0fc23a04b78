package train

import "github.com/kernelmachines/bkm/simd"

// packedBlock is one block's weight matrices packed for simd.SgemmPacked (op(B) = Wᵀ),
// nil where the block has none.
type packedBlock struct{ qkv, kv, proj, fc1, fc2 *simd.PackedB }

// packBlocks packs the weights of blocks (op(B) = Wᵀ of each linear layer). A Decoder
// packs the decoder's blocks and the encoder's (packDecoder): it then multiplies by
// them without packing them again at every step or sentence (a Stream encodes the one
// or two sentences joining at a step: small products, whose weight packing cost as
// much as the multiply).
func packBlocks(blocks []*block) []packedBlock {
	pack := func(l *linParams) *simd.PackedB {
		if l.w == nil {
			return nil
		}
		return simd.NewPackedB(true, l.in, l.out, l.w, l.in)
	}
	packed := make([]packedBlock, len(blocks))
	for i, bl := range blocks {
		packed[i] = packedBlock{qkv: pack(&bl.qkv), kv: pack(&bl.kv), proj: pack(&bl.proj), fc1: pack(&bl.fc1), fc2: pack(&bl.fc2)}
	}
	return packed
}

// encodePacked is encode with the encoder's weights packed in w (packBlocks of this
// model's encoder or of the model's it is a replica of). Every product then goes through
// simd.SgemmPacked, whose rows do not depend on the rows beside them, so a source's
// encoding has the same bits alone or in a batch, one token long or more (Sgemm takes
// another path for a one-row product).
func (m *Model) encodePacked(w []packedBlock, src []int32, B, S int) []float32 {
	m.installPacked(w)
	defer m.installPacked(nil)
	return m.encode(src, B, S)
}

// installPacked makes the encoder's linear layers multiply by w's packed weights (nil:
// by their own, through Sgemm, as training does).
func (m *Model) installPacked(w []packedBlock) {
	for i, bl := range m.enc {
		var p packedBlock
		if w != nil {
			p = w[i]
		}
		bl.qkv.pk, bl.kv.pk, bl.proj.pk, bl.fc1.pk, bl.fc2.pk = p.qkv, p.kv, p.proj, p.fc1, p.fc2
	}
}
