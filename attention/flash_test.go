package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/kernelmachines/bkm/internal/alloctest"
	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// zoo is every kernel of the zoo, for head dimension d.
func zoo(d int) []Kernel {
	return []Kernel{EDP(), RBF(), Laplace(), ExpInt(), Intersection(), Poly(2, 1), Taylor(2), Linear(), Favor(32, d, 7)}
}

func randSlice(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// relErr is max_i |got_i − want_i| / max(max_i |want_i|, floor): the error relative to
// the tensor's scale (elementwise relative error is meaningless near zero crossings).
func relErr(got []float32, want []float64) float64 {
	var num, den float64
	for i, w := range want {
		num = math.Max(num, math.Abs(float64(got[i])-w))
		den = math.Max(den, math.Abs(w))
	}
	if den < 1e-6 {
		return num
	}
	return num / den
}

// gradErr is relErr with the scale floored at 1e-2.
func gradErr(got []float32, want []float64) float64 {
	var num, den float64
	for i, w := range want {
		num = math.Max(num, math.Abs(float64(got[i])-w))
		den = math.Max(den, math.Abs(w))
	}
	return num / math.Max(den, 1e-2)
}

// withTiles shrinks the tile sizes for one test so small lengths cross many tile edges.
// The causal tiles become tq × tk too, the large tiles (long non-causal calls) 2·tq × 3·tk,
// the diagonal strips 3/8 of the smaller tile side (a height that divides neither),
// and Forward takes forwardWide up to two key tiles (the tiled loop beyond).
func withTiles(t testing.TB, tq, tk int) {
	ocq, ock, oq, ok, obq, obk, ost, owk := causalTileQ, causalTileK, tileQ, tileK, bigTileQ, bigTileK, causalStrip, wideMaxKeys
	causalTileQ, causalTileK, tileQ, tileK, bigTileQ, bigTileK = tq, tk, tq, tk, 2*tq, 3*tk
	causalStrip, wideMaxKeys = max(1, min(tq, tk)*3/8), 2*tk
	t.Cleanup(func() {
		causalTileQ, causalTileK, tileQ, tileK, bigTileQ, bigTileK, causalStrip, wideMaxKeys = ocq, ock, oq, ok, obq, obk, ost, owk
	})
}

type problem struct {
	B, H, Nq, Nk, D int
	o               Options
}

// checkAgainstReference runs Forward and Backward on random data and compares with
// Reference: outputs (and stats) within 1e-4, gradients within 1e-3, relative to scale.
func checkAgainstReference(t *testing.T, r *rand.Rand, p problem, scale float64) {
	t.Helper()
	B, H, Nq, Nk, D := p.B, p.H, p.Nq, p.Nk, p.D
	q := randSlice(r, B*H*Nq*D, scale)
	k := randSlice(r, B*H*Nk*D, scale)
	v := randSlice(r, B*H*Nk*D, 1)
	dout := randSlice(r, B*H*Nq*D, 1)
	out := make([]float32, B*H*Nq*D)
	stats := make([]float32, B*H*Nq)
	dq := make([]float32, B*H*Nq*D)
	dk := make([]float32, B*H*Nk*D)
	dv := make([]float32, B*H*Nk*D)
	for _, g := range [][]float32{dq, dk, dv} { // Backward overwrites them: start from NaN
		for i := range g {
			g[i] = float32(math.NaN())
		}
	}
	ws := NewWorkspace()
	Forward(&p.o, B, H, Nq, Nk, D, q, k, v, out, stats, ws)
	Backward(&p.o, B, H, Nq, Nk, D, q, k, v, out, dout, stats, dq, dk, dv, ws)
	wout, wstats, wdq, wdk, wdv := Reference(&p.o, B, H, Nq, Nk, D, to64(q), to64(k), to64(v), to64(dout))
	name := fmt.Sprintf("%s B=%d H=%d Nq=%d Nk=%d D=%d causal=%v mask=%v unnorm=%v", p.o.Kernel.Name(), B, H, Nq, Nk, D,
		p.o.Causal, p.o.KeyMask != nil, p.o.Unnormalized)
	require.LessOrEqual(t, relErr(out, wout), 1e-4, "out: %s", name)
	for i, w := range wstats {
		g := float64(stats[i])
		if math.IsInf(w, -1) {
			require.True(t, math.IsInf(g, -1), "stats[%d] = %v, want -Inf: %s", i, g, name)
			continue
		}
		require.InDelta(t, w, g, 1e-4*math.Max(1, math.Abs(w)), "stats[%d]: %s", i, name)
	}
	// Gradient tolerance 1e-3. For normalized non-exp kernels ∂L/∂κ_ij = (dP_ij − D_i)/Z_i
	// divides a float32 cancellation (error ~ε·|dO||v|) by the row sum Z_i, so rows
	// with tiny sums (e.g. intersection rows that see one small key) amplify rounding
	// by 1/Z_i: with |dO|, |v| = O(1), D ≤ 64 and the 1e-2 scale floor of gradErr the
	// noise is about D·ε·few/(Z_i·1e-2) ≈ 5e-4/Z_i, so the tolerance grows to
	// 1e-3·0.5/min Z_i when that is above 1e-3.
	tol := 1e-3
	if !p.o.Kernel.ExpFamily() && !p.o.Unnormalized {
		minZ := math.Inf(1)
		for _, z := range wstats {
			if math.Abs(z) > guardEps {
				minZ = math.Min(minZ, math.Abs(z))
			}
		}
		tol *= math.Max(1, 0.5/minZ)
	}
	// Gradients are compared relative to max(max|want|, 1e-2): rounding noise scales
	// with |dO|·|v| = O(1) here, not with a gradient that happens to be nearly zero
	// (e.g. every row seeing a single key, where the exact dq is 0).
	require.LessOrEqual(t, gradErr(dv, wdv), tol, "dv: %s", name)
	require.LessOrEqual(t, gradErr(dq, wdq), tol, "dq: %s", name)
	require.LessOrEqual(t, gradErr(dk, wdk), tol, "dk: %s", name)
}

func randMask(r *rand.Rand, B, Nk int) []bool {
	m := make([]bool, B*Nk)
	for i := range m {
		m[i] = r.Float64() < 0.7
	}
	if B > 0 && Nk > 0 {
		for j := 0; j < Nk; j++ { // batch 0: every key masked (fully masked rows)
			m[j] = false
		}
	}
	return m
}

// TestAgainstReference: every kernel × {none, causal, padding} × {self, cross} ×
// lengths that are not multiples of the tiles (tiles shrunk to 8×16 here).
func TestAgainstReference(t *testing.T) {
	withTiles(t, 8, 16)
	r := rand.New(rand.NewPCG(1, 2))
	short := [][2]int{{1, 1}, {17, 17}, {3, 19}, {21, 2}}
	for _, kern := range zoo(8) {
		maskedCases(r, kern, short, nil, func(p problem) { checkAgainstReference(t, r, p, 0.7) })
	}
}

// maskedCases calls check with 2×2 problems (D = 8) of kernel kern for each mode of
// {none, causal, padding, causal+padding} × query/key lengths that are not multiples
// of the 8×16 tiles (short under -short). set, if not nil, adds to the options of
// each case before its key mask is drawn from r.
func maskedCases(r *rand.Rand, kern Kernel, short [][2]int, set func(*Options), check func(problem)) {
	lengths := [][2]int{{1, 1}, {5, 5}, {17, 17}, {33, 33}, {3, 19}, {21, 2}, {13, 40}}
	if testing.Short() {
		lengths = short
	}
	for _, mode := range []string{"none", "causal", "padding", "causal+padding"} {
		for _, nn := range lengths {
			B, H := 2, 2
			o := Options{Kernel: kern, Causal: mode == "causal" || mode == "causal+padding"}
			if set != nil {
				set(&o)
			}
			if mode == "padding" || mode == "causal+padding" {
				o.KeyMask = randMask(r, B, nn[1])
			}
			check(problem{B, H, nn[0], nn[1], 8, o})
		}
	}
}

// TestUnnormalized: the unnormalized mode against the reference, every kernel, with
// small inputs so that exp-family sums stay moderate.
func TestUnnormalized(t *testing.T) {
	withTiles(t, 8, 16)
	r := rand.New(rand.NewPCG(21, 22))
	D := 6
	for _, kern := range zoo(D) {
		for _, causal := range []bool{false, true} {
			for _, nn := range [][2]int{{1, 1}, {19, 19}, {7, 30}} {
				o := Options{Kernel: kern, Causal: causal, Unnormalized: true, KeyMask: randMask(r, 2, nn[1])}
				checkAgainstReference(t, r, problem{2, 1, nn[0], nn[1], D, o}, 0.5)
			}
		}
	}
}

// TestThreadsAndSplit runs the comparison with 1, 2 and 3 threads on one head (the
// backward pass then splits key tiles across workers with private dq accumulators)
// and on many heads, with the default tiles and D = 64.
func TestThreadsAndSplit(t *testing.T) {
	old := simd.Threads()
	t.Cleanup(func() { simd.SetThreads(old) })
	r := rand.New(rand.NewPCG(23, 24))
	shapes := []problem{{1, 1, 150, 150, 64, Options{}}, {1, 1, 70, 200, 64, Options{}}, {2, 3, 65, 65, 16, Options{}}}
	kernels := []Kernel{EDP(), RBF(), Poly(2, 1), Linear(), Favor(16, 64, 1), Laplace()}
	if testing.Short() {
		kernels = kernels[:2]
	}
	for _, th := range []int{1, 2, 3} {
		simd.SetThreads(th)
		for _, p := range shapes {
			for _, kern := range kernels {
				if kern.Name() == "favor:D=16,seed=1" && p.D != 64 {
					continue
				}
				for _, causal := range []bool{false, true} {
					p.o = Options{Kernel: kern, Causal: causal}
					checkAgainstReference(t, r, p, 0.5)
				}
			}
		}
	}
}

// TestLinearPathAgrees: ForwardLinear equals Forward for every finite kernel, with and
// without causality and padding, self and cross.
func TestLinearPathAgrees(t *testing.T) {
	withTiles(t, 8, 16)
	r := rand.New(rand.NewPCG(25, 26))
	D := 6
	for _, kern := range []Kernel{Poly(2, 1), Taylor(2), Taylor(4), Linear(), Favor(32, D, 5)} {
		for _, mode := range []string{"none", "causal", "padding"} {
			for _, nn := range [][2]int{{1, 1}, {23, 23}, {9, 31}, {31, 9}} {
				B, H, Nq, Nk := 2, 2, nn[0], nn[1]
				o := Options{Kernel: kern, Causal: mode == "causal"}
				if mode == "padding" {
					o.KeyMask = randMask(r, B, Nk)
				}
				for _, un := range []bool{false, true} {
					o.Unnormalized = un
					q := randSlice(r, B*H*Nq*D, 0.6)
					k := randSlice(r, B*H*Nk*D, 0.6)
					v := randSlice(r, B*H*Nk*D, 1)
					o1, s1 := make([]float32, B*H*Nq*D), make([]float32, B*H*Nq)
					o2, s2 := make([]float32, B*H*Nq*D), make([]float32, B*H*Nq)
					Forward(&o, B, H, Nq, Nk, D, q, k, v, o1, s1, nil)
					ForwardLinear(&o, B, H, Nq, Nk, D, q, k, v, o2, s2, nil)
					want, wstats, _, _, _ := Reference(&o, B, H, Nq, Nk, D, to64(q), to64(k), to64(v), nil)
					require.LessOrEqual(t, relErr(o2, want), 1e-4, "%s %s %v unnorm=%v", kern.Name(), mode, nn, un)
					require.LessOrEqual(t, relErr(s2, wstats), 1e-4, "%s %s %v stats", kern.Name(), mode, nn)
					require.LessOrEqual(t, relErr(o1, want), 1e-4)
				}
			}
		}
	}
	require.Panics(t, func() {
		ForwardLinear(&Options{}, 1, 1, 1, 1, 2, make([]float32, 2), make([]float32, 2), make([]float32, 2), make([]float32, 2), make([]float32, 1), nil)
	})
}

// TestReferenceFiniteDifference checks the float64 oracle's gradients (which the fused
// gradients are compared with) against central differences of L = Σ dout∘out, for
// every kernel, causal with padding, cross attention, without and with dropout (the
// mask is fixed by the seed, so the function stays differentiable; the fused float32
// gradients are compared with these in TestDropoutAgainstReference).
func TestReferenceFiniteDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	B, H, Nq, Nk, D := 1, 2, 4, 5, 3
	for _, kern := range zoo(D) {
		for _, p := range []float32{0, 0.4} {
			o := Options{Kernel: kern, Causal: true, KeyMask: []bool{true, false, true, true, true}, Dropout: p, DropoutSeed: 3}
			q := to64(randSlice(r, B*H*Nq*D, 0.7))
			k := to64(randSlice(r, B*H*Nk*D, 0.7))
			v := to64(randSlice(r, B*H*Nk*D, 1))
			dout := to64(randSlice(r, B*H*Nq*D, 1))
			_, _, dq, dk, dv := Reference(&o, B, H, Nq, Nk, D, q, k, v, dout)
			loss := func() float64 {
				out, _, _, _, _ := Reference(&o, B, H, Nq, Nk, D, q, k, v, nil)
				var s float64
				for i := range out {
					s += out[i] * dout[i]
				}
				return s
			}
			for _, x := range []struct {
				name string
				x, g []float64
			}{{"q", q, dq}, {"k", k, dk}, {"v", v, dv}} {
				for i := range x.x {
					const h = 1e-6
					old := x.x[i]
					x.x[i] = old + h
					lp := loss()
					x.x[i] = old - h
					lm := loss()
					x.x[i] = old
					fd := (lp - lm) / (2 * h)
					require.InDelta(t, fd, x.g[i], 1e-6*math.Max(1, math.Abs(fd)), "%s dropout %g d%s[%d]", kern.Name(), p, x.name, i)
				}
			}
		}
	}
}

