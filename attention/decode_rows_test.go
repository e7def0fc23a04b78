package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kernelmachines/bkm/simd"
)

// rowsCase is one DecodeRows problem: E cache entries of maxLen positions, rows that
// pick an entry and a key count at random (several rows may share an entry), queries
// inside fused [R, 3·C]-like rows and outputs with a gap between rows.
type rowsCase struct {
	E, maxLen, H, D int
	rows            []DecodeRow
	q, k, v, out    []float32
	qs, kvs, outs   Strides
}

func newRowsCase(r *rand.Rand, o *Options, R, E, maxLen, H, D int, scale float64) *rowsCase {
	p := &rowsCase{E: E, maxLen: maxLen, H: H, D: D}
	p.qs = Strides{Batch: 3*H*D + 5, Head: D, Row: D}
	p.kvs = Strides{Batch: H * maxLen * D, Head: maxLen * D, Row: D}
	p.outs = Strides{Batch: H*D + 2, Head: D, Row: D}
	p.q = randSlice(r, p.qs.span(R, H, 1, D)+7, scale)
	p.k, p.v = randSlice(r, E*p.kvs.Batch, scale), randSlice(r, E*p.kvs.Batch, 1)
	p.out = make([]float32, p.outs.span(R, H, 1, D)+3)
	nan := float32(math.NaN())
	for i := range p.out {
		p.out[i] = nan
	}
	p.rows = make([]DecodeRow, R)
	used := make([]int, E) // the most keys a row of each entry sees
	// KeyMask (if any): L flags all false (rows whose Mask is below 5 see few keys or
	// none), then L random ones.
	L := maxLen + 5
	for i := range p.rows {
		row := DecodeRow{Entry: r.IntN(E), Keys: r.IntN(maxLen + 1), Mask: r.IntN(5)}
		if r.IntN(4) == 0 {
			row.Keys = maxLen
		}
		if r.IntN(4) != 0 {
			row.Mask += L
		}
		used[row.Entry] = max(used[row.Entry], row.Keys)
		p.rows[i] = row
	}
	// Positions past every row's keys hold NaN: DecodeRows must not read them.
	for e := range E {
		for h := range H {
			for j := used[e]; j < maxLen; j++ {
				at := e*p.kvs.Batch + h*p.kvs.Head + j*p.kvs.Row
				for l := range D {
					p.k[at+l], p.v[at+l] = nan, nan
				}
			}
		}
	}
	if o.KeyMask != nil {
		o.KeyMask = randMask(r, 2, L)
	}
	return p
}

// check compares the outputs of the rows with Reference (float64), each row over its
// own keys and mask (tolerance as checkDecode's, relative to the largest output of the
// call), and checks that nothing outside the rows' outputs was written.
func (p *rowsCase) check(t testing.TB, o *Options, name string) {
	t.Helper()
	H, D := p.H, p.D
	var gotAll []float32
	var wantAll []float64
	for r, row := range p.rows {
		q := make([]float64, H*D)
		k, v := make([]float64, H*row.Keys*D), make([]float64, H*row.Keys*D)
		got := make([]float32, H*D)
		for h := range H {
			for l := range D {
				q[h*D+l] = float64(p.q[r*p.qs.Batch+h*p.qs.Head+l])
				got[h*D+l] = p.out[r*p.outs.Batch+h*p.outs.Head+l]
			}
			for j := range row.Keys {
				at := row.Entry*p.kvs.Batch + h*p.kvs.Head + j*p.kvs.Row
				for l := range D {
					k[(h*row.Keys+j)*D+l], v[(h*row.Keys+j)*D+l] = float64(p.k[at+l]), float64(p.v[at+l])
				}
			}
		}
		o1 := *o
		if o.KeyMask != nil {
			o1.KeyMask = o.KeyMask[row.Mask : row.Mask+row.Keys]
		}
		want, _, _, _, _ := Reference(&o1, 1, H, 1, row.Keys, D, q, k, v, nil)
		gotAll, wantAll = append(gotAll, got...), append(wantAll, want...)
		if r > 0 {
			gap := p.out[r*p.outs.Batch-2 : r*p.outs.Batch]
			require.True(t, math.IsNaN(float64(gap[0])) && math.IsNaN(float64(gap[1])), "%s: gap before row %d written", name, r)
		}
	}
	for _, x := range p.out[p.outs.span(len(p.rows), H, 1, D):] {
		require.True(t, math.IsNaN(float64(x)), "%s: out written past its end", name)
	}
	tol := 1e-4
	if o.kernel().usesFeatures() {
		tol = 3e-4 // as checkDecode
	}
	require.LessOrEqual(t, relErr(gotAll, wantAll), tol, "%s: rows %+v", name, p.rows)
}

