package attention

import (
	"fmt"
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// FeatureState is the incremental decoding path of the kernels with a finite feature
// map of linear cost (linear and favor): instead of a key/value cache that Decode
// scans at every step, it keeps per batch entry and head the running sums
//
//	S = Σ_j φ(k_j) v_jᵀ  (F×D)   and   z = Σ_j φ(k_j)  (F)
//
// over the keys appended so far, so a step costs O(F·D) per head whatever the number
// of keys: Append folds the step's new keys in, Attend answers queries with
// out = φ(q)ᵀS / φ(q)ᵀz (φ(q)ᵀS with Options.Unnormalized), which is Decode's result
// over the same keys (without causal masking: a query sees every key appended
// before it). Select reorders the batch entries (beam search). The features are
// computed in float32 as Decode computes them (Forward's feature maps run in float64
// and round once), so results agree with Forward within float32 rounding.
//
// A FeatureState is not safe for concurrent use; it does not allocate after
// NewFeatureState.
type FeatureState struct {
	o          Options
	fm         featurizer
	b, h, d, f int
	s, sum     []float32 // [B, H, F, D] and [B, H, F]
	s2, sum2   []float32 // Select's destination
	phi        []float32 // features of one row [F]
}

// featurizer computes the feature map of linear or favor in float32, one row at a
// time: elu + 1 through simd.Exp (linear); exp(√γ wᵀx − γ‖x‖²/2)/√F with the
// projections through simd.DotRows (favor). The float64 featureRow rounds once; this
// agrees with it within float32 rounding.
type featurizer struct {
	z   *zooKernel
	g   float32
	d   int
	tmp []float32 // favor's projections [F]
}

func newFeaturizer(z *zooKernel, g float32, d int, buf []float32) featurizer {
	fm := featurizer{z: z, g: g, d: d}
	if z.kind == kFavor {
		fm.tmp = buf[:z.FeatureDim(d)]
	}
	return fm
}

// row writes φ(x) into phi (FeatureDim(d) floats).
func (fm *featurizer) row(x, phi []float32) {
	switch fm.z.kind {
	case kLinear:
		simd.Exp(phi, x)
		for l, v := range x {
			if v > 0 {
				phi[l] = v + 1
			}
		}
	default: // kFavor
		simd.DotRows(x, fm.z.w, fm.d, fm.tmp)
		simd.Scale(float32(math.Sqrt(float64(fm.g))), fm.tmp)
		simd.ExpSub(phi, fm.tmp, fm.g*simd.Dot(x, x)/2)
		simd.Scale(float32(1/math.Sqrt(float64(len(phi)))), phi)
	}
}

// NewFeatureState returns an empty state for B batch entries of H heads of dimension
// D under the kernel and scale of o (linear or favor; Unnormalized is read by
// Attend). It panics for other kernels, a favor kernel drawn for another D, or
// Dropout ≠ 0.
func NewFeatureState(o *Options, B, H, D int) *FeatureState {
	checkShape("NewFeatureState", o, B, H, 0, 0, D)
	z := o.kernel()
	if !z.usesFeatures() {
		panic(fmt.Sprintf("attention: NewFeatureState: kernel %s has no linear-cost feature map (want linear or favor)", z.Name()))
	}
	z.checkFavorDim("NewFeatureState", D)
	if o.Dropout != 0 {
		panic(fmt.Sprintf("attention: NewFeatureState: Dropout = %v: decoding does not drop", o.Dropout))
	}
	f := z.FeatureDim(D)
	fs := &FeatureState{o: *o, fm: newFeaturizer(z, o.Gamma(D), D, make([]float32, f)), b: B, h: H, d: D, f: f}
	fs.o.KeyMask = nil
	fs.s, fs.s2 = make([]float32, B*H*f*D), make([]float32, B*H*f*D)
	fs.sum, fs.sum2 = make([]float32, B*H*f), make([]float32, B*H*f)
	fs.phi = make([]float32, f)
	return fs
}

// Reset empties the state (no keys).
func (fs *FeatureState) Reset() {
	clear(fs.s)
	clear(fs.sum)
}

// features returns φ(x) in fs.phi.
func (fs *FeatureState) features(x []float32) []float32 {
	fs.fm.row(x, fs.phi)
	return fs.phi
}

// Append folds n keys and values per batch entry and head into the state: key j of
// head h of entry b is the row b·kvs.Batch + h·kvs.Head + j·kvs.Row of k (and of v).
// mask, if not nil, is [B, n] (true = attend): a masked key is skipped, its rows
// never read.
func (fs *FeatureState) Append(k, v []float32, kvs Strides, n int, mask []bool) {
	B, H, D, F := fs.b, fs.h, fs.d, fs.f
	if n < 0 {
		panic(fmt.Sprintf("attention: FeatureState.Append: n = %d < 0", n))
	}
	if mask != nil && len(mask) < B*n {
		panic(fmt.Sprintf("attention: FeatureState.Append: len(mask) = %d < B·n = %d", len(mask), B*n))
	}
	kvs.check("FeatureState.Append", "k", k, B, H, n, D)
	kvs.check("FeatureState.Append", "v", v, B, H, n, D)
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			bh := b*H + h
			s, sum := fs.s[bh*F*D:(bh+1)*F*D], fs.sum[bh*F:(bh+1)*F]
			for j := 0; j < n; j++ {
				if mask != nil && !mask[b*n+j] {
					continue
				}
				off := b*kvs.Batch + h*kvs.Head + j*kvs.Row
				phi := fs.features(k[off : off+D])
				simd.Axpy(1, phi, sum)
				// S += φ vᵀ: a rank-one update, one F×D×1 product.
				simd.Sgemm(false, false, F, D, 1, 1, phi, 1, v[off:off+D], D, 1, s, D)
			}
		}
	}
}

