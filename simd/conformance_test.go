package simd

// The conformance helper: one test body runs every routine through every
// implementation this machine can run (generic, avx2, avx512 or neon) and compares it
// with the pure-Go twin, over lengths 0..maxLen (past every unroll and tile edge),
// offsets 0..15 into larger buffers, guard bands that must stay untouched, special
// values (NaN, ±Inf, ±0, denormals, values near overflow) and a seeded RNG.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// forEachImpl runs body once per implementation available on this machine, with the
// dispatch table switched to it.
func forEachImpl(t *testing.T, body func(t *testing.T, im *impl)) {
	t.Helper()
	for _, im := range available {
		t.Run(im.name, func(t *testing.T) {
			useImpl(t, im)
			body(t, im)
		})
	}
}

// skipWithout skips im's subtest when it lacks the kernel a test checks (has false):
// what runs in its place is the Go loop the twin tests cover.
func skipWithout(t *testing.T, im *impl, has bool, kernel string) {
	t.Helper()
	if !has {
		t.Skipf("%s has no %s", im.name, kernel)
	}
}

// useImpl swaps the dispatch table for the duration of a test.
func useImpl(t testing.TB, im *impl) {
	old := active
	active = im
	t.Cleanup(func() { active = old })
}

// guard is the bit pattern written around every output: a NaN with a payload no
// routine produces, so any stray write shows.
const guardBits = 0x7fc0dead

const guardLen = 16

// guarded returns a view of n floats at offset off inside a buffer whose other
// elements hold the guard pattern.
func guarded(n, off int) (buf, view []float32) {
	buf = make([]float32, off+n+guardLen)
	g := math.Float32frombits(guardBits)
	for i := range buf {
		buf[i] = g
	}
	return buf, buf[off : off+n]
}

// requireGuards fails if anything outside [off, off+n) was written.
func requireGuards(t *testing.T, buf []float32, off, n int, what string) {
	t.Helper()
	for i, v := range buf {
		if i >= off && i < off+n {
			continue
		}
		if math.Float32bits(v) != guardBits {
			require.Failf(t, "guard band overwritten", "%s: index %d (view [%d,%d)) holds %v", what, i, off, off+n, v)
		}
	}
}

// specials are the inputs every element-wise routine must pass through unharmed.
var specials = []float32{
	float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, -3e-39, // denormals
	math.MaxFloat32, -math.MaxFloat32, 3e38, 1.5e38, 88.7, -103.9, 1, -1,
}

// guardedInputs returns count guarded inputs of length n, input i at offset
// (off + step·i) mod 16, filled in order by fillInput(scale, withSpecials).
func guardedInputs(rng *rand.Rand, count, n, off, step int, scale float32, withSpecials int) [][]float32 {
	in := make([][]float32, count)
	for i := range in {
		_, in[i] = guarded(n, (off+step*i)%16)
		fillInput(rng, in[i], scale, withSpecials)
	}
	return in
}

// fillInput fills x with uniform values in [-scale, scale), replacing about one
// element in withSpecials with a special value (none when withSpecials = 0).
func fillInput(rng *rand.Rand, x []float32, scale float32, withSpecials int) {
	for i := range x {
		x[i] = (2*rng.Float32() - 1) * scale
		if withSpecials > 0 && rng.IntN(withSpecials) == 0 {
			x[i] = specials[rng.IntN(len(specials))]
		}
	}
}

// ulpDiff is the distance between a and b in units in the last place (0 when both
// are NaN or they are equal, including +0 and -0).
func ulpDiff(a, b float32) uint32 {
	if a != a && b != b {
		return 0
	}
	if a == b {
		return 0
	}
	if a != a || b != b {
		return math.MaxUint32
	}
	ia, ib := orderedBits(a), orderedBits(b)
	if ia > ib {
		return uint32(ia - ib)
	}
	return uint32(ib - ia)
}

// orderedBits maps float32 bits to integers ordered like the floats.
func orderedBits(f float32) int64 {
	b := int64(math.Float32bits(f))
	if b&0x80000000 != 0 {
		return 0x80000000 - b
	}
	return b
}

// requireULP fails if got and want differ by more than maxULP anywhere.
func requireULP(t *testing.T, want, got []float32, maxULP uint32, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got), what)
	for i := range want {
		if d := ulpDiff(want[i], got[i]); d > maxULP {
			require.Failf(t, "ULP error", "%s: index %d: want %v (%#08x), got %v (%#08x): %d ULP > %d",
				what, i, want[i], math.Float32bits(want[i]), got[i], math.Float32bits(got[i]), d, maxULP)
		}
	}
}

// elementwise describes one element-wise routine for the conformance sweep: run
// applies it (through the impl) to inputs, writing dst.
type elementwise struct {
	name   string
	inputs int     // number of input vectors
	scale  float32 // magnitude of the random inputs
	maxULP uint32  // allowed distance from the twin
	run    func(im *impl, dst []float32, in [][]float32)
}