func (p *rowsCase) run(o *Options, ws *DecodeWorkspace) {
	DecodeRows(o, p.rows, p.H, p.D, p.q, p.qs, p.k, p.v, p.kvs, p.out, p.outs, ws)
}

// TestDecodeRowsAgainstReference: every kernel of the zoo, with and without key masks,
// normalized or not, rows of 0..maxLen keys sharing entries, a few head dimensions.
func TestDecodeRowsAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 4))
	ws := &DecodeWorkspace{}
	for _, D := range []int{8, 32, 33} {
		for _, kern := range zoo(D) {
			for mode := 0; mode < 4; mode++ {
				o := Options{Kernel: kern, Unnormalized: mode&2 != 0, Causal: mode == 3}
				if mode&1 != 0 {
					o.KeyMask = []bool{}
				}
				p := newRowsCase(r, &o, 9, 4, 2*decodeBlock+5, 3, D, 0.6/math.Sqrt(float64(D)/8))
				p.run(&o, ws)
				p.check(t, &o, fmt.Sprintf("%s D=%d mode=%d", kern.Name(), D, mode))
			}
		}
	}
}

// TestDecodeRowsMatchesDecode: rows in consecutive entries with one key count give
// Decode's bits over the same cache (the same kernels, run per head alike).
func TestDecodeRowsMatchesDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	const B, H, Nk, D, maxLen = 5, 4, 37, 32, 40
	kvs := Strides{Batch: H * maxLen * D, Head: maxLen * D, Row: D}
	k, v := randSlice(r, B*kvs.Batch, 0.5), randSlice(r, B*kvs.Batch, 1)
	q := randSlice(r, B*H*D, 0.5)
	dense := DenseStrides(H, 1, D)
	rows := make([]DecodeRow, B)
	for b := range rows {
		rows[b] = DecodeRow{Entry: b, Keys: Nk}
	}
	mask := make([]bool, B*Nk)
	for i := range mask {
		mask[i] = r.IntN(4) != 0
	}
	for _, kern := range zoo(D) {
		for _, km := range [][]bool{nil, mask} {
			o := Options{Kernel: kern, KeyMask: km}
			if km != nil {
				for b := range rows {
					rows[b].Mask = b * Nk
				}
			}
			want, got := make([]float32, B*H*D), make([]float32, B*H*D)
			Decode(&o, B, H, 1, Nk, D, q, dense, k, v, kvs, want, dense, nil)
			DecodeRows(&o, rows, H, D, q, dense, k, v, kvs, got, dense, nil)
			require.Equal(t, want, got, "%s, key mask %t", kern.Name(), km != nil)
		}
	}
}

// TestDecodeRowsThreads: a call large enough to go to the worker pool gives the bits
// of the same call on one thread.
func TestDecodeRowsThreads(t *testing.T) {
	defer simd.SetThreads(simd.Threads())
	r := rand.New(rand.NewPCG(3, 30))
	for _, kern := range []Kernel{EDP(), RBF(), Poly(2, 1)} {
		o := Options{Kernel: kern}
		p := newRowsCase(r, &o, 40, 40, 300, 4, 32, 0.2)
		work := 0
		for _, row := range p.rows {
			work += 2 * p.H * row.Keys * p.D
		}
		require.GreaterOrEqual(t, work, decodeRowsParallel, "the call must be large enough to go parallel")
		simd.SetThreads(1)
		p.run(&o, nil)
		want := float32Bits(p.out)
		simd.SetThreads(3)
		for range 3 {
			for i := range p.out {
				p.out[i] = float32(math.NaN())
			}
			p.run(&o, nil)
			require.Equal(t, want, float32Bits(p.out), kern.Name())
		}
		p.check(t, &o, kern.Name())
	}
}

func float32Bits(x []float32) []uint32 {
	b := make([]uint32, len(x))
	for i, v := range x {
		b[i] = math.Float32bits(v)
	}
	return b
}

