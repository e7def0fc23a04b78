package train

import (
	"math"
	"math/rand/v2"

	"github.com/kernelmachines/bkm/simd"
)

// Dropout is inverted dropout. The mask is cut into chunks of dropChunk elements, each
// drawn from its own PCG stream keyed by (run seed, micro-step, site, chunk): the same
// seed gives the same masks whatever the thread count (chunks are independent and can be
// drawn in parallel), and a resumed run draws exactly the masks the straight run would
// have drawn.

const dropChunk = 1 << 12

// dropoutChunk draws the mask of chunk c of a site and applies it: out = inp ⊙ mask, mask
// ∈ {0, 1/(1−p)}. Four 16-bit uniforms come from each 64-bit draw; an element is dropped
// when its uniform is below p·2¹⁶ (p is rounded to a multiple of 2⁻¹⁶).
func dropoutChunk(out, mask, inp []float32, p float32, seed, step uint64, site, c int) {
	a, b := dropMask(mask, p, seed, step, site, c)
	simd.Mul(out[a:b], inp[a:b], mask[a:b])
}

// dropMask draws the mask of chunk c of a site into mask[a:b], the chunk's elements,
// and returns a and b.
func dropMask(mask []float32, p float32, seed, step uint64, site, c int) (a, b int) {
	a, b = c*dropChunk, min((c+1)*dropChunk, len(mask))
	var pcg rand.PCG
	pcg.Seed(seed^0x9e3779b97f4a7c15^(uint64(c)*0xbf58476d1ce4e5b9), step<<20|uint64(site))
	keep := math.Float32bits(1 / (1 - p))
	thr := uint64(float64(p)*65536 + 0.5)
	m := mask[a:b]
	// Without a branch (the draws are unpredictable): u − thr wraps to a top bit of 1
	// exactly when u < thr, the element dropped; then the mask is 0 (+0, as before),
	// else keep.
	elem := func(u uint64) float32 {
		return math.Float32frombits(keep & (uint32(((u&0xffff)-thr)>>63) - 1))
	}
	n4 := len(m) &^ 3
	for i := 0; i < n4; i += 4 {
		r := pcg.Uint64()
		m4 := m[i : i+4 : i+4]
		m4[0], m4[1], m4[2], m4[3] = elem(r), elem(r>>16), elem(r>>32), elem(r>>48)
	}
	if n4 < len(m) {
		r := pcg.Uint64()
		for j := n4; j < len(m); j++ {
			m[j] = elem(r)
			r >>= 16
		}
	}
	return a, b
}

// biasDropResidualChunk is chunk c of a sublayer's output stage, out = x + (f + bias) ⊙
// mask: the bias [cols] (nil: none) of the sublayer's last linear layer is added to
// its output f [n, cols] (in place), which is dropped (p > 0: the chunk's mask drawn as
// dropoutChunk draws it, into mask) and added to the residual x. One pass over the
// chunk instead of a bias broadcast, a dropout and a residual sum over the whole
// tensor; with bias nil it is dropoutChunk followed by the residual's add, bit for bit.
func biasDropResidualChunk(out, mask, x, f, bias []float32, cols int, p float32, seed, step uint64, site, c int) {
	a, b := c*dropChunk, min((c+1)*dropChunk, len(f))
	if bias != nil {
		for i := a; i < b; {
			j := i % cols
			e := min(b, i+cols-j)
			simd.Add(f[i:e], f[i:e], bias[j:j+e-i])
			i = e
		}
	}
	if p > 0 {
		dropMask(mask, p, seed, step, site, c)
		simd.Mul(f[a:b], f[a:b], mask[a:b])
	}
	simd.Add(out[a:b], x[a:b], f[a:b])
}

func dropChunks(n int) int { return (n + dropChunk - 1) / dropChunk }

// dropoutForward draws mask [n] and computes out = inp ⊙ mask (out may alias inp).
func dropoutForward(out, mask, inp []float32, p float32, seed, step uint64, site int) {
	for c := 0; c < dropChunks(len(mask)); c++ {
		dropoutChunk(out, mask, inp, p, seed, step, site, c)
	}
}

// dropoutBackward accumulates dinp += dout ⊙ mask.
func dropoutBackward(dinp, dout, mask []float32) {
	for i, g := range dout {
		dinp[i] += g * mask[i]
	}
}

// residualForward computes out = a + b.
func residualForward(out, a, b []float32) { simd.Add(out, a, b) }

// residualBackward accumulates da += dout and db += dout.
func residualBackward(da, db, dout []float32) {
	for i, g := range dout {
		da[i] += g
		db[i] += g
	}
}

// dropoutChunkNaive is dropoutChunk's reference: a branch per element.
func dropoutChunkNaive(out, mask, inp []float32, p float32, seed, step uint64, site, c int) {
	a, b := c*dropChunk, min((c+1)*dropChunk, len(mask))
	var pcg rand.PCG
	pcg.Seed(seed^0x9e3779b97f4a7c15^(uint64(c)*0xbf58476d1ce4e5b9), step<<20|uint64(site))
	keep := 1 / (1 - p)
	thr := uint64(float64(p)*65536 + 0.5)
	m := mask[a:b]
	for i := 0; i < len(m); i += 4 {
		r := pcg.Uint64()
		for j := i; j < min(i+4, len(m)); j++ {
			if r&0xffff < thr {
				m[j] = 0
			} else {
				m[j] = keep
			}
			r >>= 16
		}
	}
	o, x := out[a:b], inp[a:b]
	for i, v := range x {
		o[i] = v * m[i]
	}
}
