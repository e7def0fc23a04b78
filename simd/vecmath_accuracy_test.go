package simd

import (
	"flag"
	"fmt"
	"math"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// Accuracy against float64 math. The sampled sweep (every 97th float32 bit pattern,
// both signs, all binades, NaN and Inf included) runs in CI for every
// implementation; the exhaustive sweep over all 2³² patterns runs with
//
//	go test ./simd -run Exhaustive -long -timeout 2h
//
// and also checks the active implementation bit for bit against the twin.

var long = flag.Bool("long", false, "run the exhaustive 2^32 accuracy sweep")

// ulpError is |got − ref| in units of the float32 spacing at ref (the spacing of the
// binade ref falls in; 2⁻¹⁴⁹ below the normal range). Results that overflow
// float32 count against math.MaxFloat32's spacing; 0 when both are NaN or equal.
func ulpError(got float32, ref float64) float64 {
	g := float64(got)
	if math.IsNaN(ref) || math.IsNaN(g) {
		if math.IsNaN(ref) && math.IsNaN(g) {
			return 0
		}
		return math.Inf(1)
	}
	if g == ref {
		return 0
	}
	if math.IsInf(g, 0) && math.Abs(ref) > math.MaxFloat32 && (g > 0) == (ref > 0) {
		return 0 // correctly overflowed: float32(ref) is ±Inf too
	}
	a := math.Min(math.Abs(ref), math.MaxFloat32)
	e := max(math.Ilogb(a), -126)
	return math.Abs(g-ref) / math.Ldexp(1, e-23)
}

type accStats struct {
	max, sum float64
	maxAt    float32
	count    int
	over     int // results more than 0.5 ULP away (not correctly rounded)
	maxInt   uint32
	maxIntAt float32
	maxNorm  float64 // max over results in the normal range (|ref| ≥ 2⁻¹²⁶)
}

// add records one result. The statistics cover the inputs whose exact result is a
// float32 number other than ±0 from underflow: NaN results, overflows and results
// below 2⁻¹⁴⁹ (exp of x < −103.3) are checked by sweep but not averaged in.
func (s *accStats) add(x, got float32, ref float64) {
	if math.IsNaN(ref) || math.Abs(ref) > math.MaxFloat32 || ref != 0 && math.Abs(ref) < 0x1p-149 {
		return
	}
	u := ulpError(got, ref)
	s.count++
	s.sum += u
	if u > 0.5 {
		s.over++
	}
	if u > s.max {
		s.max, s.maxAt = u, x
	}
	if u > s.maxNorm && math.Abs(ref) >= 0x1p-126 {
		s.maxNorm = u
	}
	if d := ulpDiff(float32(ref), got); d > s.maxInt {
		s.maxInt, s.maxIntAt = d, x
	}
}

func (s *accStats) String(name string) string {
	return name + ": " + formatStats(s)
}

func formatStats(s *accStats) string {
	return fmt.Sprintf("max %.3f ULP (at %g; %.3f on normal results), max %d ULP vs correctly rounded (at %g), mean %.4f ULP, > 0.5 ULP: %.4f%% of %d",
		s.max, s.maxAt, s.maxNorm, s.maxInt, s.maxIntAt, s.sum/float64(max(s.count, 1)), 100*float64(s.over)/float64(max(s.count, 1)), s.count)
}

type accFunc struct {
	name   string
	run    func(dst, src []float32) // the public API (dispatched)
	twin   func(float32) float32
	ref    func(float64) float64
	maxULP uint32 // bound vs the correctly rounded float32 of ref
}

var accFuncs = []accFunc{
	{"exp", Exp, asm.Exp32, math.Exp, 1},
	{"log", Log, asm.Log32, math.Log, 1},
	{"tanh", Tanh, asm.Tanh32, math.Tanh, 2},
}

// sweep evaluates f on every stride-th bit pattern and returns the statistics; it
// fails on the first result beyond f.maxULP or (twin = true) differing from the twin.
func sweep(t *testing.T, f accFunc, stride uint64, twin bool) *accStats {
	const batch = 1 << 14
	src := make([]float32, batch)
	dst := make([]float32, batch)
	var st accStats
	for start := uint64(0); start < 1<<32; {
		n := 0
		for ; n < batch && start < 1<<32; start += stride {
			src[n] = math.Float32frombits(uint32(start))
			n++
		}
		f.run(dst[:n], src[:n])
		for i, x := range src[:n] {
			got := dst[i]
			ref := f.ref(float64(x))
			st.add(x, got, ref)
			if d := ulpDiff(float32(ref), got); d > f.maxULP {
				require.Failf(t, "accuracy", "%s(%g) [%#08x] = %g, want %g: %d ULP > %d",
					f.name, x, math.Float32bits(x), got, float32(ref), d, f.maxULP)
			}
			if twin {
				if w := f.twin(x); math.Float32bits(w) != math.Float32bits(got) && !(w != w && got != got) {
					require.Failf(t, "twin mismatch", "%s(%g) [%#08x]: kernel %g [%#08x], twin %g [%#08x]",
						f.name, x, math.Float32bits(x), got, math.Float32bits(got), w, math.Float32bits(w))
				}
			}
		}
	}
	return &st
}

// TestAccuracySampled sweeps every 97th float32 bit pattern (every 997th with
// -short) through every implementation.
func TestAccuracySampled(t *testing.T) {
	stride := uint64(97)
	if testing.Short() {
		stride = 997
	}
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, f := range accFuncs {
			st := sweep(t, f, stride, false)
			t.Log(st.String(f.name))
		}
	})
}

// TestExhaustiveAccuracy runs all 2³² inputs through the active implementation
// (BKM_SIMD selects it) with -long, checking the bounds and the twin bit for bit.
func TestExhaustiveAccuracy(t *testing.T) {
	if !*long {
		t.Skip("exhaustive sweep: run with -long")
	}
	for _, f := range accFuncs {
		t.Run(f.name, func(t *testing.T) {
			st := sweep(t, f, 1, active != genericImpl)
			t.Logf("%s [%s, all 2^32 inputs] %s", f.name, active.name, formatStats(st))
		})
	}
	t.Run("gelu", func(t *testing.T) {
		worst, at := geluSweep(t, 1)
		t.Logf("gelu [%s, all 2^32 inputs] max relative error (|gelu| ≥ 1e-30) %.3g at x = %g", active.name, worst, at)
	})
	// gelu' has an absolute bound (it crosses zero near x = −0.75), see GELUBackward;
	// the conformance tests check the kernels against the twin bit for bit.
	t.Run("geluBackward", func(t *testing.T) {
		worst, at := geluGradSweep(t, 1)
		t.Logf("gelu' [%s, all 2^32 inputs] max absolute error %.3g (%.2f·2⁻²⁴) at x = %g", active.name, worst, worst/0x1p-24, at)
	})
}
