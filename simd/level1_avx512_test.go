//go:build amd64 && !purego

package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLevel1AVX512EqualsAVX2: the AVX-512 element-wise kernels run the AVX2 kernels'
// instructions lane by lane, so they must return the same bits, NaN payloads included
// (the conformance sweep compares with the twin, which may differ by the twin's
// double-rounded FMA in axpy and treats every NaN as equal). Inputs mix several NaN
// payloads and the other specials.
func TestLevel1AVX512EqualsAVX2(t *testing.T) {
	if !slices.Contains(available, avx512Impl) {
		t.Skip("no AVX-512F")
	}
	nans := []uint32{0x7fc00001, 0xffc12345, 0x7f800001, 0xff80abcd}
	rng := rand.New(rand.NewPCG(31, 32))
	fill := func(x []float32) {
		fillInput(rng, x, 100, 7)
		for i := range x {
			if rng.IntN(11) == 0 {
				x[i] = math.Float32frombits(nans[rng.IntN(len(nans))])
			}
		}
	}
	for n := 0; n <= maxLen; n++ {
		for off := 0; off < 16; off++ {
			x, y := make([]float32, n), make([]float32, n)
			fill(x)
			fill(y)
			for _, alpha := range []float32{0.625, math.Float32frombits(0x7fc0beef)} {
				for _, r := range []struct {
					name string
					run  func(im *impl, dst []float32)
				}{
					{"add", func(im *impl, dst []float32) { im.add(dst, x, y) }},
					{"mul", func(im *impl, dst []float32) { im.mul(dst, x, y) }},
					{"scale", func(im *impl, dst []float32) { copy(dst, x); im.scale(alpha, dst) }},
					{"axpy", func(im *impl, dst []float32) { copy(dst, y); im.axpy(alpha, x, dst) }},
				} {
					want := make([]float32, n)
					r.run(avx2Impl, want)
					buf, got := guarded(n, off)
					r.run(avx512Impl, got)
					what := fmt.Sprintf("%s n=%d off=%d alpha=%v", r.name, n, off, alpha)
					requireGuards(t, buf, off, n, what)
					for i := range want {
						require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: index %d", what, i)
					}
				}
			}
		}
	}
}
