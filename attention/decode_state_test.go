package attention

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// featureStateRun appends keys to a FeatureState in chunks (some with padding masks,
// some entry by entry), attends after each chunk (some in runs of entries) and after
// a Select, a Copy and a Clear, and compares every answer with Reference (float64)
// over the keys each entry holds.
func featureStateRun(t *testing.T, r *rand.Rand, o Options, B, H, D int) {
	t.Helper()
	fs := NewFeatureState(&o, B, H, D)
	hk := make([][][]float32, B) // [b][h] the key rows of entry b, head h
	hv := make([][][]float32, B)
	for b := range hk {
		hk[b], hv[b] = make([][]float32, H), make([][]float32, H)
	}
	for step, n := range []int{0, 1, 5, 3, 1, 17} {
		var mask []bool
		if step%2 == 1 {
			mask = randMask(r, B, n)
		}
		// a cache-like layout: rows of the chunk with a gap, heads maxLen apart.
		maxLen := n + 2
		kvs := Strides{Batch: H * maxLen * D, Head: maxLen * D, Row: D}
		k, v := randSlice(r, B*kvs.Batch, 0.6), randSlice(r, B*kvs.Batch, 1)
		if step == 5 {
			fs.Clear(1, 1)
			hk[1], hv[1] = make([][]float32, H), make([][]float32, H)
		}
		if step == 2 { // entry 0, then the others
			fs.Append(0, 1, k, v, kvs, n, nil)
			fs.Append(1, B-1, k[kvs.Batch:], v[kvs.Batch:], kvs, n, nil)
		} else {
			fs.Append(0, B, k, v, kvs, n, mask)
		}
		for b := 0; b < B; b++ {
			for h := 0; h < H; h++ {
				for j := 0; j < n; j++ {
					if mask != nil && !mask[b*n+j] {
						continue
					}
					off := b*kvs.Batch + h*kvs.Head + j*kvs.Row
					hk[b][h] = append(hk[b][h], k[off:off+D]...)
					hv[b][h] = append(hv[b][h], v[off:off+D]...)
				}
			}
		}
		if step == 3 {
			src := make([]int, B)
			for b := range src {
				src[b] = r.IntN(B)
			}
			fs.Select(src)
			nk, nv := make([][][]float32, B), make([][][]float32, B)
			for b, a := range src {
				nk[b], nv[b] = make([][]float32, H), make([][]float32, H)
				for h := 0; h < H; h++ {
					nk[b][h] = append([]float32(nil), hk[a][h]...)
					nv[b][h] = append([]float32(nil), hv[a][h]...)
				}
			}
			hk, hv = nk, nv
		}
		if step == 4 {
			fs.Copy(0, B-1)
			for h := 0; h < H; h++ {
				hk[0][h] = append([]float32(nil), hk[B-1][h]...)
				hv[0][h] = append([]float32(nil), hv[B-1][h]...)
			}
		}
		Nq := 1 + step%3
		qs := Strides{Batch: 3 * H * Nq * D, Head: Nq * D, Row: D}
		q := randSlice(r, B*qs.Batch, 0.6)
		out := make([]float32, B*H*Nq*D)
		outs := DenseStrides(H, Nq, D)
		if step%2 == 1 { // entries 0..B−2, then the last
			fs.Attend(0, B-1, q, qs, Nq, out, outs)
			fs.Attend(B-1, 1, q[(B-1)*qs.Batch:], qs, Nq, out[(B-1)*outs.Batch:], outs)
		} else {
			fs.Attend(0, B, q, qs, Nq, out, outs)
		}
		// Reference per entry and head (the entries have different key counts).
		for b := 0; b < B; b++ {
			for h := 0; h < H; h++ {
				nk := len(hk[b][h]) / D
				qd := q[b*qs.Batch+h*qs.Head:][:Nq*D]
				want, _, _, _, _ := Reference(&o, 1, 1, Nq, nk, D, to64(qd), to64(hk[b][h]), to64(hv[b][h]), nil)
				got := out[(b*H+h)*Nq*D:][:Nq*D]
				if nk == 0 && !o.Unnormalized {
					require.Equal(t, make([]float32, Nq*D), got, "empty state: %s", o.kernel().Name())
					continue
				}
				require.LessOrEqual(t, relErr(got, want), 3e-4, "%s unnorm=%v step %d b=%d h=%d nk=%d", o.kernel().Name(), o.Unnormalized, step, b, h, nk)
			}
		}
	}
}