func TestDecodeRowsDoesNotAllocate(t *testing.T) {
	defer simd.SetThreads(simd.Threads())
	r := rand.New(rand.NewPCG(1, 2))
	ws := &DecodeWorkspace{}
	for _, threads := range []int{1, 2} {
		simd.SetThreads(threads)
		for _, kern := range []Kernel{EDP(), RBF(), Linear()} {
			o := Options{Kernel: kern, KeyMask: []bool{}}
			p := newRowsCase(r, &o, 32, 32, 200, 4, 32, 0.3)
			run := func() { p.run(&o, ws) }
			run()
			require.Zero(t, testing.AllocsPerRun(20, run), "%s, %d threads", kern.Name(), threads)
		}
	}
}

func TestDecodeRowsPanics(t *testing.T) {
	q, kv, out := make([]float32, 64), make([]float32, 64), make([]float32, 64)
	d := DenseStrides(2, 1, 4)
	kvs := DenseStrides(2, 4, 4) // an entry: 2 heads × 4 keys × 4 = 32 floats
	o := &Options{}
	ok := []DecodeRow{{Entry: 1, Keys: 4}}
	require.NotPanics(t, func() { DecodeRows(o, ok, 2, 4, q, d, kv, kv, kvs, out, d, nil) })
	require.PanicsWithValue(t, "attention: DecodeRows: rows[1] = {Entry:-1 Keys:1 Mask:0} (want Entry, Keys, Mask ≥ 0)", func() {
		DecodeRows(o, []DecodeRow{{}, {Entry: -1, Keys: 1}}, 2, 4, q, d, kv, kv, kvs, out, d, nil)
	})
	require.PanicsWithValue(t, "attention: DecodeRows: len(k) = 64, len(v) = 64 < 96 needed by rows[0] = {Entry:2 Keys:4 Mask:0} with strides {Batch:32 Head:16 Row:4}", func() {
		DecodeRows(o, []DecodeRow{{Entry: 2, Keys: 4}}, 2, 4, q, d, kv, kv, kvs, out, d, nil)
	})
	require.PanicsWithValue(t, "attention: DecodeRows: len(KeyMask) = 3 < 4 needed by rows[0] = {Entry:1 Keys:4 Mask:0}", func() {
		DecodeRows(&Options{KeyMask: make([]bool, 3)}, ok, 2, 4, q, d, kv, kv, kvs, out, d, nil)
	})
	require.PanicsWithValue(t, "attention: DecodeRows: kvs.Row = 3 < D = 4 (rows[0].Keys = 4)", func() {
		DecodeRows(o, ok, 2, 4, q, d, kv, kv, Strides{Batch: 32, Head: 16, Row: 3}, out, d, nil)
	})
	require.PanicsWithValue(t, "attention: DecodeRows: len(out) = 8 < 16 needed by strides {Batch:8 Head:4 Row:4}", func() {
		DecodeRows(o, []DecodeRow{{}, {}}, 2, 4, q, d, kv, kv, kvs, out[:8], d, nil)
	})
	require.PanicsWithValue(t, "attention: DecodeRows: Dropout = 0.1: decoding does not drop", func() {
		DecodeRows(&Options{Dropout: 0.1}, ok, 2, 4, q, d, kv, kv, kvs, out, d, nil)
	})
	require.Panics(t, func() { DecodeRows(nil, ok, 2, 4, q, d, kv, kv, kvs, out, d, nil) })
}

// FuzzDecodeRows: random kernel, rows, entries, key counts, head dimension and
// heads, masks and normalization against Reference.
func FuzzDecodeRows(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(3), uint8(5), uint8(4), uint8(0))
	f.Add(uint64(2), uint8(1), uint8(9), uint8(130), uint8(63), uint8(1))
	// More seeds in testdata/fuzz/FuzzDecodeRows.
	f.Fuzz(func(t *testing.T, seed uint64, kern, nrows, maxk, d, flags uint8) {
		R, maxLen, D := int(nrows%33), 1+int(maxk%150), 1+int(d%64)
		kernels := zoo(D)
		kernel := kernels[int(kern)%len(kernels)]
		r := rand.New(rand.NewPCG(seed, 11))
		o := Options{Kernel: kernel, Unnormalized: flags&2 != 0}
		if flags&1 != 0 {
			o.KeyMask = []bool{}
		}
		E, H := 1+int(seed%5), 1+int(seed/5%3)
		scale := 0.6 / math.Sqrt(math.Max(1, float64(D)/16))
		p := newRowsCase(r, &o, R, E, maxLen, H, D, scale)
		p.run(&o, nil)
		p.check(t, &o, fmt.Sprintf("%s R=%d E=%d maxLen=%d H=%d D=%d flags=%d", kernel.Name(), R, E, maxLen, H, D, flags))
	})
}
