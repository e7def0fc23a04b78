package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Vector math through the conformance helper: every implementation against the
// twin, bit for bit for the element-wise routines (they run the same algorithm),
// within summation-order rounding for the sums.

func init() {
	elementwiseRoutines = append(elementwiseRoutines,
		elementwise{"exp", 1, 120, 0, func(im *impl, dst []float32, in [][]float32) { im.exp(dst, in[0]) }},
		elementwise{"exp/small", 1, 4, 0, func(im *impl, dst []float32, in [][]float32) { im.exp(dst, in[0]) }},
		// the large-array path: prefetching body in multiples of 32, then the tail
		elementwise{"exp/large", 1, 120, 0, func(im *impl, dst []float32, in [][]float32) { expLargeOrExp(im, dst, in[0]) }},
		elementwise{"log", 1, 100, 0, func(im *impl, dst []float32, in [][]float32) { im.log(dst, in[0]) }},
		// positive inputs over many binades, computed in place (dst aliases src)
		elementwise{"log/positive", 1, 30, 0, func(im *impl, dst []float32, in [][]float32) {
			for i, v := range in[0] {
				dst[i] = float32(math.Exp(float64(v)))
			}
			im.log(dst, dst)
		}},
		elementwise{"tanh", 1, 12, 0, func(im *impl, dst []float32, in [][]float32) { im.tanh(dst, in[0]) }},
		elementwise{"tanh/small", 1, 0.7, 0, func(im *impl, dst []float32, in [][]float32) { im.tanh(dst, in[0]) }},
		elementwise{"gelu", 1, 8, 0, func(im *impl, dst []float32, in [][]float32) { im.gelu(dst, in[0]) }},
		// dx (in[2], copied to dst) += gelu'(x = in[0])·dy (in[1]); scale 12 reaches
		// the clamp at |x| = 10, the small one the polynomial path of tanh.
		elementwise{"geluBackward", 3, 12, 0, func(im *impl, dst []float32, in [][]float32) {
			copy(dst, in[2])
			im.geluBackward(dst, in[0], in[1])
		}},
		elementwise{"geluBackward/small", 3, 0.8, 0, func(im *impl, dst []float32, in [][]float32) {
			copy(dst, in[2])
			im.geluBackward(dst, in[0], in[1])
		}},
		elementwise{"expSub/terms", 1, 40, 0, func(im *impl, dst []float32, in [][]float32) { im.expSub(dst, in[0], 1.5) }},
	)
}

// expLargeOrExp runs the large-array exp path of im, or im.exp where im has none.
func expLargeOrExp(im *impl, dst, src []float32) {
	if im.expLarge == nil {
		im.exp(dst, src)
		return
	}
	expLargeArray(im, dst, src)
}

// TestExpLargeArrayAPI: Exp takes the large-array path above the threshold (lowered
// here) and gives the same bits as the cached path, across chunk boundaries, at
// several offsets, out of place and in place, without touching guard bands.
func TestExpLargeArrayAPI(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		saved := largeArrayBytes
		defer func() { largeArrayBytes = saved }()
		rng := rand.New(rand.NewPCG(5, 6))
		n := 3*chunk + 77
		buf := make([]float32, n+16)
		fillInput(rng, buf, 100, 7)
		for off := 0; off < 16; off += 3 {
			src := buf[off : off+n]
			want := make([]float32, n)
			largeArrayBytes = math.MaxInt
			Exp(want, src)
			got := make([]float32, n+16)
			largeArrayBytes = 0
			Exp(got[off:off+n], src)
			requireULP(t, want, got[off:off+n], 0, "exp/large API")
			for i, v := range got[:off] {
				require.Zerof(t, v, "guard before dst at %d", i)
			}
			for i, v := range got[off+n:] {
				require.Zerof(t, v, "guard after dst at %d", i)
			}
			inPlace := append([]float32(nil), src...)
			Exp(inPlace, inPlace)
			requireULP(t, want, inPlace, 0, "exp/large in place")
		}
	})
}

func nan32() float32      { return float32(math.NaN()) }
func inf32(s int) float32 { return float32(math.Inf(s)) }

