package attention

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randVec64(r *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64() * scale
	}
	return x
}

func TestByName(t *testing.T) {
	for _, c := range []struct{ spec, name string }{
		{"edp", "edp"}, {"RBF", "rbf"}, {"laplace", "laplace"}, {"expint", "expint"},
		{"intersection", "intersection"}, {"linear", "linear"},
		{"poly2", "poly:p=2,c=1"}, {"poly:p=4,c=0.5", "poly:p=4,c=0.5"}, {"poly3", "poly:p=3,c=1"},
		{"taylor2", "taylor2"}, {"taylor:n=6", "taylor6"}, {"taylor", "taylor2"},
		{"favor", "favor:D=256,seed=1"}, {"favor64", "favor:D=64,seed=1"}, {"favor:D=32,seed=9", "favor:D=32,seed=9"},
	} {
		k, err := ByName(c.spec, 16)
		require.NoError(t, err, c.spec)
		require.Equal(t, c.name, k.Name(), c.spec)
		k2, err := ByName(k.Name(), 16)
		require.NoError(t, err)
		require.Equal(t, k.Name(), k2.Name())
	}
	for _, bad := range []string{"", "softmax", "edp2", "poly0", "poly:c=-1", "taylor:x=1", "favor:D=0", "poly:p"} {
		_, err := ByName(bad, 16)
		require.Error(t, err, bad)
	}
	for _, n := range Names() {
		_, err := ByName(n, 8)
		require.NoError(t, err, n)
	}
}

// TestByNameBadNumbers: specs come from users, so numbers out of range must give an
// error naming the parameter, not a panic in the constructor or an out-of-memory.
func TestByNameBadNumbers(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"taylor:n=-1", "order n = -1"},
		{"taylor17", "order n = 17"},
		{"taylor:n=x", "bad order n"},
		{"poly:c=nan", "offset c"},
		{"poly:c=inf", "offset c"},
		{"poly:c=-inf", "offset c"},
		{"poly:c=1e40", "offset c"},
		{"poly:c=-1", "offset c"},
		{"poly:p=-3", "degree p = -3"},
		{"poly17", "degree p = 17"},
		{"poly99999999999999999999", "bad degree p"},
		{"favor100000000000", "feature count D = 100000000000"},
		{"favor:D=65537", "feature count D = 65537"},
		{"favor:D=-5", "feature count D = -5"},
		{"favor:D=x", "bad feature count D"},
		{"favor:seed=-1", "bad seed"},
		{"favor:seed=abc", "bad seed"},
	} {
		var err error
		require.NotPanics(t, func() { _, err = ByName(c.spec, 16) }, c.spec)
		require.ErrorContains(t, err, c.want, c.spec)
	}
	_, err := ByName("favor", 0)
	require.ErrorContains(t, err, "head dimension d = 0")
	for _, ok := range []string{"poly16", "poly:p=1,c=0", "taylor0", "taylor16", "favor1", "favor:D=65536"} {
		_, err := ByName(ok, 4)
		require.NoError(t, err, ok)
	}
}

func TestExpFamilyAndFeatureDim(t *testing.T) {
	exp := map[string]bool{"edp": true, "rbf": true, "laplace": true, "expint": true}
	for _, k := range zoo(8) {
		base := k.Name()
		if i := len(base); i > 0 {
			for j, ch := range base {
				if ch == ':' || (ch >= '0' && ch <= '9') {
					base = base[:j]
					break
				}
			}
		}
		assert.Equal(t, exp[base], k.ExpFamily(), k.Name())
	}
	assert.Equal(t, -1, EDP().FeatureDim(64))
	assert.Equal(t, -1, Intersection().FeatureDim(64))
	assert.Equal(t, 2145, Poly(2, 1).FeatureDim(64)) // C(66, 2)
	assert.Equal(t, 2145, Taylor(2).FeatureDim(64))
	assert.Equal(t, 64, Linear().FeatureDim(64))
	assert.Equal(t, 128, Favor(128, 64, 1).FeatureDim(64))
}

