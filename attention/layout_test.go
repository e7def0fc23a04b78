package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kernelmachines/bkm/simd"
)

// gap is the value of the columns of a merged buffer that belong to no head: a strided
// call must neither read them into a result nor write them.
const gap = 12345.0

// merged is a [B·N, ld] buffer whose columns off.. off+H·D−1 hold a [B, H, N, D] tensor.
type merged struct {
	buf     []float32
	off, ld int
}

func newMerged(B, N, ld int) []float32 {
	buf := make([]float32, B*N*ld)
	for i := range buf {
		buf[i] = gap
	}
	return buf
}

// put writes the dense [B, H, N, D] tensor x into m's columns.
func (m merged) put(x []float32, B, H, N, D int) {
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			for i := 0; i < N; i++ {
				copy(m.buf[(b*N+i)*m.ld+m.off+h*D:][:D], x[((b*H+h)*N+i)*D:][:D])
			}
		}
	}
}

// get reads m's columns back as a dense [B, H, N, D] tensor.
func (m merged) get(B, H, N, D int) []float32 {
	x := make([]float32, B*H*N*D)
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			for i := 0; i < N; i++ {
				copy(x[((b*H+h)*N+i)*D:][:D], m.buf[(b*N+i)*m.ld+m.off+h*D:][:D])
			}
		}
	}
	return x
}

func (m merged) strides(N, D int) Strides { return MergedStrides(N, D, m.ld) }
func (m merged) slice() []float32         { return m.buf[m.off:] }

// requireGapsKept checks that the columns of buf outside [lo, hi) of every row still
// hold gap.
func requireGapsKept(t *testing.T, buf []float32, ld int, cols [][2]int, name string) {
	t.Helper()
	for e, x := range buf {
		c := e % ld
		in := false
		for _, r := range cols {
			in = in || (c >= r[0] && c < r[1])
		}
		if !in && x != gap {
			t.Fatalf("%s: column %d of row %d written: %v", name, c, e/ld, x)
		}
	}
}

