package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Finite-difference checks in float32 with float64 loss accumulation. The loss is
// L = Σ r_i·out_i with fixed random r, so dL/dout = r. With central differences at
// h = 1e-3 the truncation error is O(h²) ≈ 1e-6 and the float32 rounding of the
// outputs contributes about 6e-8·|L|/h ≈ 1e-4 for the sizes used here; the tolerance
// 2e-3 + 1e-2·|g| covers both with margin while still catching any wrong term
// (a wrong term is O(|g|)).

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func randSlice(rng *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = scale * float32(rng.NormFloat64())
	}
	return x
}

func dotLoss(out, r []float32) float64 {
	var s float64
	for i := range out {
		s += float64(out[i]) * float64(r[i])
	}
	return s
}

// checkGrad perturbs every entry of x (or a sample of maxCheck entries) and compares
// the central difference of loss() with analytic.
func checkGrad(t *testing.T, name string, x, analytic []float32, loss func() float64) {
	t.Helper()
	checkGradTol(t, name, x, analytic, loss, 1e-3, 2e-3, 1e-2)
}

func checkGradTol(t *testing.T, name string, x, analytic []float32, loss func() float64, h float32, abs, rel float64) {
	t.Helper()
	require.Equal(t, len(x), len(analytic), name)
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	const maxCheck = 64
	if len(idx) > maxCheck {
		rng := newRNG(uint64(len(x)))
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:maxCheck]
	}
	for _, i := range idx {
		old := x[i]
		x[i] = old + h
		lp := loss()
		x[i] = old - h
		lm := loss()
		x[i] = old
		num := (lp - lm) / (2 * float64(h))
		ana := float64(analytic[i])
		require.LessOrEqual(t, math.Abs(num-ana), abs+rel*math.Abs(ana),
			"%s[%d]: numeric %g analytic %g", name, i, num, ana)
	}
}

func TestGradLinear(t *testing.T) {
	rng := newRNG(1)
	n, in, out := 5, 7, 6
	x := randSlice(rng, n*in, 1)
	w := randSlice(rng, out*in, 0.5)
	b := randSlice(rng, out, 0.5)
	r := randSlice(rng, n*out, 1)
	y := make([]float32, n*out)
	loss := func() float64 { linearForward(y, x, w, b, n, in, out); return dotLoss(y, r) }
	dx, dw, db := make([]float32, n*in), make([]float32, out*in), make([]float32, out)
	loss()
	linearBackward(dx, dw, db, r, x, w, n, in, out)
	checkGrad(t, "x", x, dx, loss)
	checkGrad(t, "w", w, dw, loss)
	checkGrad(t, "b", b, db, loss)
	// Backward accumulates: a second call doubles the gradients.
	dx2 := append([]float32(nil), dx...)
	linearBackward(dx2, make([]float32, out*in), nil, r, x, w, n, in, out)
	for i := range dx {
		require.InDelta(t, 2*dx[i], dx2[i], 1e-5)
	}
}

func TestGradLayerNorm(t *testing.T) {
	rng := newRNG(2)
	n, c := 4, 9
	x := randSlice(rng, n*c, 2)
	w := randSlice(rng, c, 1)
	b := randSlice(rng, c, 1)
	r := randSlice(rng, n*c, 1)
	y, mean, rstd := make([]float32, n*c), make([]float32, n), make([]float32, n)
	loss := func() float64 { layerNormForward(y, mean, rstd, x, w, b, n, c); return dotLoss(y, r) }
	loss()
	// Forward against a float64 reference.
	want, _ := layerNormRef64(x, w, b, r, c)
	for i, v := range want {
		require.InDelta(t, v, y[i], 1e-5)
	}
	dx, dw, db := make([]float32, n*c), make([]float32, c), make([]float32, c)
	layerNormBackward(dx, dw, db, r, x, w, mean, rstd, n, c)
	checkGrad(t, "x", x, dx, loss)
	checkGrad(t, "w", w, dw, loss)
	checkGrad(t, "b", b, db, loss)
}

func TestGradActivations(t *testing.T) {
	rng := newRNG(3)
	n := 50
	x := randSlice(rng, n, 2)
	r := randSlice(rng, n, 1)
	y := make([]float32, n)
	geluForward(y, x)
	for i, v := range x {
		xf := float64(v)
		want := 0.5 * xf * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(xf+0.044715*xf*xf*xf)))
		require.InDelta(t, want, y[i], 1e-6)
	}
	checkActivationGrad(t, "gelu", x, r, geluForward, geluBackward)

	// ReLU: keep inputs away from the kink so the central difference is valid.
	for i := range x {
		if math.Abs(float64(x[i])) < 0.01 {
			x[i] = 0.5
		}
	}
	checkActivationGrad(t, "relu", x, r, reluForward, reluBackward)
}

