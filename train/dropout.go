package train

import "math/rand/v2"

// Dropout is inverted dropout with a mask drawn from a PCG stream seeded by
// (run seed, step, site): the same seed gives the same masks whatever the thread count,
// and a resumed run draws exactly the masks the straight run would have drawn.

// dropoutRNG returns the stream for one dropout site at one micro-step.
func dropoutRNG(seed, step uint64, site int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, step<<20|uint64(site)))
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
	for i := range mask {
		if rng.Float32() < p {
			mask[i] = 0
		} else {
			mask[i] = keep
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
