package train

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// layerNormRef64 is layer norm's forward and input gradient in float64.
func layerNormRef64(x, w, b, dy []float32, c int) (out, dx []float64) {
	out, dx = make([]float64, len(x)), make([]float64, len(x))
	for r := 0; r < len(x)/c; r++ {
		var m, v float64
		for i := 0; i < c; i++ {
			m += float64(x[r*c+i])
		}
		m /= float64(c)
		for i := 0; i < c; i++ {
			d := float64(x[r*c+i]) - m
			v += d * d
		}
		s := 1 / math.Sqrt(v/float64(c)+layerNormEps)
		var gm, gxm float64
		for i := 0; i < c; i++ {
			xh := (float64(x[r*c+i]) - m) * s
			out[r*c+i] = xh*float64(w[i]) + float64(b[i])
			g := float64(dy[r*c+i]) * float64(w[i])
			gm += g
			gxm += g * xh
		}
		gm /= float64(c)
		gxm /= float64(c)
		for i := 0; i < c; i++ {
			xh := (float64(x[r*c+i]) - m) * s
			dx[r*c+i] = s * (float64(dy[r*c+i])*float64(w[i]) - gm - xh*gxm)
		}
	}
	return out, dx
}

// TestLayerNormFastMatchesReference: the simd-summed forward and the four-sum input
// gradient agree with a float64 reference as closely as the naive loops do, on row
// widths that are and are not multiples of the vector and unroll widths, in place too.
func TestLayerNormFastMatchesReference(t *testing.T) {
	rng := newRNG(16)
	for _, c := range []int{1, 3, 4, 17, 64, 256, 1000} {
		t.Run(fmt.Sprint("c=", c), func(t *testing.T) {
			n := 9
			x := randSlice(rng, n*c, 3)
			for i := range x {
				x[i] += 5 // a mean far from 0, where one-pass variance would cancel
			}
			w, b, dy := randSlice(rng, c, 1), randSlice(rng, c, 1), randSlice(rng, n*c, 1)
			out64, dx64 := layerNormRef64(x, w, b, dy, c)
			tol := func(naive []float32, ref []float64) float64 {
				e := 1e-6
				for i := range ref {
					e = max(e, math.Abs(float64(naive[i])-ref[i]))
				}
				return 4 * e // the fast sums may round differently, not worse
			}
			y, yn := make([]float32, n*c), make([]float32, n*c)
			mean, rstd, mn, rn := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			layerNormForward(y, mean, rstd, x, w, b, n, c)
			layerNormForwardNaive(yn, mn, rn, x, w, b, n, c)
			e := tol(yn, out64)
			for i := range y {
				require.InDelta(t, out64[i], y[i], e, "out[%d]", i)
			}
			inPlace := append([]float32(nil), x...)
			layerNormForward(inPlace, mn, rn, inPlace, w, b, n, c)
			require.Equal(t, y, inPlace, "out aliasing inp")
			require.Equal(t, mean, mn)
			require.Equal(t, rstd, rn)

			dx, dxn := make([]float32, n*c), make([]float32, n*c)
			layerNormBackwardInput(dx, dx, dy, x, w, mean, rstd, n, c)
			layerNormBackwardInputNaive(dxn, dy, x, w, mean, rstd, n, c)
			e = tol(dxn, dx64)
			for i := range dx {
				require.InDelta(t, dx64[i], dx[i], e, "dx[%d]", i)
			}
		})
	}
}
