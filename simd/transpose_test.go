package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// transposeWant is the reference loop of Transpose.
func transposeWant(rows, cols int, src []float32, lds int, dst []float32, ldd int) {
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			dst[j*ldd+i] = src[i*lds+j]
		}
	}
}

// TestTransposeConformance: on every implementation, Transpose writes exactly the
// reference loop's values, bit for bit (NaN payloads included), for sizes on and off
// the 8×8 blocks, strips wider than one kernel call, and padded strides, and nothing
// else of dst (the padding between rows and the guard bands keep their pattern).
func TestTransposeConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(17, 3))
		sizes := []int{1, 3, 7, 8, 9, 16, 17, 24, 64, 96, 8 + 2*transposeColsPerCall + 3} // the last: three kernel calls a strip
		for _, rows := range sizes {
			for _, cols := range sizes {
				for _, pad := range []int{0, 5} {
					lds, ldd := cols+pad, rows+2*pad
					what := fmt.Sprintf("%dx%d pad %d", rows, cols, pad)
					src := make([]float32, (rows-1)*lds+cols)
					for i := range src {
						src[i] = rng.Float32()*2 - 1
					}
					src[rng.IntN(len(src))] = math.Float32frombits(0x7fc00123)
					n := (cols-1)*ldd + rows
					buf, dst := guarded(n, 3)
					want := append([]float32(nil), dst...)
					Transpose(rows, cols, src, lds, dst, ldd)
					transposeWant(rows, cols, src, lds, want, ldd)
					for i := range want {
						require.Equal(t, math.Float32bits(want[i]), math.Float32bits(dst[i]), "%s: dst[%d]", what, i)
					}
					requireGuards(t, buf, 3, n, what)
				}
			}
		}
	})
}

func TestTransposePanics(t *testing.T) {
	x := make([]float32, 64)
	require.PanicsWithValue(t, "simd: Transpose: lds = 3 < cols = 4", func() { Transpose(2, 4, x, 3, x, 2) })
	require.PanicsWithValue(t, "simd: Transpose: ldd = 1 < rows = 2", func() { Transpose(2, 4, x, 4, x, 1) })
	require.PanicsWithValue(t, "simd: Transpose: len(src) = 64 < 68", func() { Transpose(9, 4, x, 8, make([]float32, 99), 9) })
	require.PanicsWithValue(t, "simd: Transpose: len(dst) = 64 < 144", func() { Transpose(9, 16, make([]float32, 144), 16, x, 9) })
}

// FuzzTranspose: every table's 8×8 strip kernel against its twin, bit for bit, on
// fuzzed values, strip lengths and strides, nothing written outside the blocks.
func FuzzTranspose(f *testing.F) {
	f.Add(uint8(1), uint8(0), uint8(0), float32(1.5), float32(-2))
	f.Add(uint8(8), uint8(3), uint8(7), float32(math.NaN()), float32(math.Inf(-1)))
	f.Fuzz(func(t *testing.T, blocks, padS, padD uint8, a, b float32) {
		n := 8 * int(blocks%8)
		lds, ldd := n+int(padS%9), 8+int(padD%9)
		src := make([]float32, 8*lds)
		for i := range src {
			src[i] = a + float32(i)*b
		}
		g := math.Float32frombits(guardBits)
		for _, im := range available {
			want, got := make([]float32, max(n, 1)*ldd), make([]float32, max(n, 1)*ldd)
			for i := range want {
				want[i], got[i] = g, g
			}
			asm.Transpose8Generic(n, src, lds, want, ldd)
			im.transpose8(n, src, lds, got, ldd)
			for i := range want {
				if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
					t.Fatalf("%s n=%d lds=%d ldd=%d: dst[%d] = %x, twin %x", im.name, n, lds, ldd, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
				}
			}
		}
	})
}
