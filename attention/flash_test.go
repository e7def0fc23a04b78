package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

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

// withTiles shrinks the tile sizes for one test so small lengths cross many tile edges.
func withTiles(t testing.TB, tq, tk int) {
	oq, ok := tileQ, tileK
	tileQ, tileK = tq, tk
	t.Cleanup(func() { tileQ, tileK = oq, ok })
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
	require.LessOrEqual(t, relErr(dv, wdv), 1e-3, "dv: %s", name)
	require.LessOrEqual(t, relErr(dq, wdq), 1e-3, "dq: %s", name)
	require.LessOrEqual(t, relErr(dk, wdk), 1e-3, "dk: %s", name)
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
	D := 8
	lengths := [][2]int{{1, 1}, {5, 5}, {17, 17}, {33, 33}, {3, 19}, {21, 2}, {13, 40}}
	if testing.Short() {
		lengths = [][2]int{{1, 1}, {17, 17}, {3, 19}, {21, 2}}
	}
	for _, kern := range zoo(D) {
		for _, mode := range []string{"none", "causal", "padding", "causal+padding"} {
			for _, nn := range lengths {
				B, H := 2, 2
				o := Options{Kernel: kern, Causal: mode == "causal" || mode == "causal+padding"}
				if mode == "padding" || mode == "causal+padding" {
					o.KeyMask = randMask(r, B, nn[1])
				}
				checkAgainstReference(t, r, problem{B, H, nn[0], nn[1], D, o}, 0.7)
			}
		}
	}
}
