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
// before it). Append and Attend take a run of consecutive entries (a decoder's cache
// slots); Select reorders the entries (beam search), Copy duplicates one, Clear
// empties some. The features are computed in float32 as Decode computes them
// (Forward's come from the same formulas, linear's through the float64 featureRow
// rounded once, favor's as one product per head), so results agree with Forward
// within float32 rounding.
//
// A FeatureState is not safe for concurrent use; it does not allocate after
// NewFeatureState but in its first Select (the spare sums it reorders into).
type FeatureState struct {
	o          Options
	fm         featurizer
	b, h, d, f int
	s, sum     []float32 // [B, H, F, D] and [B, H, F]
	s2, sum2   []float32 // Select's destination (allocated by the first Select)
	phi        []float32 // features of one row [F]
}

// featurizer computes the feature map of linear or favor in float32, one row at a
// time: elu + 1 through simd.Exp (linear); exp(√γ wᵀx − γ‖x‖²/2)/√F with the
// projections through simd.DotRows (favor; Forward's favorRows takes them as one
// product per head). Both agree with the float64 featureRow within float32 rounding.
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

// HasFeatureState reports whether kernel k (nil: edp) has a FeatureState: linear and
// favor.
func HasFeatureState(k Kernel) bool { return (&Options{Kernel: k}).kernel().usesFeatures() }

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
	fs.s, fs.sum = make([]float32, B*H*f*D), make([]float32, B*H*f)
	fs.phi = make([]float32, f)
	return fs
}

// Entries returns the number of batch entries of the state.
func (fs *FeatureState) Entries() int { return fs.b }

// checkEntries panics unless entries first..first+nb−1 exist.
func (fs *FeatureState) checkEntries(fn string, first, nb int) {
	if first < 0 || nb < 0 || first+nb > fs.b {
		panic(fmt.Sprintf("attention: FeatureState.%s: entries [%d, %d+%d) outside [0, %d)", fn, first, first, nb, fs.b))
	}
}

// Clear empties entries first..first+nb−1 (no keys).
func (fs *FeatureState) Clear(first, nb int) {
	fs.checkEntries("Clear", first, nb)
	s, sum := fs.entries(fs.s, fs.sum, first, nb)
	clear(s)
	clear(sum)
}

// entries returns entries first..first+nb−1 of s and sum (the state's sums or
// Select's spares).
func (fs *FeatureState) entries(s, sum []float32, first, nb int) ([]float32, []float32) {
	per, perSum := fs.h*fs.f*fs.d, fs.h*fs.f
	return s[first*per : (first+nb)*per], sum[first*perSum : (first+nb)*perSum]
}

// copyEntry copies the state of entry src into entry dst of s and sum.
func (fs *FeatureState) copyEntry(s, sum []float32, dst, src int) {
	ds, dsum := fs.entries(s, sum, dst, 1)
	ss, ssum := fs.entries(fs.s, fs.sum, src, 1)
	copy(ds, ss)
	copy(dsum, ssum)
}

// features returns φ(x) in fs.phi.
func (fs *FeatureState) features(x []float32) []float32 {
	fs.fm.row(x, fs.phi)
	return fs.phi
}

// head returns the running sums S [F, D] and z [F] of entry b, head h.
func (fs *FeatureState) head(b, h int) (s, sum []float32) {
	bh, F, D := b*fs.h+h, fs.f, fs.d
	return fs.s[bh*F*D : (bh+1)*F*D], fs.sum[bh*F : (bh+1)*F]
}

