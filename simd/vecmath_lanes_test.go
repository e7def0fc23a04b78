package simd

import (
	"fmt"
	"math"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// lanesLen covers two 64-lane blocks, a 16-lane step and a 7-lane tail: every
// loop of the widest (AVX-512) kernels.
const lanesLen = 64*2 + 16 + 7

// requireBits checks got against want bit for bit (so +0 and −0 differ), any NaN
// matching any NaN.
func requireBits(t *testing.T, want, got []float32, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got), what)
	for i := range want {
		if want[i] != want[i] && got[i] != got[i] {
			continue
		}
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			require.Failf(t, "bits differ", "%s: index %d: want %v (%#08x), got %v (%#08x)",
				what, i, want[i], math.Float32bits(want[i]), got[i], math.Float32bits(got[i]))
		}
	}
}

// TestLogTanhGeluSpecialsEveryLane is TestExpSpecialsEveryLane for log, tanh, GELU
// and GELU backward: one special input at every lane position of a row that runs
// through every loop of the widest kernels, the other lanes ordinary values (for log
// positive normal numbers, so that only the special lane's block leaves the fast
// path), checked against the twins bit for bit: the special lane and the lanes that
// share its block.
func TestLogTanhGeluSpecialsEveryLane(t *testing.T) {
	minSub := float32(math.SmallestNonzeroFloat32)
	negZero := float32(math.Copysign(0, -1))
	logInputs := []float32{
		nan32(), inf32(1), inf32(-1), 0, negZero, -1, -minSub, -math.MaxFloat32,
		minSub, 3e-39, 0x1.fffffcp-127, 0x1p-126, // subnormals, the largest one, the smallest normal
		math.MaxFloat32, 1, 0x1.6a09e6p-1, 0x1.6a09e4p-1, // 1, both sides of √½
	}
	tanhInputs := []float32{
		nan32(), inf32(1), inf32(-1), 0, negZero, minSub, -minSub, 3e-39, 1e-20,
		0x1.1ffffep-1, 0x1.2p-1, -0x1.2p-1, // both sides of the small-path bound 0.5625
		9.02, 10, 10.5, -30, math.MaxFloat32, -math.MaxFloat32,
	}
	// GELU: x³ overflows above 6.98e12, u = ±Inf above that (gelu(x) = x or −0),
	// and the backward clamp at ±10.
	geluInputs := append(append([]float32(nil), tanhInputs...),
		-10, 10.000001, -10.000001, 6.9e12, 7e12, -7e12, 2e19, -2e19, -0.75)
	forEachImpl(t, func(t *testing.T, im *impl) {
		src := make([]float32, lanesLen)
		want, got := make([]float32, lanesLen), make([]float32, lanesLen)
		ordinary := func(positive bool) {
			for i := range src {
				src[i] = float32(i%29)*0.75 - 10
				if positive {
					src[i] = float32(i%29)*0.75 + 0.5
				}
			}
		}
		for _, x := range logInputs {
			for pos := range lanesLen {
				ordinary(true)
				src[pos] = x
				asm.LogGeneric(want, src)
				im.log(got, src)
				requireBits(t, want, got, fmt.Sprintf("log x=%v pos=%d", x, pos))
			}
		}
		for _, x := range geluInputs {
			for pos := range lanesLen {
				ordinary(false)
				src[pos] = x
				what := fmt.Sprintf("x=%v pos=%d", x, pos)
				asm.TanhGeneric(want, src)
				im.tanh(got, src)
				requireBits(t, want, got, "tanh "+what)
				asm.GeluGeneric(want, src)
				im.gelu(got, src)
				requireBits(t, want, got, "gelu "+what)
			}
		}
		// GELU backward: the special value in x, in dy and in dx (the accumulator).
		dy, dx := make([]float32, lanesLen), make([]float32, lanesLen)
		for _, v := range append(geluInputs, 1.5e38) {
			for slot, name := range []string{"x", "dy", "dx"} {
				for pos := range lanesLen {
					ordinary(false)
					for i := range dy {
						dy[i] = float32(i%7)*0.5 - 1.25
						dx[i] = float32(i%5) * 0.25
					}
					[][]float32{src, dy, dx}[slot][pos] = v
					copy(want, dx)
					copy(got, dx)
					asm.GeluBackwardGeneric(want, src, dy)
					im.geluBackward(got, src, dy)
					requireBits(t, want, got, fmt.Sprintf("geluBackward %s=%v pos=%d", name, v, pos))
				}
			}
		}
	})
}