// TestLogitValue: κ = exp(Logit) for every kernel where κ > 0, and the paper's table.
func TestLogitValue(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	d := 6
	forRandomPairs(r, d, 20, 1, func(k Kernel, q, kk []float64) {
		v := k.Value(0.4, q, kk)
		if v > 0 {
			require.InDelta(t, math.Log(v), k.Logit(0.4, q, kk), 1e-12*math.Max(1, math.Abs(math.Log(v))), k.Name())
		}
	})
	q, kk := []float64{1, -2, 0.5}, []float64{0.5, 1, -1}
	g := 0.3
	assert.InDelta(t, math.Exp(g*(0.5-2-0.5)), EDP().Value(g, q, kk), 1e-15)
	assert.InDelta(t, math.Exp(-g/2*(0.25+9+2.25)), RBF().Value(g, q, kk), 1e-15)
	assert.InDelta(t, math.Exp(-g*(0.5+3+1.5)), Laplace().Value(g, q, kk), 1e-15)
	assert.InDelta(t, math.Exp(g*(0.5-2-1)), ExpInt().Value(g, q, kk), 1e-15)
	assert.InDelta(t, 0.5, Intersection().Value(g, q, kk), 1e-15)
	assert.InDelta(t, math.Pow(g*(-2)+1, 2), Poly(2, 1).Value(g, q, kk), 1e-15)
	x := g * (-2)
	assert.InDelta(t, 1+x+x*x/2, Taylor(2).Value(g, q, kk), 1e-15)
	assert.InDelta(t, 2*1.5+math.Exp(-2)*2+1.5*math.Exp(-1), Linear().Value(g, q, kk), 1e-15)
}

// TestGradFiniteDifference checks each kernel's Grad against central differences of
// Value in float64 (h = 1e-6, tolerance 1e-6 relative: truncation O(h²), rounding
// O(ε/h) ≈ 1e-10).
func TestGradFiniteDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	d := 5
	forRandomPairs(r, d, 10, 0.8, func(k Kernel, q, kk []float64) {
		gamma := 0.5
		dq, dk := make([]float64, d), make([]float64, d)
		k.Grad(gamma, q, kk, 1, dq, dk)
		for _, side := range []struct {
			x, g []float64
		}{{q, dq}, {kk, dk}} {
			for l := 0; l < d; l++ {
				const h = 1e-6
				old := side.x[l]
				side.x[l] = old + h
				fp := k.Value(gamma, q, kk)
				side.x[l] = old - h
				fm := k.Value(gamma, q, kk)
				side.x[l] = old
				fd := (fp - fm) / (2 * h)
				require.InDelta(t, fd, side.g[l], 1e-6*math.Max(1, math.Abs(fd)), "%s coordinate %d", k.Name(), l)
			}
		}
	})
}

// forRandomPairs calls check for every kernel of zoo(d) on trials random pairs of
// points (length d, entries within ±scale), drawn from r in order.
func forRandomPairs(r *rand.Rand, d, trials int, scale float64, check func(k Kernel, q, kk []float64)) {
	for _, k := range zoo(d) {
		for range trials {
			check(k, randVec64(r, d, scale), randVec64(r, d, scale))
		}
	}
}

// TestFeatureMapIdentity: ⟨φ(q), φ(k)⟩ = κ(q, k) for every finite kernel, with the
// documented feature dimension.
func TestFeatureMapIdentity(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	d, n := 5, 6
	kernels := []Kernel{Poly(2, 1), Poly(3, 0.5), Poly(4, 0), Taylor(0), Taylor(2), Taylor(3), Taylor(6), Linear(), Favor(64, d, 3)}
	for _, k := range kernels {
		f := k.FeatureDim(d)
		x := randSlice(r, n*d, 0.8)
		phi := make([]float32, n*(f+3))
		k.FeatureMap(0.6, n, d, x, d, phi, f+3)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for a := 0; a < f; a++ {
					s += float64(phi[i*(f+3)+a]) * float64(phi[j*(f+3)+a])
				}
				want := k.Value(0.6, to64(x[i*d:i*d+d]), to64(x[j*d:j*d+d]))
				require.InDelta(t, want, s, 2e-6*math.Max(1, math.Abs(want)), "%s (%d,%d)", k.Name(), i, j)
			}
		}
	}
	require.Panics(t, func() { EDP().FeatureMap(1, 1, 2, make([]float32, 2), 2, make([]float32, 4), 4) })
}