// TestVecmathSpecials checks the documented special cases exactly, for every
// implementation, with the special value in each lane position of a vector.
func TestVecmathSpecials(t *testing.T) {
	minSub := float32(math.SmallestNonzeroFloat32)
	cases := []struct {
		fn   string
		in   float32
		want float32 // compared bit for bit, except that any NaN matches NaN
		near bool    // the input is given to a few digits: within 1 ULP of float64 math instead
	}{
		{"exp", nan32(), nan32(), false},
		{"exp", inf32(1), inf32(1), false},
		{"exp", inf32(-1), 0, false},
		{"exp", 0, 1, false},
		{"exp", float32(math.Copysign(0, -1)), 1, false},
		{"exp", 88.72283, 3.4028e38, true}, // largest input below overflow: finite
		{"exp", 88.72284, inf32(1), false},
		{"exp", 100, inf32(1), false},
		{"exp", math.MaxFloat32, inf32(1), false},
		{"exp", -87.33654, 1.1754944e-38, true}, // smallest normal result
		{"exp", -103.27893, 1.4e-45, true},      // rounds to the smallest subnormal
		{"exp", -103.97208, minSub, true},       // just above the halfway point 2^-150
		{"exp", -104, 0, false},
		{"exp", -math.MaxFloat32, 0, false},
		{"log", nan32(), nan32(), false},
		{"log", 0, inf32(-1), false},
		{"log", float32(math.Copysign(0, -1)), inf32(-1), false},
		{"log", -1, nan32(), false},
		{"log", -minSub, nan32(), false},
		{"log", inf32(-1), nan32(), false},
		{"log", inf32(1), inf32(1), false},
		{"log", 1, 0, false},
		{"log", minSub, -103.27893, true},
		{"log", math.MaxFloat32, 88.72284, true},
		{"tanh", nan32(), nan32(), false},
		{"tanh", 0, 0, false},
		{"tanh", float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1)), false},
		{"tanh", inf32(1), 1, false},
		{"tanh", inf32(-1), -1, false},
		{"tanh", 9.02, 1, false},
		{"tanh", -30, -1, false},
		{"tanh", math.MaxFloat32, 1, false},
		{"tanh", 1e-20, 1e-20, false},
		{"tanh", -minSub, -minSub, false},
		{"tanh", 3e-39, 3e-39, false},
	}
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, c := range cases {
			for n := 1; n <= 19; n += 6 {
				for pos := 0; pos < n; pos++ {
					src := make([]float32, n)
					for i := range src {
						src[i] = 0.25 * float32(i+1)
					}
					src[pos] = c.in
					dst := make([]float32, n)
					switch c.fn {
					case "exp":
						Exp(dst, src)
					case "log":
						Log(dst, src)
					case "tanh":
						Tanh(dst, src)
					}
					what := fmt.Sprintf("%s(%v) n=%d pos=%d", c.fn, c.in, n, pos)
					got := dst[pos]
					if c.want != c.want {
						require.True(t, got != got, "%s: want NaN, got %v", what, got)
						continue
					}
					if c.near {
						ref := refFunc(c.fn)(float64(c.in))
						require.LessOrEqual(t, ulpDiff(float32(ref), got), uint32(1), what)
						continue
					}
					require.Equal(t, math.Float32bits(c.want), math.Float32bits(got), "%s: got %v", what, got)
				}
			}
		}
	})
}

func refFunc(name string) func(float64) float64 {
	switch name {
	case "exp":
		return math.Exp
	case "log":
		return math.Log
	case "tanh":
		return math.Tanh
	}
	panic(name)
}

