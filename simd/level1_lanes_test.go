package simd

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMaxSpecialEveryLane puts one special value (NaNs with distinct payloads,
// signaling ones included, ±Inf, ±0) at every position of slices that cover a whole
// 64-lane AVX-512 block, the 16-lane loop and the masked tail, among negative values
// (so a zero is the maximum) or among positive ones, and requires the twin's result
// bit for bit.
func TestMaxSpecialEveryLane(t *testing.T) {
	vals := []uint32{0x7fc00001, 0xffc12345, 0x7f800001, 0xff80abcd, 0x7f800000, 0xff800000, 0, 0x80000000}
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, n := range []int{16, 64, 65, 95, 128, 143} {
			for _, bg := range []float32{-3, 5} {
				x := make([]float32, n)
				for pos := 0; pos < n; pos++ {
					for _, bits := range vals {
						for i := range x {
							x[i] = bg - float32(i%7)
						}
						x[pos] = math.Float32frombits(bits)
						want, got := genericImpl.max(x), im.max(x)
						require.Equal(t, math.Float32bits(want), math.Float32bits(got),
							"n=%d bg=%v pos=%d special %#08x", n, bg, pos, bits)
					}
				}
			}
		}
		// Both zeros in one slice of negatives, in either order, at every pair of
		// lanes of a 64-lane block: the first one wins.
		x := make([]float32, 64)
		for i := 0; i < 64; i++ {
			for j := 0; j < 64; j++ {
				if i == j {
					continue
				}
				for k := range x {
					x[k] = -1
				}
				x[i], x[j] = float32(math.Copysign(0, -1)), 0
				require.Equal(t, math.Float32bits(genericImpl.max(x)), math.Float32bits(im.max(x)),
					"%s: -0 at %d, +0 at %d", im.name, i, j)
			}
		}
	})
}

// TestReductionSpecialEveryLane: a NaN or an infinity at every position of a slice
// that covers the 64-lane block, the 16-lane loop and the masked tail propagates
// through dot and sum as IEEE arithmetic says (NaN stays NaN, ±Inf stays ±Inf).
func TestReductionSpecialEveryLane(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		for _, n := range []int{64, 79, 143} {
			x, y := make([]float32, n), make([]float32, n)
			for pos := 0; pos < n; pos++ {
				for _, sp := range specials[:3] {
					for i := range x {
						x[i], y[i] = float32(i%5)-2, 0.5
					}
					x[pos] = sp
					what := fmt.Sprintf("n=%d pos=%d special %v", n, pos, sp)
					for _, got := range []float32{im.dot(x, y), im.sum(x)} {
						if sp != sp {
							require.True(t, got != got, "%s: want NaN, got %v", what, got)
						} else {
							require.Equal(t, sp, got, what)
						}
					}
				}
			}
		}
	})
}
