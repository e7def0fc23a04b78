package train

import "slices"

// What another runtime needs to run this model outside bkm (package onnx exports it;
// its parity tests compare against these): the fixed tables, and the encoder and one
// decoder step as the Decoder computes them.

// PositionTables returns the encoder's and the decoder's position tables [max_len, C]
// (the learned parameters, or the one sinusoid table). Read only.
func (m *Model) PositionTables() (enc, dec []float32) { return m.encPos, m.decPos }

// EmbedScale is the factor of the token embeddings (√C with scale_embedding, else 1).
func (m *Model) EmbedScale() float32 { return m.embScale }

// Encode runs the encoder of the encoder–decoder model in inference mode on src [B, S]
// (padded with Pad, masked) and returns a copy of its output [B·S, C].
func (m *Model) Encode(src []int32, B, S int) []float32 {
	m.Training = false
	m.Reserve(B*S, 1)
	return slices.Clone(m.encode(src, B, S))
}

// Start encodes one source sentence (encdec) and resets the caches, as the first thing
// Greedy and BeamSearch do.
func (d *Decoder) Start(src []int32) { d.start(src) }

// Step feeds token tok[b] at position t to each hypothesis b (the caches hold
// positions 0..t−1) and returns the next-token log-probabilities [len(tok), V], a view
// valid until the next step.
func (d *Decoder) Step(tok []int32, t int) []float32 {
	d.step(tok, len(tok), t)
	return d.logp[:len(tok)*d.m.V]
}