// TestExpSubConformance checks the stored terms bit for bit and the returned sum
// within summation-order rounding, with guard bands, for every implementation.
func TestExpSubConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(3, 4))
		for n := 0; n <= maxLen; n++ {
			for off := 0; off < 16; off += 3 {
				_, src := guarded(n, (off+7)%16)
				fillInput(rng, src, 30, 11)
				m := float32(rng.NormFloat64() * 5)
				want := make([]float32, n)
				wantSum := asm.ExpSubGeneric(want, src, m)
				buf, got := guarded(n, off)
				gotSum := ExpSub(got, src, m)
				what := fmt.Sprintf("expSub n=%d off=%d m=%v", n, off, m)
				requireGuards(t, buf, off, n, what)
				requireULP(t, want, got, 0, what)
				if wantSum != wantSum || math.IsInf(float64(wantSum), 0) {
					require.Equal(t, wantSum != wantSum, gotSum != gotSum, what)
					if wantSum == wantSum {
						require.Equal(t, wantSum, gotSum, what)
					}
					continue
				}
				var abs float64
				for _, v := range want {
					abs += math.Abs(float64(v))
				}
				require.InDelta(t, float64(wantSum), float64(gotSum), float64(n+1)*0x1p-23*abs, what)
			}
		}
	})
}

// TestExpSumConformance checks the sum-only pass against its twin over lengths,
// offsets and special inputs (NaN, ±Inf), within summation-order rounding.
func TestExpSumConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(11, 12))
		for n := 0; n <= maxLen; n++ {
			for off := 0; off < 16; off += 5 {
				_, x := guarded(n, off)
				fillInput(rng, x, 20, 9)
				m := float32(rng.NormFloat64() * 5)
				want, got := asm.ExpSumGeneric(x, m), expSum(x, m)
				what := fmt.Sprintf("expSum n=%d off=%d m=%v", n, off, m)
				if want != want || math.IsInf(float64(want), 0) {
					require.Equal(t, want != want, got != got, what)
					if want == want {
						require.Equal(t, want, got, what)
					}
					continue
				}
				require.InDelta(t, float64(want), float64(got), float64(n+1)*0x1p-23*float64(want), what)
			}
		}
	})
}

// maxExpSum64 returns m = max x and s = Σ e^(x−m) in float64, for finite x:
// log Σ e^x = m + log s.
func maxExpSum64(x []float32) (m, s float64) {
	m = math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m, s
}

// softmax64 is the float64 reference for finite rows.
func softmax64(x []float32) []float64 {
	m, s := maxExpSum64(x)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Exp(float64(v)-m) / s
	}
	return out
}