// Append folds n keys and values per head into entries first..first+nb−1: key j of
// head h of entry first+b is the row b·kvs.Batch + h·kvs.Head + j·kvs.Row of k (and
// of v). mask, if not nil, is [nb, n] (true = attend): a masked key is skipped, its
// rows never read.
func (fs *FeatureState) Append(first, nb int, k, v []float32, kvs Strides, n int, mask []bool) {
	H, D, F := fs.h, fs.d, fs.f
	fs.checkEntries("Append", first, nb)
	if n < 0 {
		panic(fmt.Sprintf("attention: FeatureState.Append: n = %d < 0", n))
	}
	if mask != nil && len(mask) < nb*n {
		panic(fmt.Sprintf("attention: FeatureState.Append: len(mask) = %d < nb·n = %d", len(mask), nb*n))
	}
	kvs.check("FeatureState.Append", "k", k, nb, H, n, D)
	kvs.check("FeatureState.Append", "v", v, nb, H, n, D)
	fs.eachRow(first, nb, n, kvs, func(b, h, j, off int, s, sum []float32) {
		if mask != nil && !mask[b*n+j] {
			return
		}
		phi := fs.features(k[off : off+D])
		simd.Axpy(1, phi, sum)
		// S += φ vᵀ: a rank-one update, one F×D×1 product.
		simd.Sgemm(false, false, F, D, 1, 1, phi, 1, v[off:off+D], D, 1, s, D)
	})
}

// eachRow calls f for row j < n of head h of batch entry b < nb of a [nb, H, n, D]
// tensor with strides st: its offset there, and the sums of state entry first+b,
// head h.
func (fs *FeatureState) eachRow(first, nb, n int, st Strides, f func(b, h, j, off int, s, sum []float32)) {
	for b := 0; b < nb; b++ {
		for h := 0; h < fs.h; h++ {
			s, sum := fs.head(first+b, h)
			for j := 0; j < n; j++ {
				f(b, h, j, b*st.Batch+h*st.Head+j*st.Row, s, sum)
			}
		}
	}
}

// Attend writes into out the attention of Nq queries per head of entries
// first..first+nb−1 over the keys appended to them, laid out as Decode's q and out
// (batch entry b of q and out is entry first+b of the state). A normalized row whose
// kernel sum is 0 (no keys) is zero.
func (fs *FeatureState) Attend(first, nb int, q []float32, qs Strides, Nq int, out []float32, outs Strides) {
	H, D, F := fs.h, fs.d, fs.f
	fs.checkEntries("Attend", first, nb)
	if Nq < 0 {
		panic(fmt.Sprintf("attention: FeatureState.Attend: Nq = %d < 0", Nq))
	}
	qs.check("FeatureState.Attend", "q", q, nb, H, Nq, D)
	outs.check("FeatureState.Attend", "out", out, nb, H, Nq, D)
	fs.eachRow(first, nb, Nq, qs, func(b, h, i, off int, s, sum []float32) {
		dst := out[b*outs.Batch+h*outs.Head+i*outs.Row:][:D]
		phi := fs.features(q[off : off+D])
		simd.Sgemm(false, false, 1, D, F, 1, phi, F, s, D, 0, dst, D)
		if scale := outScale(false, fs.o.Unnormalized, 0, simd.Dot(phi, sum)); scale != 0 {
			simd.Scale(scale, dst)
		} else {
			clear(dst)
		}
	})
}

// Select reorders the batch entries: entry b takes the state entry src[b] had
// (len(src) ≤ B; entries may repeat), as a beam search keeps the hypotheses it
// continues; the entries from len(src) on become empty.
func (fs *FeatureState) Select(src []int) {
	if len(src) > fs.b {
		panic(fmt.Sprintf("attention: FeatureState.Select: len(src) = %d > B = %d", len(src), fs.b))
	}
	if fs.s2 == nil {
		fs.s2, fs.sum2 = make([]float32, len(fs.s)), make([]float32, len(fs.sum))
	}
	for b, a := range src {
		if a < 0 || a >= fs.b {
			panic(fmt.Sprintf("attention: FeatureState.Select: src[%d] = %d outside [0, %d)", b, a, fs.b))
		}
		fs.copyEntry(fs.s2, fs.sum2, b, a)
	}
	fs.s, fs.s2 = fs.s2, fs.s
	fs.sum, fs.sum2 = fs.sum2, fs.sum
	fs.Clear(len(src), fs.b-len(src))
}

// Copy makes entry dst's state a copy of entry src's.
func (fs *FeatureState) Copy(dst, src int) {
	fs.checkEntries("Copy", dst, 1)
	fs.checkEntries("Copy", src, 1)
	fs.copyEntry(fs.s, fs.sum, dst, src)
}