// checkActivationGrad checks backward(dx, dy, x), dx = f'(x)·dy, against the central
// differences of the loss Σ r[i]·f(x)[i] computed with forward(y, x).
func checkActivationGrad(t *testing.T, name string, x, r []float32, forward func(y, x []float32), backward func(dx, dy, x []float32)) {
	t.Helper()
	y := make([]float32, len(x))
	loss := func() float64 { forward(y, x); return dotLoss(y, r) }
	dx := make([]float32, len(x))
	backward(dx, r, x)
	checkGrad(t, name, x, dx, loss)
}

func TestDropoutDeterministicAndGradient(t *testing.T) {
	rng := newRNG(4)
	n := 4000
	x := randSlice(rng, n, 1)
	r := randSlice(rng, n, 1)
	y, mask := make([]float32, n), make([]float32, n)
	p := float32(0.25)
	dropoutForward(y, mask, x, p, 7, 3, 2)
	y2, mask2 := make([]float32, n), make([]float32, n)
	dropoutForward(y2, mask2, x, p, 7, 3, 2)
	require.Equal(t, y, y2, "same seed, step and site give the same mask")
	dropoutForward(y2, mask2, x, p, 7, 4, 2)
	require.NotEqual(t, mask, mask2, "another step draws another mask")
	zeros := 0
	for i, m := range mask {
		if m == 0 {
			zeros++
			require.Zero(t, y[i])
		} else {
			require.Equal(t, float32(1/(1-p)), m)
			require.Equal(t, x[i]*m, y[i])
		}
	}
	require.InDelta(t, float64(p), float64(zeros)/float64(n), 0.03, "drop rate")
	loss := func() float64 {
		for i := range x {
			y[i] = x[i] * mask[i]
		}
		return dotLoss(y, r)
	}
	dx := make([]float32, n)
	dropoutBackward(dx, r, mask)
	checkGrad(t, "dropout", x, dx, loss)

	a, b := randSlice(rng, 10, 1), randSlice(rng, 10, 1)
	out := make([]float32, 10)
	res := func() float64 { residualForward(out, a, b); return dotLoss(out, r[:10]) }
	da, db := make([]float32, 10), make([]float32, 10)
	res()
	residualBackward(da, db, r[:10])
	checkGrad(t, "residual a", a, da, res)
	checkGrad(t, "residual b", b, db, res)
}

func TestGradEmbedding(t *testing.T) {
	rng := newRNG(5)
	B, T, C, V := 2, 3, 4, 5
	tok := []int32{1, 4, 1, 0, 2, 4}
	wte := randSlice(rng, V*C, 1)
	pos := randSlice(rng, T*C, 1)
	r := randSlice(rng, B*T*C, 1)
	out := make([]float32, B*T*C)
	scale := float32(2)
	loss := func() float64 { embeddingForward(out, tok, wte, pos, scale, B, T, C); return dotLoss(out, r) }
	loss()
	dwte, dpos := make([]float32, V*C), make([]float32, T*C)
	embeddingBackward(dwte, dpos, r, tok, scale, B, T, C)
	checkGrad(t, "wte", wte, dwte, loss)
	checkGrad(t, "pos", pos, dpos, loss)

	tab := make([]float32, 50*8)
	sinusoidTable(tab, 50, 8)
	require.InDelta(t, 0, tab[0], 0) // sin(0)
	require.InDelta(t, 1, tab[4], 0) // cos(0)
	require.InDelta(t, math.Sin(7), tab[7*8], 1e-6)
	require.InDelta(t, math.Cos(7*math.Pow(10000, -1.0/3)), tab[7*8+4+1], 1e-6)
}

func TestGradCrossEntropy(t *testing.T) {
	rng := newRNG(6)
	n, V := 6, 7
	const pad = 3
	targets := []int32{0, 6, pad, 2, 5, 1}
	for _, eps := range []float32{0, 0.1} {
		logits := randSlice(rng, n*V, 2)
		work := make([]float32, n*V)
		loss := func() float64 {
			copy(work, logits)
			s, c := crossEntropyForward(work, targets, pad, eps, n, V)
			require.Equal(t, 5, c)
			return s / float64(c)
		}
		got := loss()
		// float64 reference.
		var want float64
		for r := 0; r < n; r++ {
			if targets[r] == pad {
				continue
			}
			row := logits[r*V : (r+1)*V]
			var m float64 = -1e30
			for _, v := range row {
				m = math.Max(m, float64(v))
			}
			var s float64
			for _, v := range row {
				s += math.Exp(float64(v) - m)
			}
			lse := m + math.Log(s)
			var smooth float64
			for _, v := range row {
				smooth += lse - float64(v)
			}
			want += (1-float64(eps))*(lse-float64(row[targets[r]])) + float64(eps)/float64(V)*smooth
		}
		want /= 5
		require.InDelta(t, want, got, 1e-5)
		d := make([]float32, n*V)
		crossEntropyBackward(d, work, targets, pad, eps, 1.0/5, n, V)
		checkGrad(t, "logits", logits, d, loss)
	}
}
