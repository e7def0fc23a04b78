package simd

import (
	"fmt"
	"math"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// reluBackwardSpecials are the bit patterns TestReLUBackwardSpecialsEveryLane puts in
// x, dy and dx: both zeros, quiet and signaling NaNs with distinct payloads and signs,
// both infinities, the smallest subnormals, ±1 and the largest finite value (whose sum
// with itself overflows).
var reluBackwardSpecials = []uint32{
	0, 0x80000000, 0x7fc00000, 0xffc12345, 0x7f800001, 0xff80abcd, 0x7f800000, 0xff800000,
	1, 0x80000001, 0x3f800000, 0xbf800000, 0x7f7fffff,
}

// TestReLUBackwardSpecialsEveryLane puts each special value in x, in dy and in dx at
// every lane of every length 0..70 and of lanesLen (every loop and tail of the widest
// kernels), among ordinary values of both signs and zeros, and requires of every
// implementation the twin's bits (any NaN matching any NaN where x > 0 adds one) and,
// where x ≤ 0 or x is NaN, exactly the bits dx held: −0 and NaN payloads kept, no NaN
// of dy let through.
func TestReLUBackwardSpecialsEveryLane(t *testing.T) {
	lengths := []int{lanesLen}
	for n := 0; n <= 70; n++ {
		lengths = append(lengths, n)
	}
	negZero := float32(math.Copysign(0, -1))
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, n := range lengths {
			x, dy, dx0 := make([]float32, n), make([]float32, n), make([]float32, n)
			want, got := make([]float32, n), make([]float32, n)
			for pos := range n {
				for _, bits := range reluBackwardSpecials {
					for slot, name := range []string{"x", "dy", "dx"} {
						for i := range n {
							x[i] = float32(i%7) - 3 // −3 … 3: negative, zero and positive lanes
							dy[i] = float32(i%5)*0.5 - 1
							dx0[i] = []float32{negZero, 0.25, -1.5}[i%3]
						}
						[][]float32{x, dy, dx0}[slot][pos] = math.Float32frombits(bits)
						copy(want, dx0)
						asm.ReluBackwardGeneric(want, x, dy)
						copy(got, dx0)
						im.reluBackward(got, x, dy)
						what := fmt.Sprintf("n=%d %s=%#08x pos=%d", n, name, bits, pos)
						requireBits(t, want, got, what)
						for i, v := range x {
							if !(v > 0) && math.Float32bits(got[i]) != math.Float32bits(dx0[i]) {
								require.Failf(t, "dx changed where x ≤ 0 or NaN", "%s: index %d (x = %v): dx %#08x became %#08x",
									what, i, v, math.Float32bits(dx0[i]), math.Float32bits(got[i]))
							}
						}
					}
				}
			}
		}
	})
}

// TestReLUBackwardAcrossChunks: the public ReLUBackward hands the kernels chunks;
// across their boundaries the result is still the twin's, bit for bit.
func TestReLUBackwardAcrossChunks(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		n := 2*chunk + 37
		x, dy, dx := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range x {
			x[i] = float32(i%11) - 5
			dy[i] = float32(i%13) * 0.125
			dx[i] = float32(i%3) - 1
		}
		want := append([]float32(nil), dx...)
		asm.ReluBackwardGeneric(want, x, dy)
		ReLUBackward(dx, x, dy)
		requireBits(t, want, dx, "ReLUBackward")
	})
}

// TestReLUBackwardPanics: the lengths must agree and dx may overlap neither input;
// each panic names the arguments.
func TestReLUBackwardPanics(t *testing.T) {
	buf := make([]float32, 64)
	require.PanicsWithValue(t, "simd: ReLUBackward: len(dx) = 8 != len(x) = 7", func() { ReLUBackward(buf[:8], buf[8:15], buf[16:24]) })
	require.PanicsWithValue(t, "simd: ReLUBackward: len(dx) = 8 != len(dy) = 9", func() { ReLUBackward(buf[:8], buf[8:16], buf[16:25]) })
	require.PanicsWithValue(t, "simd: ReLUBackward: dx overlaps x or dy", func() { ReLUBackward(buf[:8], buf[7:15], buf[16:24]) })
	require.PanicsWithValue(t, "simd: ReLUBackward: dx overlaps x or dy", func() { ReLUBackward(buf[8:16], buf[:8], buf[15:23]) })
	require.PanicsWithValue(t, "simd: ReLUBackward: dx overlaps x or dy", func() { ReLUBackward(buf[:8], buf[16:24], buf[:8]) })
	require.NotPanics(t, func() { ReLUBackward(buf[8:16], buf[:8], buf[16:24]) }) // adjacent, no overlap
	require.NotPanics(t, func() { ReLUBackward(nil, nil, nil) })
}
