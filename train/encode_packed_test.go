package train

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEncodePackedRows: with packed weights each source's encoding has the same bits
// alone as in a padded batch, a one-token source (EOS alone, whose products are one
// row) included; and it equals the Sgemm encoder's wherever that one does not take
// its one-row path. Post- and pre-LN; the model's own weights are back in use after.
func TestEncodePackedRows(t *testing.T) {
	for _, preLN := range []bool{false, true} {
		cfg := tinyModelConfig("encdec")
		cfg.EncLayers, cfg.PreLN, cfg.MaxLen = 2, preLN, 12
		m := scaledModel(t, cfg, 5)
		m.Training = false
		eos, pad := m.Cfg.EOS, m.Cfg.Pad
		w := packBlocks(m.enc)
		srcs := [][]int32{{eos}, {3, 4, 5, 6, eos}, {7, eos}}
		batch := []int32{eos, pad, pad, pad, pad, 3, 4, 5, 6, eos, 7, eos, pad, pad, pad} // [3, 5]
		m.Reserve(len(batch), 1)
		together := append([]float32(nil), m.encodePacked(w, batch, 3, 5)...)
		plain := append([]float32(nil), m.encode(batch, 3, 5)...)
		require.Equal(t, plain, together, "preLN=%v: packed and Sgemm, a multi-row batch", preLN)
		C := m.C
		for b, src := range srcs {
			alone := m.encodePacked(w, src, 1, len(src))
			require.Equal(t, together[b*5*C:(b*5+len(src))*C], alone, "preLN=%v: source %d alone and in the batch", preLN, b)
		}
		for _, bl := range m.enc {
			require.Nil(t, bl.qkv.pk, "the packed weights are uninstalled")
			require.Nil(t, bl.fc1.pk)
		}
	}
}
