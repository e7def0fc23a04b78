package attention

import (
	"math"
	"math/bits"
)

// Attention dropout (Options.Dropout = p) is F.dropout(P, p) applied to the normalized
// attention weights P_ij (the softmax for exp-family kernels, κ_ij/Σ_j κ_ij for the
// others, κ_ij itself in unnormalized mode):
//
//	out_i = Σ_j (M_ij/(1−p))·P_ij·v_j,   M_ij ∈ {0, 1}
//
// The normalizer Σ_j κ_ij (and so the saved row statistics) covers every visible key,
// dropped or not. The fused passes never store M: forward and backward recompute it
// from a counter-based hash, so it does not depend on the tiles, the thread count or
// the order in which workers run.
//
// The hash is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): out(x) = mix64(x) with Stafford's Mix13 finalizer, the
// n-th output of a stream with state s being mix64(s + n·γ), γ = 0x9e3779b97f4a7c15.
// For one call with seed σ:
//
//	s₀    = mix64(σ ⊕ dropSalt)                  the call's stream
//	K_bh  = mix64(s₀ + (bh+1)·γ)                  one stream per batch·head index bh = b·H + h
//	h_ij  = mix64(K_bh + (i·Nk + j + 1)·γ)        element (i, j): the stream of K_bh, row-major
//	M_ij  = 0 iff h_ij < ⌊p·2⁶⁴⌋
//
// so row-major over an Nq×Nk matrix the 64-bit draws of one head are consecutive
// SplitMix64 outputs, and P(M_ij = 0) = ⌊p·2⁶⁴⌋/2⁶⁴, which is p exactly for every
// float32 p ≥ 2⁻⁴¹ (p·2⁶⁴ is then an integer) and within 2⁻⁶⁴ of it below. Callers
// give every call (layer, step, micro-batch) its own seed; package train derives it
// from the run seed, the micro-batch counter and the layer.

const (
	dropGamma = 0x9e3779b97f4a7c15 // SplitMix64's increment (odd; 2⁶⁴/φ)
	dropSalt  = 0x243f6a8885a308d3 // π's fraction: keeps σ = 0 away from the zero state
)

// mix64 is SplitMix64's output function (Stafford's Mix13), a bijection of uint64.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// dropper is the dropout state of one call.
type dropper struct {
	on     bool
	stream uint64  // s₀
	thr    uint64  // ⌊p·2⁶⁴⌋: draws below it drop
	scale  float32 // 1/(1−p)
}

func newDropper(p float32, seed uint64) dropper {
	if p == 0 {
		return dropper{}
	}
	// p < 1, so p·2⁶⁴ < 2⁶⁴ fits uint64 (float64(p)·2⁶⁴ is exact: a power-of-two scale).
	return dropper{on: true, stream: mix64(seed ^ dropSalt), thr: uint64(float64(p) * 0x1p64),
		scale: float32(1 / (1 - float64(p)))}
}

// head is K_bh.
func (d *dropper) head(bh int) uint64 { return mix64(d.stream + uint64(bh+1)*dropGamma) }

// state returns the stream state whose mix64 is h_ij for head key key, in an Nq×Nk
// call with nk keys; moving one key right adds dropGamma, one query down nk·dropGamma.
func dropState(key uint64, i, j, nk int) uint64 { return key + uint64(i*nk+j+1)*dropGamma }

// keepBits is all ones when the draw of state is kept, zero when it is dropped
// (branch-free: the borrow of h − thr is 1 exactly when h < thr).
func keepBits(state, thr uint64) uint32 {
	_, borrow := bits.Sub64(mix64(state), thr, 0)
	return uint32(borrow) - 1
}

// apply zeroes the dropped entries of x, entry t having state st + t·inc; kept entries
// are left as they are (the 1/(1−p) is applied by the caller).
func (d *dropper) apply(x []float32, st, inc uint64) {
	thr := d.thr
	for t, v := range x {
		x[t] = math.Float32frombits(math.Float32bits(v) & keepBits(st, thr))
		st += inc
	}
}

// mask writes the scaled mask M/(1−p) ∈ {0, 1/(1−p)} of entries st + t·inc into m.
func (d *dropper) mask(m []float32, st, inc uint64) {
	thr, s := d.thr, math.Float32bits(d.scale)
	for t := range m {
		m[t] = math.Float32frombits(s & keepBits(st, thr))
		st += inc
	}
}

// keep64 is M_ij/(1−p) in float64 for the reference.
func (d *dropper) keep64(p float32, bh, i, j, nk int) float64 {
	if !d.on {
		return 1
	}
	if keepBits(dropState(d.head(bh), i, j, nk), d.thr) == 0 {
		return 0
	}
	return 1 / (1 - float64(p))
}