// checkStridedMatchesDense runs Forward and Backward on dense tensors and
// ForwardStrided and BackwardStrided on the same values in merged buffers — self
// attention (Nq = Nk) in one fused QKV buffer as a training step lays it out, cross
// attention in a query buffer and a key/value buffer — and requires the same bits,
// with the columns between heads' blocks left alone.
func checkStridedMatchesDense(t *testing.T, r *rand.Rand, p problem) {
	t.Helper()
	B, H, Nq, Nk, D := p.B, p.H, p.Nq, p.Nk, p.D
	C := H * D
	q, k, v := randSlice(r, B*H*Nq*D, 0.7), randSlice(r, B*H*Nk*D, 0.7), randSlice(r, B*H*Nk*D, 1)
	dout := randSlice(r, B*H*Nq*D, 1)
	out, stats := make([]float32, B*H*Nq*D), make([]float32, B*H*Nq)
	dq, dk, dv := make([]float32, len(q)), make([]float32, len(k)), make([]float32, len(v))
	ws := NewWorkspace()
	Forward(&p.o, B, H, Nq, Nk, D, q, k, v, out, stats, ws)
	Backward(&p.o, B, H, Nq, Nk, D, q, k, v, out, dout, stats, dq, dk, dv, ws)

	var mq, mk, mv merged
	if Nq == Nk { // [B·N, 3C+5]: q, k, v side by side, then a gap
		ld := 3*C + 5
		mq = merged{newMerged(B, Nq, ld), 0, ld}
		mk, mv = merged{mq.buf, C, ld}, merged{mq.buf, 2 * C, ld}
	} else { // q [B·Nq, C+3] from column 1; k, v [B·Nk, 2C+2]
		mq = merged{newMerged(B, Nq, C+3), 1, C + 3}
		kv := newMerged(B, Nk, 2*C+2)
		mk, mv = merged{kv, 0, 2*C + 2}, merged{kv, C, 2*C + 2}
	}
	mq.put(q, B, H, Nq, D)
	mk.put(k, B, H, Nk, D)
	mv.put(v, B, H, Nk, D)
	mo := merged{newMerged(B, Nq, C+2), 2, C + 2}
	mdo := merged{newMerged(B, Nq, C+2), 2, C + 2}
	mdo.put(dout, B, H, Nq, D)
	l := Layout{Q: mq.strides(Nq, D), K: mk.strides(Nk, D), V: mv.strides(Nk, D), Out: mo.strides(Nq, D)}
	st := make([]float32, B*H*Nq)
	ForwardStrided(&p.o, B, H, Nq, Nk, D, l, mq.slice(), mk.slice(), mv.slice(), mo.slice(), st, ws)
	name := fmt.Sprintf("%s B=%d H=%d Nq=%d Nk=%d D=%d causal=%v mask=%v drop=%v", p.o.Kernel.Name(), B, H, Nq, Nk, D,
		p.o.Causal, p.o.KeyMask != nil, p.o.Dropout)
	require.Equal(t, out, mo.get(B, H, Nq, D), "out: %s", name)
	require.Equal(t, stats, st, "stats: %s", name)
	requireGapsKept(t, mo.buf, mo.ld, [][2]int{{mo.off, mo.off + C}}, "out "+name)

	// the gradients in buffers shaped like their tensors', starting from NaN
	var gq, gk, gv merged
	if Nq == Nk {
		gq = merged{newMerged(B, Nq, mq.ld), 0, mq.ld}
		gk, gv = merged{gq.buf, C, mq.ld}, merged{gq.buf, 2 * C, mq.ld}
	} else {
		gq = merged{newMerged(B, Nq, mq.ld), 1, mq.ld}
		kv := newMerged(B, Nk, mk.ld)
		gk, gv = merged{kv, 0, mk.ld}, merged{kv, C, mk.ld}
	}
	nan := make([]float32, max(len(q), len(k)))
	for i := range nan {
		nan[i] = float32(math.NaN())
	}
	gq.put(nan, B, H, Nq, D)
	gk.put(nan, B, H, Nk, D)
	gv.put(nan, B, H, Nk, D)
	BackwardStrided(&p.o, B, H, Nq, Nk, D, l, mq.slice(), mk.slice(), mv.slice(), mo.slice(), mdo.slice(), st,
		gq.slice(), gk.slice(), gv.slice(), ws)
	require.Equal(t, dq, gq.get(B, H, Nq, D), "dq: %s", name)
	require.Equal(t, dk, gk.get(B, H, Nk, D), "dk: %s", name)
	require.Equal(t, dv, gv.get(B, H, Nk, D), "dv: %s", name)
	if Nq == Nk {
		requireGapsKept(t, gq.buf, gq.ld, [][2]int{{0, 3 * C}}, "dqkv "+name)
	} else {
		requireGapsKept(t, gq.buf, gq.ld, [][2]int{{1, 1 + C}}, "dq "+name)
		requireGapsKept(t, gk.buf, gk.ld, [][2]int{{0, 2 * C}}, "dkv "+name)
	}
}

// TestStridedMatchesDense: every kernel × {none, causal, padding} × lengths that are
// not multiples of the (shrunk) tiles, with and without dropout for the exp kernels.
func TestStridedMatchesDense(t *testing.T) {
	withTiles(t, 8, 16)
	r := rand.New(rand.NewPCG(31, 32))
	short := [][2]int{{1, 1}, {17, 17}, {3, 19}, {21, 2}}
	for _, kern := range zoo(8) {
		maskedCases(r, kern, short, nil, func(p problem) { checkStridedMatchesDense(t, r, p) })
	}
	for _, kern := range []Kernel{EDP(), RBF()} {
		drop := func(o *Options) { o.Dropout, o.DropoutSeed = 0.25, 7 }
		maskedCases(r, kern, short, drop, func(p problem) { checkStridedMatchesDense(t, r, p) })
	}
}

// TestStridedThreadsAndSplit: the same with 1–3 threads and one head, where Backward
// splits a head's key tiles over private dq accumulators and reduces them into the
// strided dq (or, for edp, into dQᵀ).
func TestStridedThreadsAndSplit(t *testing.T) {
	old := simd.Threads()
	t.Cleanup(func() { simd.SetThreads(old) })
	r := rand.New(rand.NewPCG(33, 34))
	for _, th := range []int{1, 2, 3} {
		simd.SetThreads(th)
		for _, p := range []problem{{1, 1, 150, 150, 16, Options{}}, {2, 2, 65, 65, 16, Options{}}, {1, 2, 40, 130, 8, Options{}}} {
			// favor: its chain rule adds into the strided dq after the split's reduction
			for _, kern := range []Kernel{EDP(), RBF(), Poly(2, 1), Linear(), Laplace(), Favor(24, p.D, 3)} {
				for _, causal := range []bool{false, true} {
					p.o = Options{Kernel: kern, Causal: causal}
					checkStridedMatchesDense(t, r, p)
				}
			}
		}
	}
}