func TestSoftmax(t *testing.T) {
	ninf := inf32(-1)
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{1, 2, 7, 8, 9, 31, 64, 100, 1024, 3000} {
			for _, scale := range []float32{1, 30, 1e4, 3e38} {
				src := make([]float32, n)
				fillInput(rng, src, scale, 0)
				dst := make([]float32, n)
				Softmax(dst, src)
				ref := softmax64(src)
				m, s64 := maxExpSum64(src)
				var sum float64
				for i := range dst {
					require.False(t, dst[i] != dst[i], "NaN from finite input")
					// x − m is rounded to float32 first (relative error |x−m|·2⁻²⁴ in the
					// exponential), then a few ULP for exp and the scaling and 2·√n for the
					// float32 sum (random-walk size; the seed is fixed), plus an absolute
					// floor for subnormal terms.
					d := math.Abs(float64(src[i] - float32(m)))
					tol := (4 + d + 2*math.Sqrt(float64(n))) * 0x1p-24
					require.InDelta(t, ref[i], float64(dst[i]), tol*ref[i]+1e-44, "n=%d scale=%v i=%d", n, scale, i)
					sum += float64(dst[i])
				}
				require.InDelta(t, 1, sum, float64(n)*0x1p-22, "n=%d scale=%v", n, scale)

				// LogSoftmax, in place, against (x − m) − log Σ e^(x−m) in float64.
				copy(dst, src)
				LogSoftmax(dst, dst)
				for i := range dst {
					want := float64(src[i]) - m - math.Log(s64)
					if want < -math.MaxFloat32 { // overflows float32: −Inf is the rounded result
						require.Equal(t, inf32(-1), dst[i])
						continue
					}
					require.InDelta(t, want, float64(dst[i]), 2e-7*(math.Abs(want)+math.Log(s64)+1), "logsoftmax n=%d scale=%v i=%d", n, scale, i)
				}
				lse := LogSumExp(src)
				require.False(t, lse != lse)
			}
		}

		// Documented edge cases.
		huge := []float32{3e38, 3.4e38, -3.4e38, 3.4e38, 0}
		dst := make([]float32, len(huge))
		Softmax(dst, huge)
		assert.Equal(t, []float32{0, 0.5, 0, 0.5, 0}, dst, "huge logits")

		oneFinite := []float32{ninf, ninf, -7, ninf, ninf, ninf, ninf, ninf, ninf, ninf}
		dst = make([]float32, len(oneFinite))
		Softmax(dst, oneFinite)
		assert.Equal(t, []float32{0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, dst, "one finite entry")
		LogSoftmax(dst, oneFinite)
		assert.Equal(t, []float32{ninf, ninf, 0, ninf, ninf, ninf, ninf, ninf, ninf, ninf}, dst)
		assert.Equal(t, float32(-7), LogSumExp(oneFinite))

		allInf := []float32{ninf, ninf, ninf}
		dst = []float32{9, 9, 9}
		Softmax(dst, allInf)
		assert.Equal(t, []float32{0, 0, 0}, dst, "all -Inf")
		LogSoftmax(dst, allInf)
		assert.Equal(t, allInf, dst)
		assert.Equal(t, ninf, LogSumExp(allInf))
		assert.Equal(t, ninf, LogSumExp(nil))

		withInf := []float32{1, inf32(1), 2, inf32(1)}
		dst = make([]float32, 4)
		Softmax(dst, withInf)
		assert.Equal(t, []float32{0, 0.5, 0, 0.5}, dst, "+Inf entries")
		LogSoftmax(dst, withInf)
		assert.Equal(t, []float32{ninf, -float32(math.Ln2), ninf, -float32(math.Ln2)}, dst)

		withNaN := []float32{1, nan32(), 2}
		Softmax(dst[:3], withNaN)
		for _, v := range dst[:3] {
			assert.True(t, v != v)
		}
		assert.True(t, LogSumExp(withNaN) != LogSumExp(withNaN))

		Softmax(nil, nil)
		LogSoftmax(nil, nil)
	})
}

func TestLogSumExp(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, n := range []int{1, 5, 16, 17, 1000, 40000} {
			x := make([]float32, n)
			fillInput(rng, x, 50, 0)
			m, s := maxExpSum64(x)
			want := m + math.Log(s)
			require.InDelta(t, want, float64(LogSumExp(x)), 4e-7*math.Abs(want)+float64(n)*1e-7, "n=%d", n)
		}
		require.Equal(t, float32(1e30), LogSumExp([]float32{1e30, -1e30}))
	})
}

func TestGELU(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(9, 10))
		x := make([]float32, 257)
		fillInput(rng, x, 6, 0)
		y := make([]float32, len(x))
		GELU(y, x)
		for i, v := range x {
			xv := float64(v)
			want := 0.5 * xv * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(xv+0.044715*xv*xv*xv)))
			require.InDelta(t, want, float64(y[i]), 4e-7*math.Abs(want)+1e-7, "x=%v", v)
		}
		// Backward against a central finite difference in float64.
		dy := make([]float32, len(x))
		dx := make([]float32, len(x))
		fillInput(rng, dy, 1, 0)
		GELUBackward(dx, x, dy)
		g := func(v float64) float64 { return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))) }
		for i, v := range x {
			xv, h := float64(v), 1e-5
			fd := (g(xv+h) - g(xv-h)) / (2 * h) * float64(dy[i])
			require.InDelta(t, fd, float64(dx[i]), 2e-5+1e-5*math.Abs(fd), "x=%v", v)
		}
	})
}

