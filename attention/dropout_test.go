package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// splitMix64 is an independent transcription of SplitMix64 (state += γ, then Mix13),
// the generator dropout.go documents.
type splitMix64 struct{ s uint64 }

func (g *splitMix64) next() uint64 {
	g.s += 0x9e3779b97f4a7c15
	z := g.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// documentedMask is M [B·H, Nq, Nk] (true = kept) computed from the formula in
// dropout.go with splitMix64, not with the package's code.
func documentedMask(p float32, seed uint64, bh, nq, nk int) []bool {
	s0 := (&splitMix64{s: (seed ^ 0x243f6a8885a308d3) - 0x9e3779b97f4a7c15}).next() // mix64(σ ⊕ salt)
	heads := &splitMix64{s: s0}
	thr := uint64(float64(p) * (1 << 63) * 2)
	m := make([]bool, bh*nq*nk)
	for h := 0; h < bh; h++ {
		g := &splitMix64{s: heads.next()} // K_h; element n = i·Nk + j is its (n+1)-th output
		for n := 0; n < nq*nk; n++ {
			m[h*nq*nk+n] = g.next() >= thr
		}
	}
	return m
}

// TestSplitMix64Vectors pins mix64 to SplitMix64's published first outputs for seed 0.
func TestSplitMix64Vectors(t *testing.T) {
	gamma := uint64(dropGamma)
	require.Equal(t, uint64(0xe220a8397b1dcdaf), mix64(gamma))
	require.Equal(t, uint64(0x6e789e6aa1b965f4), mix64(2*gamma))
	g := &splitMix64{}
	require.Equal(t, uint64(0xe220a8397b1dcdaf), g.next())
	require.Equal(t, uint64(0x6e789e6aa1b965f4), g.next())
}

// extractMask runs Forward so that out_i[j] = M_ij/(1−p): every κ_ij = exp(0) = 1
// (q = k = 0, edp, unnormalized) and v_j = e_j (D = Nk). It returns the output.
func extractMask(t *testing.T, p float32, seed uint64, B, H, Nq, Nk int, causal bool) []float32 {
	t.Helper()
	D := Nk
	q := make([]float32, B*H*Nq*D)
	k := make([]float32, B*H*Nk*D)
	v := make([]float32, B*H*Nk*D)
	for bh := 0; bh < B*H; bh++ {
		for j := 0; j < Nk; j++ {
			v[(bh*Nk+j)*D+j] = 1
		}
	}
	out, stats := make([]float32, B*H*Nq*D), make([]float32, B*H*Nq)
	o := Options{Unnormalized: true, Dropout: p, DropoutSeed: seed, Causal: causal}
	Forward(&o, B, H, Nq, Nk, D, q, k, v, out, stats, nil)
	return out
}

// TestDropoutMask: the mask Forward applies is the documented SplitMix64 mask, the same
// for every tiling and thread count; its keep rate is 1−p and neighbouring entries
// (right, down, next head) are kept independently, within 5σ over 2×192×200 draws.
func TestDropoutMask(t *testing.T) {
	old := simd.Threads()
	t.Cleanup(func() { simd.SetThreads(old) })
	B, H, Nq, Nk := 1, 2, 192, 200
	for _, p := range []float32{0.1, 0.5, 0.9} {
		seed := uint64(1000 + 7*p*10)
		want := documentedMask(p, seed, B*H, Nq, Nk)
		scale := float32(1 / (1 - float64(p)))
		ref := extractMask(t, p, seed, B, H, Nq, Nk, false)
		for n, keep := range want {
			bh, i, j := n/(Nq*Nk), n/Nk%Nq, n%Nk
			w := float32(0)
			if keep {
				w = scale
			}
			require.Equal(t, w, ref[(bh*Nq+i)*Nk+j], "p=%g bh=%d i=%d j=%d", p, bh, i, j)
		}
		// The same mask for other tilings and thread counts.
		for _, tiles := range [][2]int{{8, 16}, {5, 7}, {96, 96}} {
			for _, th := range []int{1, 2, 3} {
				func() {
					withTiles(t, tiles[0], tiles[1])
					simd.SetThreads(th)
					require.Equal(t, ref, extractMask(t, p, seed, B, H, Nq, Nk, false), "tiles %v threads %d", tiles, th)
				}()
			}
		}
		// Keep rate and pairwise independence.
		pk := 1 - float64(p)
		count := func(pairs func(yield func(a, b bool))) (n, both int) {
			pairs(func(a, b bool) {
				n++
				if a && b {
					both++
				}
			})
			return
		}
		at := func(bh, i, j int) bool { return want[(bh*Nq+i)*Nk+j] }
		kept := 0
		for _, k := range want {
			if k {
				kept++
			}
		}
		within := func(name string, got, n int, prob float64) {
			t.Helper()
			sigma := math.Sqrt(float64(n) * prob * (1 - prob))
			require.InDelta(t, prob*float64(n), float64(got), 5*sigma, "p=%g %s: %d of %d", p, name, got, n)
		}
		within("kept", kept, len(want), pk)
		n, both := count(func(yield func(a, b bool)) {
			for bh := 0; bh < B*H; bh++ {
				for i := 0; i < Nq; i++ {
					for j := 0; j+1 < Nk; j += 2 {
						yield(at(bh, i, j), at(bh, i, j+1))
					}
				}
			}
		})
		within("right neighbours both kept", both, n, pk*pk)
		n, both = count(func(yield func(a, b bool)) {
			for bh := 0; bh < B*H; bh++ {
				for i := 0; i+1 < Nq; i += 2 {
					for j := 0; j < Nk; j++ {
						yield(at(bh, i, j), at(bh, i+1, j))
					}
				}
			}
		})
		within("lower neighbours both kept", both, n, pk*pk)
		n, both = count(func(yield func(a, b bool)) {
			for i := 0; i < Nq; i++ {
				for j := 0; j < Nk; j++ {
					yield(at(0, i, j), at(1, i, j))
				}
			}
		})
		within("next head both kept", both, n, pk*pk)
	}
	// Another seed gives another mask; the causal mask only removes entries.
	a := extractMask(t, 0.5, 1, 1, 1, 20, 20, false)
	require.NotEqual(t, a, extractMask(t, 0.5, 2, 1, 1, 20, 20, false))
	c := extractMask(t, 0.5, 1, 1, 1, 20, 20, true)
	for i := 0; i < 20; i++ {
		for j := 0; j < 20; j++ {
			if j <= i {
				require.Equal(t, a[i*20+j], c[i*20+j])
			} else {
				require.Zero(t, c[i*20+j])
			}
		}
	}
}

// TestDropoutAgainstReference: forward and backward with dropout p ∈ {0.1, 0.5} match
// the float64 reference (same mask) for every kernel × {none, causal, padding,
// causal+padding} × {self, cross} × lengths that are not multiples of the 8×16 tiles,
// normalized and unnormalized, with the tolerances of TestAgainstReference.
func TestDropoutAgainstReference(t *testing.T) {
	withTiles(t, 8, 16)
	r := rand.New(rand.NewPCG(41, 42))
	D := 8
	short := [][2]int{{17, 17}, {3, 19}, {21, 2}}
	for _, p := range []float32{0.1, 0.5} {
		for _, kern := range zoo(D) {
			dropout := func(o *Options) { o.Dropout, o.DropoutSeed = p, r.Uint64() }
			maskedCases(r, kern, short, dropout, func(pr problem) { checkAgainstReference(t, r, pr, 0.7) })
			for _, nn := range [][2]int{{19, 19}, {7, 30}} {
				o := Options{Kernel: kern, Causal: true, Unnormalized: true, KeyMask: randMask(r, 2, nn[1]),
					Dropout: p, DropoutSeed: r.Uint64()}
				checkAgainstReference(t, r, problem{2, 1, nn[0], nn[1], D, o}, 0.5)
			}
		}
	}
}

// fusedRun is one Forward and Backward with fixed random data.
type fusedRun struct{ out, stats, dq, dk, dv []float32 }

func runFused(p problem, seed uint64) fusedRun {
	r := rand.New(rand.NewPCG(seed, 3))
	B, H, Nq, Nk, D := p.B, p.H, p.Nq, p.Nk, p.D
	q, k, v := randSlice(r, B*H*Nq*D, 0.5), randSlice(r, B*H*Nk*D, 0.5), randSlice(r, B*H*Nk*D, 1)
	dout := randSlice(r, B*H*Nq*D, 1)
	f := fusedRun{make([]float32, B*H*Nq*D), make([]float32, B*H*Nq), make([]float32, B*H*Nq*D),
		make([]float32, B*H*Nk*D), make([]float32, B*H*Nk*D)}
	Forward(&p.o, B, H, Nq, Nk, D, q, k, v, f.out, f.stats, nil)
	Backward(&p.o, B, H, Nq, Nk, D, q, k, v, f.out, dout, f.stats, f.dq, f.dk, f.dv, nil)
	return f
}

// TestDropoutThreads: with dropout, 1, 2 and 3 threads on the default tiles (D = 64,
// one head: the backward pass splits key tiles; several heads: it does not) agree with
// the reference; Forward, dK and dV are bit-identical for every thread count, dQ too
// when B·H ≥ threads (otherwise it sums per-worker partials, see doc.go), and every
// result is bit-identical when repeated with the same count.
func TestDropoutThreads(t *testing.T) {
	old := simd.Threads()
	t.Cleanup(func() { simd.SetThreads(old) })
	r := rand.New(rand.NewPCG(43, 44))
	shapes := []problem{{1, 1, 150, 150, 64, Options{}}, {1, 1, 70, 200, 64, Options{}}, {2, 3, 65, 65, 16, Options{}}}
	kernels := []Kernel{EDP(), RBF(), Poly(2, 1), Linear(), Laplace()}
	if testing.Short() {
		kernels = kernels[:2]
	}
	for _, p := range shapes {
		for _, kern := range kernels {
			for _, causal := range []bool{false, true} {
				p.o = Options{Kernel: kern, Causal: causal, Dropout: 0.3, DropoutSeed: 77}
				name := fmt.Sprintf("%s %v causal=%v", kern.Name(), [2]int{p.Nq, p.Nk}, causal)
				simd.SetThreads(1)
				one := runFused(p, 5)
				for _, th := range []int{1, 2, 3} {
					simd.SetThreads(th)
					checkAgainstReference(t, r, p, 0.5)
					got := runFused(p, 5)
					require.Equal(t, got, runFused(p, 5), "repeatable: %s, %d threads", name, th)
					require.Equal(t, one.out, got.out, "%s, %d threads", name, th)
					require.Equal(t, one.stats, got.stats, "%s, %d threads", name, th)
					require.Equal(t, one.dk, got.dk, "%s, %d threads", name, th)
					require.Equal(t, one.dv, got.dv, "%s, %d threads", name, th)
					if p.B*p.H >= th {
						require.Equal(t, one.dq, got.dq, "%s, %d threads", name, th)
					}
				}
			}
		}
	}
}

// TestDropoutZeroIsIdentical: Dropout = 0 (with any seed) gives results bit-identical
// to options without dropout, on the general and the fast edp backward paths.
func TestDropoutZeroIsIdentical(t *testing.T) {
	withTiles(t, 8, 16)
	r := rand.New(rand.NewPCG(45, 46))
	for _, kern := range zoo(8) {
		for _, causal := range []bool{false, true} {
			o := Options{Kernel: kern, Causal: causal, KeyMask: randMask(r, 2, 21)}
			p := problem{2, 2, 19, 21, 8, o}
			want := runFused(p, 9)
			p.o.DropoutSeed = 0xdeadbeef
			require.Equal(t, want, runFused(p, 9), "%s causal=%v", kern.Name(), causal)
			p.o.Dropout = 0.2
			require.NotEqual(t, want.out, runFused(p, 9).out, "%s: dropout on changes the output", kern.Name())
		}
	}
}

// TestDropoutUnbiased: averaged over many seeds, the dropout output is the output
// without dropout: E[M_ij/(1−p)] = 1. Each element's mean over n seeds is within 5σ,
// σ² = Σ_j P_ij² v_jl² · p/(1−p) / n, computed from the reference's weights.
func TestDropoutUnbiased(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	B, H, Nq, Nk, D := 1, 1, 6, 9, 4
	q, k, v := randSlice(r, Nq*D, 0.8), randSlice(r, Nk*D, 0.8), randSlice(r, Nk*D, 1)
	const p, n = 0.3, 4000
	o := Options{Kernel: EDP(), Dropout: p}
	mean := make([]float64, Nq*D)
	out, stats := make([]float32, Nq*D), make([]float32, Nq)
	ws := NewWorkspace()
	for s := 0; s < n; s++ {
		o.DropoutSeed = uint64(s)
		Forward(&o, B, H, Nq, Nk, D, q, k, v, out, stats, ws)
		for i, x := range out {
			mean[i] += float64(x) / n
		}
	}
	want, _, _, _, _ := Reference(&Options{Kernel: EDP()}, B, H, Nq, Nk, D, to64(q), to64(k), to64(v), nil)
	// P from the reference with v = identity rows: out_i[j] = P_ij when D = Nk.
	eye := make([]float64, Nk*Nk)
	for j := 0; j < Nk; j++ {
		eye[j*Nk+j] = 1
	}
	kk := to64(k)
	qq := to64(q)
	// P_ij: the reference attention of q over k with values e_j (dims padded to Nk).
	pad := func(x []float64, rows int) []float64 {
		y := make([]float64, rows*Nk)
		for i := 0; i < rows; i++ {
			copy(y[i*Nk:], x[i*D:i*D+D])
		}
		return y
	}
	// Padding q and k with zeros leaves qᵀk unchanged; the scale is pinned to 1/√D.
	P, _, _, _, _ := Reference(&Options{Kernel: EDP(), Scale: float32(1 / math.Sqrt(float64(D)))}, 1, 1, Nq, Nk, Nk, pad(qq, Nq), pad(kk, Nk), eye, nil)
	for i := 0; i < Nq; i++ {
		for l := 0; l < D; l++ {
			var vr float64
			for j := 0; j < Nk; j++ {
				a := P[i*Nk+j] * float64(v[j*D+l])
				vr += a * a
			}
			sigma := math.Sqrt(vr * p / (1 - p) / n)
			require.InDelta(t, want[i*D+l], mean[i*D+l], 5*sigma+1e-6, "out[%d][%d]", i, l)
		}
	}
}

func TestDropoutPanics(t *testing.T) {
	x := make([]float32, 8)
	for _, p := range []float32{1, -0.1, float32(math.NaN()), 2} {
		require.PanicsWithValue(t, fmt.Sprintf("attention: Forward: Dropout = %v: must be in [0, 1)", p), func() {
			Forward(&Options{Dropout: p}, 1, 1, 2, 2, 4, x, x, x, x, x[:2], nil)
		})
	}
	require.PanicsWithValue(t, "attention: ForwardLinear: Dropout = 0.1: the linear path cannot drop single weights; use Forward", func() {
		ForwardLinear(&Options{Kernel: Linear(), Dropout: 0.1}, 1, 1, 2, 2, 4, x, x, x, x, x[:2], nil)
	})
}
