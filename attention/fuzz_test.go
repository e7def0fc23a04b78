package attention

import (
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzForwardBackward: random shapes, kernel, causality, mask, dropout, tile sizes and
// data scale; Forward and Backward must match Reference, and ForwardLinear must match
// too for finite kernels (without dropout, which it rejects).
func FuzzForwardBackward(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(3), uint8(5), uint8(4), uint8(0), uint8(0))
	f.Add(uint64(2), uint8(1), uint8(17), uint8(9), uint8(7), uint8(1), uint8(1))
	f.Add(uint64(3), uint8(7), uint8(1), uint8(30), uint8(3), uint8(3), uint8(2))
	f.Add(uint64(4), uint8(8), uint8(20), uint8(20), uint8(8), uint8(2), uint8(3))
	f.Add(uint64(5), uint8(0), uint8(23), uint8(31), uint8(8), uint8(11), uint8(6))
	f.Add(uint64(6), uint8(5), uint8(9), uint8(26), uint8(5), uint8(8), uint8(9))
	f.Fuzz(func(t *testing.T, seed uint64, kern, nq, nk, d, flags, tiles uint8) {
		Nq, Nk, D := int(nq%40), int(nk%40), 1+int(d%9)
		kernels := zoo(D)
		kernel := kernels[int(kern)%len(kernels)]
		r := rand.New(rand.NewPCG(seed, 99))
		o := Options{Kernel: kernel, Causal: flags&1 != 0, Unnormalized: flags&4 != 0 && !kernel.ExpFamily()}
		B, H := 1+int(seed%2), 1+int(seed/2%2)
		if flags&2 != 0 {
			o.KeyMask = randMask(r, B, Nk)
		}
		if flags&8 != 0 {
			// p ∈ [0.05, 0.8]: the float32 cancellation in dP − D_i grows with 1/(1−p)
			// (a row that sees one kept key has dP − D_i = 0 exactly, computed as the
			// difference of two values of size |dO||v|/(1−p)), so p near 1 would need a
			// wider gradient tolerance than the reference comparison's 1e-3.
			o.Dropout, o.DropoutSeed = float32(flags>>4)/20+0.05, seed
		}
		tq := []int{1, 3, 8, 64}[tiles%4]
		tk := []int{2, 5, 16, 64}[tiles/4%4]
		withTiles(t, tq, tk)
		checkAgainstReference(t, r, problem{B, H, Nq, Nk, D, o}, 0.6)
		if kernel.FeatureDim(D) > 0 && o.Dropout == 0 {
			q := randSlice(r, B*H*Nq*D, 0.6)
			k := randSlice(r, B*H*Nk*D, 0.6)
			v := randSlice(r, B*H*Nk*D, 1)
			out, stats := make([]float32, B*H*Nq*D), make([]float32, B*H*Nq)
			ForwardLinear(&o, B, H, Nq, Nk, D, q, k, v, out, stats, nil)
			want, wstats, _, _, _ := Reference(&o, B, H, Nq, Nk, D, to64(q), to64(k), to64(v), nil)
			// The feature path sums products of features: where κ_ij ≪ ‖φ(q_i)‖‖φ(k_j)‖
			// (poly near its zero) it cancels catastrophically in float32. Tolerance:
			// 1e-4 plus 16ε·max_i Σ_j ‖φ(q_i)‖‖φ(k_j)‖ / |Z_i|.
			cond := featureCond(&o, B, H, Nq, Nk, D, q, k, wstats)
			tol := 1e-4 + 16*6e-8*cond
			if e := relErr(out, want); !(e <= tol) { // a NaN error fails too
				t.Fatalf("ForwardLinear %s: rel err %g > %g (B=%d H=%d Nq=%d Nk=%d D=%d causal=%v mask=%v unnorm=%v tiles %d×%d)",
					kernel.Name(), e, tol, B, H, Nq, Nk, D, o.Causal, o.KeyMask != nil, o.Unnormalized, tq, tk)
			}
		}
	})
}

// featureCond returns max over rows of Σ_j visible ‖φ(q_i)‖‖φ(k_j)‖ / |Z_i|; in
// unnormalized mode (outputs compared to the tensor's scale) the denominator is
// max_i |Z_i|; rows with Z_i = 0 are skipped.
func featureCond(o *Options, B, H, Nq, Nk, D int, q, k []float32, z []float64) float64 {
	kern := o.Kernel
	F := kern.FeatureDim(D)
	g := o.Gamma(D)
	norms := func(x []float32, n int) []float64 {
		phi := make([]float32, n*F)
		kern.FeatureMap(g, n, D, x, D, phi, F)
		out := make([]float64, n)
		for i := range out {
			for _, v := range phi[i*F : i*F+F] {
				out[i] += float64(v) * float64(v)
			}
			out[i] = math.Sqrt(out[i])
		}
		return out
	}
	nq, nk := norms(q, B*H*Nq), norms(k, B*H*Nk)
	cond, zmax := 1.0, 0.0
	for _, v := range z {
		zmax = math.Max(zmax, math.Abs(v))
	}
	for bh := 0; bh < B*H; bh++ {
		for i := 0; i < Nq; i++ {
			var a float64
			for j := 0; j < Nk; j++ {
				if (o.Causal && j > i+Nk-Nq) || (o.KeyMask != nil && !o.KeyMask[bh/H*Nk+j]) {
					continue
				}
				a += nq[bh*Nq+i] * nk[bh*Nk+j]
			}
			zi := math.Abs(z[bh*Nq+i])
			switch {
			case o.Unnormalized && zmax > guardEps:
				cond = math.Max(cond, a/zmax)
			case zi > guardEps:
				cond = math.Max(cond, a/zi)
			}
		}
	}
	return cond
}
