package train

import "math/rand/v2"

// Dropout is inverted dropout with a mask drawn from a PCG stream seeded by
// (run seed, step, site): the same seed gives the same masks whatever the thread count,
// and a resumed run draws exactly the masks the straight run would have drawn.

// dropoutRNG returns the stream for one dropout site at one micro-step.
func dropoutRNG(seed, step uint64, site int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, step<<20|uint64(site)))
}

// dropStream is a reusable dropoutRNG: reseeding it allocates nothing.
type dropStream struct {
	pcg rand.PCG
	rng *rand.Rand
}

func (d *dropStream) at(seed, step uint64, site int) *rand.Rand {
	if d.rng == nil {
		d.rng = rand.New(&d.pcg)
	}
	d.pcg.Seed(seed^0x9e3779b97f4a7c15, step<<20|uint64(site))
	return d.rng
}

// dropoutForward draws mask [n] (0 or 1/(1−p)) and computes out = inp ⊙ mask. With p = 0
// it copies (out may alias inp) and fills the mask with ones.
func dropoutForward(out, mask, inp []float32, p float32, rng *rand.Rand) {
	if p <= 0 {
		for i := range mask {
			mask[i] = 1
		}
		copy(out, inp)
		return
	}
	keep := 1 / (1 - p)
	// Four 16-bit uniforms per 64-bit draw: element i is dropped when its uniform u is
	// below p·2¹⁶ (p is thus rounded to a multiple of 2⁻¹⁶).
	thr := uint64(float64(p)*65536 + 0.5)
	for i := 0; i < len(mask); i += 4 {
		r := rng.Uint64()
		for j := i; j < min(i+4, len(mask)); j++ {
			if r&0xffff < thr {
				mask[j] = 0
			} else {
				mask[j] = keep
			}
			r >>= 16
		}
	}
	for i, x := range inp {
		out[i] = x * mask[i]
	}
}

// dropoutBackward accumulates dinp += dout ⊙ mask.
func dropoutBackward(dinp, dout, mask []float32) {
	for i, g := range dout {
		dinp[i] += g * mask[i]
	}
}

// residualForward computes out = a + b.
func residualForward(out, a, b []float32) {
	for i := range out {
		out[i] = a[i] + b[i]
	}
}

// residualBackward accumulates da += dout and db += dout.
func residualBackward(da, db, dout []float32) {
	for i, g := range dout {
		da[i] += g
		db[i] += g
	}
}