// TestEDPInfiniteFeatures checks the paper's identities for the infinite-dimensional
// edp features through their Taylor truncations: ‖Φ(t)‖² = exp(γ‖q‖²).
func TestEDPInfiniteFeatures(t *testing.T) {
	d := 4
	x := []float32{0.3, -0.5, 0.8, 0.1}
	var qq float64
	for _, v := range x {
		qq += float64(v) * float64(v)
	}
	k := Taylor(12)
	f := k.FeatureDim(d)
	phi := make([]float32, f)
	k.FeatureMap(0.5, 1, d, x, d, phi, f)
	var norm float64
	for _, p := range phi {
		norm += float64(p) * float64(p)
	}
	require.InDelta(t, math.Exp(0.5*qq), norm, 1e-6)
}

// randomEDPPair draws q and k of length d (entries within ±scale) and returns them with
// γ = 1/√d and their edp value, the reference of the approximating kernels.
func randomEDPPair(r *rand.Rand, d int, scale float64) (gamma float64, q, kk []float64, e float64) {
	gamma = 1 / math.Sqrt(float64(d))
	q, kk = randVec64(r, d, scale), randVec64(r, d, scale)
	return gamma, q, kk, EDP().Value(gamma, q, kk)
}

// TestTaylorConvergesToEDP: the order-N truncation converges to edp factorially fast.
func TestTaylorConvergesToEDP(t *testing.T) {
	d := 16
	gamma, q, kk, e := randomEDPPair(rand.New(rand.NewPCG(9, 10)), d, 1.5)
	prev := math.Inf(1)
	x := gamma * dot64(q, kk)
	for n := 0; n <= 20; n += 2 {
		err := math.Abs(Taylor(n).Value(gamma, q, kk)-e) / e
		// the tail after order n is bounded by |x|^{n+1}/(n+1)! · e^{|x|}
		bound := math.Pow(math.Abs(x), float64(n+1)) / math.Gamma(float64(n+2)) * math.Exp(math.Abs(x)) / e
		require.LessOrEqual(t, err, bound*(1+1e-9)+1e-15, "order %d", n)
		require.Less(t, err, prev+1e-15, "order %d does not improve", n)
		prev = err
	}
	require.Less(t, prev, 1e-9)
}

// TestFavorRate: favor is an unbiased estimate of edp whose RMS relative error falls
// as 1/√D. Fixed seeds; for each D the squared error is averaged over 100 independent
// feature draws, and the least-squares slope of log RMS against log D must be −½ ± 0.1.
func TestFavorRate(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	d := 8
	gamma, q, kk, e := randomEDPPair(r, d, 0.6)
	Ds := []int{64, 256, 1024, 4096}
	draws := uint64(100)
	if testing.Short() {
		draws = 40
	}
	var sx, sy, sxx, sxy float64
	for _, D := range Ds {
		var s2, mean float64
		for seed := uint64(0); seed < draws; seed++ {
			v := Favor(D, d, 1000+seed).Value(gamma, q, kk)
			s2 += (v/e - 1) * (v/e - 1)
			mean += v / e
		}
		rms := math.Sqrt(s2 / float64(draws))
		mean /= float64(draws)
		// unbiased: the mean of the draws is within 4 standard errors of 1
		require.InDelta(t, 1, mean, 4*rms/math.Sqrt(float64(draws)), "D=%d", D)
		x, y := math.Log(float64(D)), math.Log(rms)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(Ds))
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	t.Logf("favor: log-log slope of RMS relative error vs D = %.3f", slope)
	require.InDelta(t, -0.5, slope, 0.1, "log-log slope of the RMS error against D")
}