// TestGELUAccuracy: every implementation is within 4e-7·(1 + |u|)·|gelu(x)| + 2e-37 of
// the float64 logistic form x/(1 + e^{−2u}) on every 997th float32 bit pattern (every
// 9,973rd with -short; all of them with TestExhaustiveAccuracy -long); |u| is the
// error's condition (e^{−2u} amplifies u's rounding), and the tanh form in float64 is
// no reference below x ≈ −6, where 1 + tanh u cancels. gelu(+Inf) = +Inf, gelu(NaN)
// is NaN, |gelu(−Inf)| ≤ 2e-37.
func TestGELUAccuracy(t *testing.T) {
	stride := uint64(997)
	if testing.Short() {
		stride = 9973
	}
	forEachImpl(t, func(t *testing.T, im *impl) {
		worst, at := geluSweep(t, stride)
		t.Logf("gelu max relative error (|gelu| ≥ 1e-30) %.3g at x = %g", worst, at)
	})
}

// geluSweep runs GELU on every stride-th float32 bit pattern, fails on the first
// result beyond TestGELUAccuracy's bound and returns the largest relative error
// where |gelu(x)| ≥ 1e-30, and where.
func geluSweep(t *testing.T, stride uint64) (worst float64, worstAt float32) {
	const batch = 1 << 14
	x, y := make([]float32, batch), make([]float32, batch)
	for start := uint64(0); start < 1<<32; {
		n := 0
		for ; n < batch && start < 1<<32; start += stride {
			x[n] = math.Float32frombits(uint32(start))
			n++
		}
		GELU(y[:n], x[:n])
		for i, v := range x[:n] {
			got, xv := float64(y[i]), float64(v)
			switch {
			case v != v:
				require.True(t, got != got, "gelu(NaN) = %v", got)
				continue
			case math.IsInf(xv, 1):
				require.True(t, math.IsInf(got, 1), "gelu(+Inf) = %v", got)
				continue
			}
			u := math.Sqrt(2/math.Pi) * (xv + 0.044715*xv*xv*xv)
			want := xv / (1 + math.Exp(-2*u))
			if math.IsInf(xv, -1) || math.IsNaN(want) {
				want, u = 0, 0 // x³ overflows float64 only for |x| ≥ 5.6e102: gelu → 0
			}
			e := math.Abs(got - want)
			if bound := 4e-7*(1+math.Abs(u))*math.Abs(want) + 2e-37; !(e <= bound) {
				require.Failf(t, "accuracy", "gelu(%g) [%#08x] = %g, want %g: error %g > %g",
					v, math.Float32bits(v), got, want, e, bound)
			}
			if math.Abs(want) >= 1e-30 && e/math.Abs(want) > worst {
				worst, worstAt = e/math.Abs(want), v
			}
		}
	}
	return worst, worstAt
}

func TestVecmathAliasingAndPanics(t *testing.T) {
	buf := make([]float32, 64)
	for i := range buf {
		buf[i] = float32(i) / 16
	}
	// Exact aliasing is allowed and gives the same result as separate buffers.
	want := make([]float32, 40)
	Exp(want, buf[:40])
	got := append([]float32(nil), buf[:40]...)
	Exp(got, got)
	require.Equal(t, want, got)

	fns := map[string]func(dst, src []float32){
		"Exp": Exp, "Log": Log, "Tanh": Tanh, "GELU": GELU, "Softmax": Softmax, "LogSoftmax": LogSoftmax,
		"ExpSub": func(d, s []float32) { ExpSub(d, s, 0) },
	}
	for name, f := range fns {
		require.PanicsWithValue(t, fmt.Sprintf("simd: %s: dst and src overlap without being the same slice", name),
			func() { f(buf[1:33], buf[:32]) }, name)
		require.Panics(t, func() { f(buf[:32], buf[31:63]) }, name)
		require.Panics(t, func() { f(buf[:8], buf[:9]) }, name)
		require.NotPanics(t, func() { f(buf[:32], buf[32:64]) }, name) // adjacent, no overlap
	}
	require.Panics(t, func() { GELUBackward(buf[:8], buf[4:12], buf[20:28]) })
}

func TestVecmathNoAllocs(t *testing.T) {
	x := make([]float32, 3000)
	y := make([]float32, 3000)
	for i := range x {
		x[i] = float32(i%97) / 7
	}
	forEachImpl(t, func(t *testing.T, im *impl) {
		allocs := testing.AllocsPerRun(5, func() {
			Exp(y, x)
			Log(y, x)
			Tanh(y, x)
			GELU(y, x)
			ExpSub(y, x, 3)
			Softmax(y, x)
			LogSoftmax(y, x)
			LogSumExp(x)
			GELUBackward(y, x, x)
			ReLUBackward(y, x, x)
		})
		require.Zero(t, allocs)
	})
}

