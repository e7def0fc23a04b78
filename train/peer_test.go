package train

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPeerSteps: Start and Step reproduce Greedy token for token, Step's rows equal
// fullLogProbs, and Encode equals the encoder output of a forward pass.
func TestPeerSteps(t *testing.T) {
	cfg := DefaultConfig().Model
	cfg.DModel, cfg.FFN, cfg.MaxLen = 32, 64, 24
	m := scaledModel(t, cfg, 7)
	src := []int32{72, 111, 108, 97, m.Cfg.EOS}
	d := m.NewDecoder(1, 12)
	want := d.Greedy(src, nil, 12)

	d.Start(src)
	tok := []int32{m.Cfg.BOS}
	var got []int32
	for step := 0; step < 12; step++ {
		row := d.Step(tok, step)
		require.Len(t, row, m.V)
		require.InDeltaSlice(t, fullLogProbs(m, src, got), row, 1e-4, "step %d", step)
		next := m.greedyToken(row)
		if next == m.Cfg.EOS {
			break
		}
		got = append(got, next)
		tok[0] = next
	}
	require.Equal(t, want, got)

	enc := m.Encode(src, 1, len(src))
	require.Len(t, enc, len(src)*m.C)
	enc2 := m.Encode(src, 1, len(src))
	require.Equal(t, enc, enc2, "a copy, stable across calls")
	emb, dec := m.PositionTables()
	require.Equal(t, emb, dec, "one sinusoid table")
	require.Len(t, dec, cfg.MaxLen*m.C)
	require.Equal(t, float32(m.embScale), m.EmbedScale())
}
