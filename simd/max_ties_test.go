package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMaxTiesExact pins down the two places where a vector maximum can legally
// differ from the scalar loop and the twin says it must not: which zero is returned
// when the maximum is ±0 (the loop keeps the first zero it meets; FMAX and MAXPS
// prefer one by their own rules), and which NaN, bits included, is returned when x
// holds several (the loop returns the first, untouched; FMAX quiets a signaling NaN).
// Positions sweep the vector body, the 4-wide loop and the scalar tail.
func TestMaxTiesExact(t *testing.T) {
	nans := []uint32{0x7fc00001, 0xffc12345, 0x7f800001 /* signaling */, 0xff80abcd /* signaling */}
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(11, 12))
		for n := 1; n <= maxLen; n++ {
			for trial := 0; trial < 4; trial++ {
				// Zeros of both signs among negatives: the maximum is a zero.
				x := make([]float32, n)
				fillInput(rng, x, 10, 0)
				for i := range x {
					x[i] = -float32(math.Abs(float64(x[i]))) - 1
				}
				for z := 0; z <= trial; z++ {
					x[rng.IntN(n)] = float32(math.Copysign(0, float64(rng.IntN(2)*2-1)))
				}
				what := fmt.Sprintf("zeros n=%d trial=%d", n, trial)
				require.Equal(t, math.Float32bits(genericImpl.max(x)), math.Float32bits(im.max(x)), what)

				// Several NaNs with distinct payloads among ordinary values.
				fillInput(rng, x, 10, 0)
				for z := 0; z <= trial; z++ {
					x[rng.IntN(n)] = math.Float32frombits(nans[rng.IntN(len(nans))])
				}
				what = fmt.Sprintf("nans n=%d trial=%d", n, trial)
				require.Equal(t, math.Float32bits(genericImpl.max(x)), math.Float32bits(im.max(x)), what)
			}
		}
	})
}