var elementwiseRoutines = []elementwise{
	{"add", 2, 100, 0, func(im *impl, dst []float32, in [][]float32) { im.add(dst, in[0], in[1]) }},
	{"mul", 2, 100, 0, func(im *impl, dst []float32, in [][]float32) { im.mul(dst, in[0], in[1]) }},
	{"relu", 1, 100, 0, func(im *impl, dst []float32, in [][]float32) { reluOf(im)(dst, in[0]) }},
	// dx (in[2], copied to dst) += dy (in[1]) where x (in[0]) > 0
	{"reluBackward", 3, 100, 0, func(im *impl, dst []float32, in [][]float32) {
		copy(dst, in[2])
		im.reluBackward(dst, in[0], in[1])
	}},
	{"scale", 1, 100, 0, func(im *impl, dst []float32, in [][]float32) { copy(dst, in[0]); im.scale(-1.75, dst) }},
	// axpy's twin rounds the FMA twice (through float64): allow the rare 1-ULP tie.
	{"axpy", 2, 100, 1, func(im *impl, dst []float32, in [][]float32) { copy(dst, in[1]); im.axpy(0.625, in[0], dst) }},
}

// reluOf is im's ReLU kernel, or the twin that ReLU runs where im has none.
func reluOf(im *impl) func(dst, x []float32) {
	if im.relu == nil {
		return asm.ReluGeneric
	}
	return im.relu
}

// maxLen runs past every unroll edge and tail: 4 unrolled AVX-512 registers (64
// lanes) three times over, 4 AVX2 registers (32), 8 NEON registers (32).
const maxLen = 200

// sweepLengths calls f for every length n ≤ maxLen at every offset off < 16 (the
// alignments a 64-byte line can give a float32 slice).
func sweepLengths(f func(n, off int)) {
	for n := 0; n <= maxLen; n++ {
		for off := 0; off < 16; off++ {
			f(n, off)
		}
	}
}

func TestConformanceElementwise(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, r := range elementwiseRoutines {
			rng := rand.New(rand.NewPCG(1, uint64(len(r.name))))
			sweepLengths(func(n, off int) {
				in := guardedInputs(rng, r.inputs, n, off, 5, r.scale, 7)
				want := make([]float32, n)
				r.run(genericImpl, want, in)
				buf, got := guarded(n, off)
				r.run(im, got, in)
				what := fmt.Sprintf("%s n=%d off=%d", r.name, n, off)
				requireGuards(t, buf, off, n, what)
				if r.maxULP == 0 {
					requireBits(t, want, got, what) // exact: the sign of zero too
				} else {
					requireULP(t, want, got, r.maxULP, what)
				}
			})
		}
	})
}

// reduction describes one reduction for the conformance sweep.
type reduction struct {
	name   string
	inputs int
	// exact reductions (max) must match bit for bit; the others within a bound that
	// covers any summation order: n·eps·Σ|terms|.
	exact bool
	run   func(im *impl, in [][]float32) float32
	terms func(in [][]float32) float64 // Σ|terms|, for the tolerance
}

var reductions = []reduction{
	{"dot", 2, false, func(im *impl, in [][]float32) float32 { return im.dot(in[0], in[1]) },
		func(in [][]float32) float64 {
			var s float64
			for i := range in[0] {
				s += math.Abs(float64(in[0][i]) * float64(in[1][i]))
			}
			return s
		}},
	{"sum", 1, false, func(im *impl, in [][]float32) float32 { return im.sum(in[0]) },
		func(in [][]float32) float64 {
			var s float64
			for _, v := range in[0] {
				s += math.Abs(float64(v))
			}
			return s
		}},
	{"max", 1, true, func(im *impl, in [][]float32) float32 { return im.max(in[0]) }, nil},
}

func TestConformanceReductions(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, r := range reductions {
			rng := rand.New(rand.NewPCG(2, uint64(len(r.name))))
			sweepLengths(func(n, off int) {
				in := guardedInputs(rng, r.inputs, n, off, 3, 10, 0)
				what := fmt.Sprintf("%s n=%d off=%d", r.name, n, off)
				want, got := r.run(genericImpl, in), r.run(im, in)
				if r.exact {
					require.Equal(t, math.Float32bits(want), math.Float32bits(got), what)
					return
				}
				tol := float64(n+1) * 0x1p-23 * r.terms(in)
				require.InDelta(t, float64(want), float64(got), tol, what)
			})
			// Special values: NaN and ±Inf propagate as IEEE arithmetic says.
			for _, sp := range specials[:3] {
				for n := 1; n <= maxLen; n += 11 {
					in := make([][]float32, r.inputs)
					for i := range in {
						in[i] = make([]float32, n)
						fillInput(rng, in[i], 10, 0)
					}
					in[0][rng.IntN(n)] = sp
					want, got := r.run(genericImpl, in), r.run(im, in)
					what := fmt.Sprintf("%s n=%d special %v", r.name, n, sp)
					if want != want {
						require.True(t, got != got, "%s: want NaN, got %v", what, got)
					} else {
						require.Equal(t, want, got, what)
					}
				}
			}
		}
	})
}