// TestStability: logits with |γ qᵀk| up to 1e4 give finite outputs and gradients for
// the exp-family kernels; a fully masked row gives zeros; NaN and Inf inputs are
// reported by the checked entry points.
func TestStability(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	B, H, N, D := 1, 2, 37, 16
	for _, kern := range []Kernel{EDP(), RBF(), Laplace(), ExpInt()} {
		for _, big := range []float64{1e2, 1e3, 1e4} {
			q := randSlice(r, B*H*N*D, 1)
			k := randSlice(r, B*H*N*D, 1)
			// scale so that the largest |γ qᵀk| (or |logit|) is about big
			o := Options{Kernel: kern, Scale: 1}
			var mx float64
			for i := 0; i < N; i++ {
				for j := 0; j < N; j++ {
					mx = math.Max(mx, math.Abs(kern.Logit(1, to64(q[i*D:i*D+D]), to64(k[j*D:j*D+D]))))
				}
			}
			o.Scale = float32(big / mx)
			v := randSlice(r, B*H*N*D, 1)
			dout := randSlice(r, B*H*N*D, 1)
			out, stats := make([]float32, B*H*N*D), make([]float32, B*H*N)
			dq, dk, dv := make([]float32, B*H*N*D), make([]float32, B*H*N*D), make([]float32, B*H*N*D)
			require.NoError(t, ForwardChecked(&o, B, H, N, N, D, q, k, v, out, stats, nil), "%s %g", kern.Name(), big)
			require.NoError(t, BackwardChecked(&o, B, H, N, N, D, q, k, v, out, dout, stats, dq, dk, dv, nil), "%s %g", kern.Name(), big)
			want, _, _, _, _ := Reference(&o, B, H, N, N, D, to64(q), to64(k), to64(v), nil)
			// the softmax is nearly one-hot; float32 logits of size 1e4 carry absolute
			// error ~1e-3, so the weights are only compared loosely here
			require.LessOrEqual(t, relErr(out, want), 0.2, "%s %g", kern.Name(), big)
		}
	}
	// fully masked rows: zeros, stats −Inf (exp-family) or 0, zero gradients
	for _, kern := range zoo(4) {
		o := Options{Kernel: kern, KeyMask: []bool{false, false, false}}
		q, k, v := randSlice(r, 2*4, 1), randSlice(r, 3*4, 1), randSlice(r, 3*4, 1)
		out, stats := make([]float32, 2*4), make([]float32, 2)
		for i := range out {
			out[i] = 7
		}
		Forward(&o, 1, 1, 2, 3, 4, q, k, v, out, stats, nil)
		require.Equal(t, make([]float32, 8), out, kern.Name())
		dq, dk, dv := make([]float32, 8), make([]float32, 12), make([]float32, 12)
		Backward(&o, 1, 1, 2, 3, 4, q, k, v, out, randSlice(r, 8, 1), stats, dq, dk, dv, nil)
		require.Equal(t, make([]float32, 8), dq, kern.Name())
		require.Equal(t, make([]float32, 12), dk, kern.Name())
		require.Equal(t, make([]float32, 12), dv, kern.Name())
	}
	// causal cross attention with Nq > Nk: the first rows see no key
	out, stats := make([]float32, 5*2), make([]float32, 5)
	Forward(&Options{Causal: true}, 1, 1, 5, 2, 2, randSlice(r, 10, 1), randSlice(r, 4, 1), randSlice(r, 4, 1), out, stats, nil)
	require.Equal(t, make([]float32, 6), out[:6])
	require.True(t, math.IsInf(float64(stats[0]), -1))
	require.NotZero(t, out[6])
	// NaN and Inf are reported, with the tensor named
	q, k, v := randSlice(r, 8, 1), randSlice(r, 8, 1), randSlice(r, 8, 1)
	k[5] = float32(math.NaN())
	err := ForwardChecked(&Options{}, 1, 1, 2, 2, 4, q, k, v, make([]float32, 8), make([]float32, 2), nil)
	require.ErrorContains(t, err, "k [B=1, H=1, Nk=2, D=4] has NaN at flat index 5")
	k[5] = 0
	v[1] = float32(math.Inf(1))
	require.ErrorContains(t, ForwardChecked(&Options{}, 1, 1, 2, 2, 4, q, k, v, make([]float32, 8), make([]float32, 2), nil), "v [")
	v[1] = 0
	dout := randSlice(r, 8, 1)
	dout[0] = float32(math.NaN())
	out = make([]float32, 8)
	stats = make([]float32, 2)
	require.NoError(t, ForwardChecked(&Options{}, 1, 1, 2, 2, 4, q, k, v, out, stats, nil))
	require.ErrorContains(t, BackwardChecked(&Options{}, 1, 1, 2, 2, 4, q, k, v, out, dout, stats, make([]float32, 8), make([]float32, 8), make([]float32, 8), nil), "dout")
	// unnormalized exp sums that overflow are reported too
	big := []float32{100, 100}
	require.ErrorContains(t, ForwardChecked(&Options{Unnormalized: true, Scale: 1}, 1, 1, 1, 1, 2, big, big, []float32{1, 1}, make([]float32, 2), make([]float32, 1), nil), "overflowed")
}