// geluGrad64 is gelu'(x) for the tanh approximation, in float64:
// ½(1 + tanh u) + ½x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²), u = √(2/π)·(x + 0.044715·x³).
func geluGrad64(x float64) float64 {
	if math.Abs(x) > 1e6 { // tanh u = ±1 long before x³ overflows float64; ±Inf too
		return math.Max(0, math.Copysign(1, x)) // the limits: 1 at +Inf, 0 at −Inf
	}
	k0 := math.Sqrt(2 / math.Pi)
	t := math.Tanh(k0 * (x + 0.044715*x*x*x))
	return 0.5*(1+t) + 0.5*x*(1-t*t)*k0*(1+3*0.044715*x*x)
}

func gelu64(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

// geluGradMaxErr is the documented bound of GELUBackward: |gelu'(x) − g| ≤ 10·2⁻²⁴
// absolute, g the float32 derivative (dy = 1, dx = 0), against geluGrad64.
const geluGradMaxErr = 10 * 0x1p-24

// TestGELUBackwardAccuracy: the float64 reference derivative agrees with a central
// difference of the float64 GELU (so the reference is the right formula), and every
// implementation is within geluGradMaxErr of it on every 97th float32 bit pattern
// (every 997th with -short): all binades, both signs, subnormals, ±Inf and NaN.
func TestGELUBackwardAccuracy(t *testing.T) {
	for x := -12.0; x <= 12; x += 1.0 / 64 {
		h := 1e-6 * math.Max(1, math.Abs(x))
		fd := (gelu64(x+h) - gelu64(x-h)) / (2 * h)
		require.InDelta(t, fd, geluGrad64(x), 1e-8, "x=%v", x)
	}
	stride := uint64(97)
	if testing.Short() {
		stride = 997
	}
	forEachImpl(t, func(t *testing.T, im *impl) {
		worst, at := geluGradSweep(t, stride)
		t.Logf("gelu' max absolute error %.3g (%.2f·2⁻²⁴) at x = %g", worst, worst/0x1p-24, at)
	})
}

// geluGradSweep runs GELUBackward (dy = 1, dx = 0) on every stride-th float32 bit
// pattern and fails on the first result farther than geluGradMaxErr from geluGrad64
// (NaN must give NaN). It returns the largest error and where.
func geluGradSweep(t *testing.T, stride uint64) (worst float64, worstAt float32) {
	const batch = 1 << 14
	x, dy, dx := make([]float32, batch), make([]float32, batch), make([]float32, batch)
	for i := range dy {
		dy[i] = 1
	}
	for start := uint64(0); start < 1<<32; {
		n := 0
		for ; n < batch && start < 1<<32; start += stride {
			x[n] = math.Float32frombits(uint32(start))
			n++
		}
		clear(dx)
		GELUBackward(dx[:n], x[:n], dy[:n])
		for i, v := range x[:n] {
			got := dx[i]
			if v != v {
				if got == got {
					require.Failf(t, "NaN", "gelu'(NaN) = %v", got)
				}
				continue
			}
			e := math.Abs(float64(got) - geluGrad64(float64(v)))
			if !(e <= geluGradMaxErr) {
				require.Failf(t, "accuracy", "gelu'(%g) [%#08x] = %g, want %g: error %g > %g",
					v, math.Float32bits(v), got, geluGrad64(float64(v)), e, geluGradMaxErr)
			}
			if e > worst {
				worst, worstAt = e, v
			}
		}
	}
	return worst, worstAt
}

// TestGELUBackwardSpecials checks the documented values exactly, with the special
// input in each lane position, for every implementation.
func TestGELUBackwardSpecials(t *testing.T) {
	cases := []struct{ x, dy, dx, want float32 }{
		{inf32(1), 1, 0, 1},
		{inf32(-1), 1, 0, 0},
		{math.MaxFloat32, 2, 0.5, 2.5},
		{-math.MaxFloat32, 2, 0.5, 0.5},
		{10.5, 1, 0, 1},
		{-10.5, 1, 0, 0},
		{0, 3, 0, 1.5}, // gelu'(0) = ½
		{float32(math.Copysign(0, -1)), 3, 1, 2.5},
		{math.SmallestNonzeroFloat32, 2, 0, 1},
		{nan32(), 1, 0, nan32()},
		{1, nan32(), 0, nan32()},
		{1, 1, nan32(), nan32()},
		{inf32(1), inf32(1), 0, inf32(1)},
		{inf32(-1), inf32(1), 0, nan32()}, // 0·Inf
	}
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, c := range cases {
			for n := 1; n <= 19; n += 6 {
				for pos := 0; pos < n; pos++ {
					x, dy, dx := make([]float32, n), make([]float32, n), make([]float32, n)
					for i := range x {
						x[i], dy[i] = 0.25*float32(i+1), 1
					}
					x[pos], dy[pos], dx[pos] = c.x, c.dy, c.dx
					GELUBackward(dx, x, dy)
					what := fmt.Sprintf("x=%v dy=%v dx=%v n=%d pos=%d", c.x, c.dy, c.dx, n, pos)
					if c.want != c.want {
						require.True(t, dx[pos] != dx[pos], "%s: want NaN, got %v", what, dx[pos])
						continue
					}
					require.Equal(t, math.Float32bits(c.want), math.Float32bits(dx[pos]), "%s: got %v", what, dx[pos])
				}
			}
		}
	})
}