// Attend writes into out the attention of Nq queries per batch entry and head over
// the keys appended so far, laid out as Decode's q and out. A normalized row whose
// kernel sum is 0 (no keys) is zero.
func (fs *FeatureState) Attend(q []float32, qs Strides, Nq int, out []float32, outs Strides) {
	B, H, D, F := fs.b, fs.h, fs.d, fs.f
	if Nq < 0 {
		panic(fmt.Sprintf("attention: FeatureState.Attend: Nq = %d < 0", Nq))
	}
	qs.check("FeatureState.Attend", "q", q, B, H, Nq, D)
	outs.check("FeatureState.Attend", "out", out, B, H, Nq, D)
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			bh := b*H + h
			s, sum := fs.s[bh*F*D:(bh+1)*F*D], fs.sum[bh*F:(bh+1)*F]
			for i := 0; i < Nq; i++ {
				qi := q[b*qs.Batch+h*qs.Head+i*qs.Row:][:D]
				dst := out[b*outs.Batch+h*outs.Head+i*outs.Row:][:D]
				phi := fs.features(qi)
				simd.Sgemm(false, false, 1, D, F, 1, phi, F, s, D, 0, dst, D)
				_, scale := rowScale(false, fs.o.Unnormalized, 0, simd.Dot(phi, sum))
				if scale == 0 {
					clear(dst)
					continue
				}
				simd.Scale(scale, dst)
			}
		}
	}
}

// Select reorders the batch entries: entry b takes the state entry src[b] had
// (len(src) = B; entries may repeat), as a beam search keeps the hypotheses it
// continues.
func (fs *FeatureState) Select(src []int) {
	if len(src) != fs.b {
		panic(fmt.Sprintf("attention: FeatureState.Select: len(src) = %d, want B = %d", len(src), fs.b))
	}
	per, perSum := fs.h*fs.f*fs.d, fs.h*fs.f
	for b, a := range src {
		if a < 0 || a >= fs.b {
			panic(fmt.Sprintf("attention: FeatureState.Select: src[%d] = %d outside [0, %d)", b, a, fs.b))
		}
		copy(fs.s2[b*per:(b+1)*per], fs.s[a*per:(a+1)*per])
		copy(fs.sum2[b*perSum:(b+1)*perSum], fs.sum[a*perSum:(a+1)*perSum])
	}
	fs.s, fs.s2 = fs.s2, fs.s
	fs.sum, fs.sum2 = fs.sum2, fs.sum
}