// TestFeatureStateAgainstReference: linear and favor, normalized or not, head
// dimensions below, at and above the vector widths, appends with and without masks,
// several queries, a beam reorder.
func TestFeatureStateAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 4))
	for _, D := range []int{1, 8, 17, 64} {
		for _, kern := range []Kernel{Linear(), Favor(32, D, 3)} {
			for _, unnorm := range []bool{false, true} {
				featureStateRun(t, r, Options{Kernel: kern, Unnormalized: unnorm, Scale: 0.4}, 3, 2, D)
			}
		}
	}
}

// TestFeatureStateMatchesDecode: appending the cache one key at a time, as a decoder
// does, gives Decode's answer over the whole cache within float32 rounding.
func TestFeatureStateMatchesDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 30))
	const B, H, Nk, D = 2, 4, 40, 64
	for _, kern := range []Kernel{Linear(), Favor(64, D, 1)} {
		o := Options{Kernel: kern}
		q, k, v := randQKV(r, B, H, 1, Nk, D)
		fs := NewFeatureState(&o, B, H, D)
		kvs := DenseStrides(H, Nk, D)
		for j := 0; j < Nk; j++ {
			fs.Append(0, B, k[j*D:], v[j*D:], kvs, 1, nil)
		}
		got, want := make([]float32, B*H*D), make([]float32, B*H*D)
		fs.Attend(0, B, q, DenseStrides(H, 1, D), 1, got, DenseStrides(H, 1, D))
		Decode(&o, B, H, 1, Nk, D, q, DenseStrides(H, 1, D), k, v, kvs, want, DenseStrides(H, 1, D), nil)
		for i := range want {
			require.InDelta(t, want[i], got[i], 2e-5*(1+math.Abs(float64(want[i]))), "%s [%d]", kern.Name(), i)
		}
	}
}

func TestFeatureStateDoesNotAllocate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const B, H, D = 2, 8, 64
	for _, kern := range []Kernel{Linear(), Favor(64, D, 1)} {
		fs := NewFeatureState(&Options{Kernel: kern}, B, H, D)
		q, k, v := randQKV(r, B, H, 1, 1, D)
		out := make([]float32, B*H*D)
		s := DenseStrides(H, 1, D)
		step := func() {
			fs.Append(0, B, k, v, s, 1, nil)
			fs.Attend(0, B, q, s, 1, out, s)
			fs.Select([]int{1, 0})
			fs.Copy(1, 0)
			fs.Clear(0, 1)
		}
		step()
		require.Zero(t, testing.AllocsPerRun(20, step), kern.Name())
	}
}

func TestFeatureStatePanics(t *testing.T) {
	require.PanicsWithValue(t, "attention: NewFeatureState: kernel edp has no linear-cost feature map (want linear or favor)", func() {
		NewFeatureState(&Options{}, 1, 1, 4)
	})
	require.Panics(t, func() { NewFeatureState(&Options{Kernel: Favor(8, 16, 1)}, 1, 1, 4) })
	fs := NewFeatureState(&Options{Kernel: Linear()}, 2, 1, 4)
	require.PanicsWithValue(t, "attention: FeatureState.Select: src[1] = 2 outside [0, 2)", func() { fs.Select([]int{0, 2}) })
	require.PanicsWithValue(t, "attention: FeatureState.Select: len(src) = 3 > B = 2", func() { fs.Select([]int{0, 1, 1}) })
	require.Panics(t, func() { fs.Append(0, 2, make([]float32, 4), make([]float32, 4), DenseStrides(1, 1, 4), 1, nil) })
	require.Panics(t, func() {
		fs.Append(0, 2, make([]float32, 8), make([]float32, 8), DenseStrides(1, 1, 4), 1, []bool{true})
	})
	require.PanicsWithValue(t, "attention: FeatureState.Append: entries [1, 1+2) outside [0, 2)", func() {
		fs.Append(1, 2, make([]float32, 8), make([]float32, 8), DenseStrides(1, 1, 4), 1, nil)
	})
	require.PanicsWithValue(t, "attention: FeatureState.Attend: entries [-1, -1+1) outside [0, 2)", func() {
		fs.Attend(-1, 1, make([]float32, 4), DenseStrides(1, 1, 4), 1, make([]float32, 4), DenseStrides(1, 1, 4))
	})
	require.PanicsWithValue(t, "attention: FeatureState.Copy: entries [2, 2+1) outside [0, 2)", func() { fs.Copy(2, 0) })
	require.PanicsWithValue(t, "attention: FeatureState.Clear: entries [0, 0+3) outside [0, 2)", func() { fs.Clear(0, 3) })
}