// TestExpSpecialsEveryLane puts one special input at every lane position of rows
// long enough for the widest unrolled loop (64 lanes: two blocks, a 16-lane step and
// a tail), the other lanes ordinary values, and checks exp (cached and large-array
// paths), expSub's terms and both sums against the twins: the terms bit for bit, in
// the special lane and in the lanes that share its block (which then take the slow
// path too); the sums within summation-order rounding.
func TestExpSpecialsEveryLane(t *testing.T) {
	inputs := []float32{
		nan32(), inf32(1), inf32(-1), 0, float32(math.Copysign(0, -1)),
		87, 87.00001, -87, -87.00001, // the edge of the fast path
		88.72283, 88.72284, 100, math.MaxFloat32, // largest finite result, overflow
		-87.33654, -95, -103.27893, -103.97208, -104, -math.MaxFloat32, // subnormal and zero results
		math.SmallestNonzeroFloat32, -3e-39,
	}
	const n = 64*2 + 16 + 7
	forEachImpl(t, func(t *testing.T, im *impl) {
		src := make([]float32, n)
		want, got := make([]float32, n), make([]float32, n)
		for _, x := range inputs {
			for pos := range n {
				for i := range src {
					src[i] = float32(i%29)*0.75 - 10
				}
				src[pos] = x
				what := fmt.Sprintf("x=%v pos=%d", x, pos)

				asm.ExpGeneric(want, src)
				im.exp(got, src)
				requireULP(t, want, got, 0, "exp "+what)
				clear(got)
				expLargeOrExp(im, got, src)
				requireULP(t, want, got, 0, "exp/large "+what)

				for _, m := range []float32{0, 2.5} {
					wantSum := asm.ExpSubGeneric(want, src, m)
					gotSub := im.expSub(got, src, m)
					gotSum := im.expSum(src, m)
					requireULP(t, want, got, 0, "expSub terms "+what)
					for _, g := range []float32{gotSub, gotSum} {
						if wantSum != wantSum {
							require.True(t, g != g, "sum %s: want NaN, got %v", what, g)
							continue
						}
						if math.IsInf(float64(wantSum), 0) {
							require.Equal(t, wantSum, g, "sum "+what)
							continue
						}
						var abs float64
						for _, v := range want {
							abs += float64(v)
						}
						require.InDelta(t, float64(wantSum), float64(g), float64(n+1)*0x1p-23*abs, "sum "+what)
					}
				}
			}
		}
	})
}
