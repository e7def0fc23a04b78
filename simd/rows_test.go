package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRows: DotRows and AxpyRows on every implementation against float64 loops, for
// widths across the vector widths and tails, row counts across the 4-row unrolling,
// strides larger than the width, with guard bands around the outputs and in the gaps
// between the rows (which must not be read: they hold NaN).
func TestRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(4, 4))
		for n := 0; n <= 70; n++ {
			if n > 20 && n%16 != 0 && n%16 != 1 && n%16 != 15 {
				continue
			}
			for _, rows := range []int{0, 1, 2, 3, 4, 5, 7, 8, 13} {
				ld := n + rng.IntN(3)
				nan := float32(math.NaN())
				mat := make([]float32, max(0, (rows-1)*ld+n))
				for i := range mat {
					mat[i] = nan
				}
				for j := 0; j < rows; j++ {
					fillInput(rng, mat[j*ld:j*ld+n], 1, 0)
				}
				x := make([]float32, n)
				fillInput(rng, x, 1, 0)

				for _, dist := range []bool{false, true} {
					sbuf, s := guarded(rows, 3)
					if dist {
						SqDistRows(x, mat, ld, s)
					} else {
						DotRows(x, mat, ld, s)
					}
					requireGuards(t, sbuf, 3, rows, "DotRows/SqDistRows s")
					for j := 0; j < rows; j++ {
						var want float64
						for l := 0; l < n; l++ {
							a, b := float64(x[l]), float64(mat[j*ld+l])
							if dist {
								want += (b - a) * (b - a)
							} else {
								want += a * b
							}
						}
						require.InDelta(t, want, s[j], 1e-5*float64(n+1), "dist=%v n=%d rows=%d j=%d", dist, n, rows, j)
					}
				}

				p := make([]float32, rows)
				fillInput(rng, p, 1, 0)
				obuf, o := guarded(n, 5)
				fillInput(rng, o, 1, 0)
				o0 := append([]float32(nil), o...)
				AxpyRows(p, mat, ld, o)
				requireGuards(t, obuf, 5, n, "AxpyRows o")
				for l := 0; l < n; l++ {
					want := float64(o0[l])
					for j := 0; j < rows; j++ {
						want += float64(p[j]) * float64(mat[j*ld+l])
					}
					require.InDelta(t, want, o[l], 1e-5*float64(rows+1), "AxpyRows n=%d rows=%d l=%d", n, rows, l)
				}
			}
		}
	})
}

// TestRowsMatchTwins: the assembly row kernels agree with their pure-Go twins (the
// generic implementation) within rounding of the summation order, on long inputs
// that cross the per-call row bound.
func TestRowsMatchTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	const n, rows, ld = 64, 600, 67
	mat := make([]float32, rows*ld)
	fillInput(rng, mat, 1, 0)
	x, p := make([]float32, n), make([]float32, rows)
	fillInput(rng, x, 1, 0)
	fillInput(rng, p, 1, 0)
	var ws, wd, wo []float32
	forEachImpl(t, func(t *testing.T, im *impl) {
		s, sd, o := make([]float32, rows), make([]float32, rows), make([]float32, n)
		DotRows(x, mat, ld, s)
		SqDistRows(x, mat, ld, sd)
		AxpyRows(p, mat, ld, o)
		if ws == nil {
			ws, wd, wo = s, sd, o // generic comes first
			return
		}
		for j := range s {
			require.InDelta(t, ws[j], s[j], 1e-4, "s[%d]", j)
			require.InDelta(t, wd[j], sd[j], 1e-4*float64(wd[j]), "sqdist[%d]", j)
		}
		for l := range o {
			require.InDelta(t, wo[l], o[l], 1e-3, "o[%d]", l)
		}
	})
}

func TestRowsPanics(t *testing.T) {
	require.PanicsWithValue(t, "simd: DotRows: ldk = 3 < 4", func() { DotRows(make([]float32, 4), make([]float32, 8), 3, make([]float32, 2)) })
	require.PanicsWithValue(t, "simd: AxpyRows: len(v) = 7 < 8 needed for 2 rows of 4 with stride 4", func() {
		AxpyRows(make([]float32, 2), make([]float32, 7), 4, make([]float32, 4))
	})
}