func TestPanicsNameArgument(t *testing.T) {
	q := make([]float32, 8)
	require.PanicsWithValue(t, "attention: Forward: len(v) = 7 < 8", func() {
		Forward(&Options{}, 1, 1, 2, 2, 4, q, q, q[:7], q, q[:2], nil)
	})
	require.PanicsWithValue(t, "attention: Forward: len(KeyMask) = 1 < B·Nk = 2", func() {
		Forward(&Options{KeyMask: []bool{true}}, 1, 1, 2, 2, 4, q, q, q, q, q[:2], nil)
	})
	require.Panics(t, func() { Forward(&Options{Kernel: Favor(4, 3, 1)}, 1, 1, 2, 2, 4, q, q, q, q, q[:2], nil) })
}

// TestZeroAllocs: steady-state Forward, Backward and ForwardLinear with a workspace
// do not allocate, with one and two workers, with and without attention dropout.
// GOMAXPROCS is 1 during the test because simd.Sgemm keeps its packing buffers in a
// sync.Pool, whose per-P caches miss now and then when a goroutine moves to another P (measured: ~8 allocations per 400 calls
// with GOMAXPROCS = 2); attention itself allocates nothing. The count is exact (total
// mallocs over 50 calls), not AllocsPerRun's truncated average.
func TestZeroAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	old := simd.Threads()
	t.Cleanup(func() { simd.SetThreads(old) })
	r := rand.New(rand.NewPCG(31, 32))
	B, H, N, D := 1, 3, 70, 16
	q, k, v := randSlice(r, B*H*N*D, 1), randSlice(r, B*H*N*D, 1), randSlice(r, B*H*N*D, 1)
	out, stats, dout := make([]float32, B*H*N*D), make([]float32, B*H*N), randSlice(r, B*H*N*D, 1)
	dq, dk, dv := make([]float32, B*H*N*D), make([]float32, B*H*N*D), make([]float32, B*H*N*D)
	for _, th := range []int{1, 2} {
		simd.SetThreads(th)
		kernels := []Kernel{EDP(), RBF(), Linear(), Poly(2, 1), Laplace()}
		if testing.Short() {
			kernels = []Kernel{EDP(), Linear()}
		}
		for _, kern := range kernels {
			for _, p := range []float32{0, 0.2} {
				o := Options{Kernel: kern, Causal: true, Dropout: p, DropoutSeed: 5}
				ws := NewWorkspace()
				call := func() {
					Forward(&o, B, H, N, N, D, q, k, v, out, stats, ws)
					Backward(&o, B, H, N, N, D, q, k, v, out, dout, stats, dq, dk, dv, ws)
					if kern.FeatureDim(D) > 0 && p == 0 {
						ForwardLinear(&o, B, H, N, N, D, q, k, v, out, stats, ws)
					}
				}
				call()
				// the minimum over three rounds: a stray allocation by the runtime or the
				// test framework shows in one round, a per-call allocation in all three
				least := uint64(math.MaxUint64)
				for round := 0; round < 3; round++ {
					var m0, m1 runtime.MemStats
					runtime.ReadMemStats(&m0)
					for i := 0; i < 20; i++ {
						call()
					}
					runtime.ReadMemStats(&m1)
					least = min(least, m1.Mallocs-m0.Mallocs)
				}
				require.Zero(t, least, "%s, %d threads, dropout %g", kern.Name(), th, p)
			}
		}
	}
}