func TestStridedPanics(t *testing.T) {
	o := &Options{}
	B, H, N, D := 2, 2, 3, 4
	l := Layout{Q: MergedStrides(N, D, 3*H*D), K: MergedStrides(N, D, 3*H*D), V: MergedStrides(N, D, 3*H*D), Out: MergedStrides(N, D, H*D)}
	qkv := make([]float32, B*N*3*H*D)
	out, stats := make([]float32, B*N*H*D), make([]float32, B*H*N)
	require.NotPanics(t, func() { ForwardStrided(o, B, H, N, N, D, l, qkv, qkv[H*D:], qkv[2*H*D:], out, stats, nil) })
	require.PanicsWithValue(t, fmt.Sprintf("attention: ForwardStrided: len(v) = %d < %d needed by strides %+v", len(qkv)-2*H*D-1,
		len(qkv)-2*H*D, l.V), func() { ForwardStrided(o, B, H, N, N, D, l, qkv, qkv[H*D:], qkv[2*H*D+1:], out, stats, nil) })
	require.PanicsWithValue(t, fmt.Sprintf("attention: ForwardStrided: len(out) = %d < %d needed by strides %+v", len(out)-1,
		len(out), l.Out), func() { ForwardStrided(o, B, H, N, N, D, l, qkv, qkv[H*D:], qkv[2*H*D:], out[1:], stats, nil) })
	bad := l
	bad.Q.Row = D - 1
	require.Panics(t, func() { ForwardStrided(o, B, H, N, N, D, bad, qkv, qkv[H*D:], qkv[2*H*D:], out, stats, nil) })
	require.PanicsWithValue(t, fmt.Sprintf("attention: BackwardStrided: len(dk) = %d < %d needed by strides %+v", len(qkv)-2*H*D-1,
		len(qkv)-2*H*D, l.K), func() {
		BackwardStrided(o, B, H, N, N, D, l, qkv, qkv[H*D:], qkv[2*H*D:], out, out, stats, qkv, qkv[2*H*D+1:], qkv[2*H*D:], nil)
	})
	// Overlapping outputs: a head stride below D makes heads share floats.
	over := l
	over.Out.Head = D - 1
	require.PanicsWithValue(t, fmt.Sprintf("attention: ForwardStrided: out strides %+v overlap (B, H, N, D = 2, 2, 3, 4): an output's elements must not share memory", over.Out),
		func() { ForwardStrided(o, B, H, N, N, D, over, qkv, qkv[H*D:], qkv[2*H*D:], out, stats, nil) })
	over = l
	over.K.Batch = over.K.Head // batch entries on top of each other
	dkv := make([]float32, len(qkv))
	require.PanicsWithValue(t, fmt.Sprintf("attention: BackwardStrided: dk strides %+v overlap (B, H, N, D = 2, 2, 3, 4): an output's elements must not share memory", over.K),
		func() {
			BackwardStrided(o, B, H, N, N, D, over, qkv, qkv, qkv[2*H*D:], out, out, stats, qkv, dkv, qkv[2*H*D:], nil)
		})
	// Inputs may share memory (one K for every head).
	shared := l
	shared.K.Head = 0
	require.NotPanics(t, func() { ForwardStrided(o, B, H, N, N, D, shared, qkv, qkv[H*D:], qkv[2*H*D:], out, stats, nil) })
}

// FuzzStridedMatchesDense: ForwardStrided and BackwardStrided on merged buffers give
// the bits of Forward and Backward on dense tensors for any small shape, kernel of the
// zoo, causal or not (tiles shrunk so that shapes cross tile edges).
func FuzzStridedMatchesDense(f *testing.F) {
	f.Add(uint8(0), uint8(2), uint8(2), uint8(17), uint8(17), uint8(8), false, uint64(1))
	f.Add(uint8(1), uint8(1), uint8(3), uint8(5), uint8(21), uint8(4), true, uint64(2))
	f.Fuzz(func(t *testing.T, kern, b, h, nq, nk, d uint8, causal bool, seed uint64) {
		withTiles(t, 8, 16)
		D := 1 + int(d)%16
		kernels := zoo(D) // favor draws its features for D
		p := problem{1 + int(b)%3, 1 + int(h)%3, 1 + int(nq)%40, 1 + int(nk)%40, D,
			Options{Kernel: kernels[int(kern)%len(kernels)], Causal: causal}}
		if causal {
			p.Nk = max(p.Nk, p.Nq)
		}
		checkStridedMatchesDense(t, rand.New(rand.NewPCG(seed, 5)), p)
	})
}