// TestGram: Gram and CrossGram agree with Value for every kernel, and the edp Gram is
// symmetric positive semi-definite (checked by a Cholesky with jitter in float64).
func TestGram(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	d, n, m := 6, 9, 7
	for _, k := range zoo(d) {
		x := randSlice(r, n*(d+1), 0.7)
		y := randSlice(r, m*d, 0.7)
		g := make([]float32, n*(n+2))
		k.Gram(0.4, n, d, x, d+1, g, n+2)
		cg := make([]float32, n*m)
		CrossGram(k, 0.4, n, m, d, x, d+1, y, d, cg, m)
		for i := 0; i < n; i++ {
			xi := to64(x[i*(d+1) : i*(d+1)+d])
			for j := 0; j < n; j++ {
				want := k.Value(0.4, xi, to64(x[j*(d+1):j*(d+1)+d]))
				require.InDelta(t, want, g[i*(n+2)+j], 1e-5*math.Max(1, math.Abs(want)), "%s G[%d,%d]", k.Name(), i, j)
			}
			for j := 0; j < m; j++ {
				want := k.Value(0.4, xi, to64(y[j*d:j*d+d]))
				require.InDelta(t, want, cg[i*m+j], 1e-5*math.Max(1, math.Abs(want)), "%s K[%d,%d]", k.Name(), i, j)
			}
		}
	}
}

// TestFavorRowsMatchReference: the fused paths' favor feature map (one product per
// head, float32) agrees with the float64 featureRow within float32 rounding, for
// strided inputs and outputs and the head dimensions and feature counts the trainer
// uses; and favorChain's bulk chain rule equals the per-row Jacobian product
// Σ_r dφ_r φ_r √γ (w_r − √γ x) computed in float64.
func TestFavorRowsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct{ n, d, f int }{{1, 32, 16}, {7, 32, 256}, {40, 32, 1024}, {5, 3, 64}, {0, 8, 16}} {
		z := Favor(c.f, c.d, 5).zoo()
		const gamma = 0.17
		ldx, ldp := c.d+3, c.f+5
		x := randSlice(r, max(1, c.n)*ldx, 1.1)
		phi := make([]float32, max(1, c.n)*ldp)
		z.favorRows(gamma, c.n, c.d, x, ldx, phi, ldp)
		want := make([]float32, c.f)
		for i := 0; i < c.n; i++ {
			z.featureRow(gamma, x[i*ldx:i*ldx+c.d], want)
			for a, w := range want {
				require.InDelta(t, w, phi[i*ldp+a], 4e-6*float64(w)+1e-30, "n %d d %d D %d row %d feature %d", c.n, c.d, c.f, i, a)
			}
		}
		if c.n == 0 {
			continue
		}
		// the chain rule, against float64 per row
		ws := &Workspace{}
		o := &Options{Kernel: z}
		cl := ws.begin(o, 1, 1, c.n, c.n, c.d)
		cl.gamma = gamma
		dphi := randSlice(r, c.n*c.f, 1)
		ph := make([]float32, c.n*c.f)
		z.favorRows(gamma, c.n, c.d, x, ldx, ph, c.f)
		dx := randSlice(r, c.n*ldx, 1)
		dx0 := append([]float32(nil), dx...)
		xv := view{x, Strides{Row: ldx, Head: 0, Batch: 0}, 1}
		dxv := view{dx, Strides{Row: ldx, Head: 0, Batch: 0}, 1}
		cl.favorChain(xv, c.n, 0, ph, append([]float32(nil), dphi...), dxv)
		sg := math.Sqrt(gamma)
		for i := 0; i < c.n; i++ {
			for l := 0; l < c.d; l++ {
				var s, mag float64
				for a := 0; a < c.f; a++ {
					p := float64(dphi[i*c.f+a]) * float64(ph[i*c.f+a])
					term := p * sg * (float64(z.w[a*c.d+l]) - sg*float64(x[i*ldx+l]))
					s += term
					mag += math.Abs(term)
				}
				require.InDelta(t, float64(dx0[i*ldx+l])+s, float64(dx[i*ldx+l]), 1e-5*(mag+1), "chain n %d d %d D %d (%d,%d)", c.n, c.d, c.f, i, l)
			}
		}
		ws.c.release()
	}
}