// TestSplitBackwardRepeatable: when one head's key tiles are split across workers, each
// tile's query gradient goes to a fixed accumulator (not to whichever worker ran it),
// so repeated calls with the same thread count are bit-identical. Before that, the
// grouping of tiles per accumulator followed the scheduling and so did the rounding of
// dq: this test failed for edp with 2 threads at the 4th repeat, and at the default
// tiles rbf's dq (150×150, D = 64, 2 threads) differed in 19 of 30 repeats.
func TestSplitBackwardRepeatable(t *testing.T) {
	old := simd.Threads()
	t.Cleanup(func() { simd.SetThreads(old) })
	withTiles(t, 8, 16)
	for _, th := range []int{2, 3} {
		simd.SetThreads(th)
		for _, kern := range []Kernel{EDP(), RBF(), Laplace(), Linear()} {
			p := problem{1, 1, 70, 90, 16, Options{Kernel: kern, Causal: true}}
			want := runFused(p, 11)
			for n := 0; n < 20; n++ {
				require.Equal(t, want, runFused(p, 11), "%s, %d threads, repeat %d", kern.Name(), th, n)
			}
		}
	}
}

// TestReserveZeroAllocs: a workspace reserved for a set of shapes, among them two
// whose buffers are not ordered by size (large tiles at 192 × 256, small ones just
// below) and a backward split among the workers (one head), runs Forward and Backward
// on each of them without allocating, where a fresh one allocates. simd's packing
// pool is warmed on another workspace first (GOMAXPROCS: see TestZeroAllocs). No score
// GEMM has a transposed operand: simd would take its transposition scratch from a
// shared free list, whose length follows the most calls that ever overlapped (so a
// measured run overlapping more than the warm-up allocated).
func TestReserveZeroAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	old := simd.Threads()
	t.Cleanup(func() { simd.SetThreads(old) })
	simd.SetThreads(2)
	type call struct {
		o                      Options
		B, H, Nq, Nk, D        int
		q, k, v, dout          []float32
		out, stats, dq, dk, dv []float32
	}
	r := rand.New(rand.NewPCG(41, 42))
	var calls []call
	for _, s := range []call{{B: 2, H: 2, Nq: 70, Nk: 70, D: 16, o: Options{Causal: true}}, {B: 1, H: 2, Nq: 192, Nk: 256, D: 16},
		{B: 1, H: 2, Nq: 191, Nk: 255, D: 16}, {B: 1, H: 1, Nq: 40, Nk: 200, D: 16}} {
		nq, nk := s.B*s.H*s.Nq*s.D, s.B*s.H*s.Nk*s.D
		s.q, s.k, s.v, s.dout = randSlice(r, nq, 1), randSlice(r, nk, 1), randSlice(r, nk, 1), randSlice(r, nq, 1)
		s.out, s.stats = make([]float32, nq), make([]float32, s.B*s.H*s.Nq)
		s.dq, s.dk, s.dv = make([]float32, nq), make([]float32, nk), make([]float32, nk)
		calls = append(calls, s)
	}
	mallocs := func(ws *Workspace) uint64 {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for i := range calls {
			c := &calls[i]
			Forward(&c.o, c.B, c.H, c.Nq, c.Nk, c.D, c.q, c.k, c.v, c.out, c.stats, ws)
			Backward(&c.o, c.B, c.H, c.Nq, c.Nk, c.D, c.q, c.k, c.v, c.out, c.dout, c.stats, c.dq, c.dk, c.dv, ws)
		}
		runtime.ReadMemStats(&m1)
		return m1.Mallocs - m0.Mallocs
	}
	for _, kern := range []Kernel{EDP(), RBF(), Linear()} {
		for i := range calls {
			calls[i].o.Kernel = kern
		}
		mallocs(NewWorkspace()) // warms simd's pool
		require.NotZero(t, mallocs(NewWorkspace()), "%s: a fresh workspace", kern.Name())
		ws := NewWorkspace()
		for i := range calls {
			c := &calls[i]
			ws.Reserve(&c.o, c.B, c.H, c.Nq, c.Nk, c.D)
		}
		// Counted by stack, not by MemStats.Mallocs: a GC cycle may end inside the
		// measured calls, and the runtime then allocates for itself (a mark worker's
		// or a parked pool goroutine's sudog), once in ~150 runs.
		n, report := alloctest.Library(func() { mallocs(ws) })
		require.Zero(t, n, "%s: a reserved workspace allocated:\n%s", kern.Name(), report)
	}
}
