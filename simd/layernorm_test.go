package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kernelmachines/bkm/asm"
)

// lnRef is LayerNorm and LayerNormBackward's float64 reference for one row.
func lnRef(x, w, b, dy []float32, eps float64) (y, dx []float64, mean, rstd float64) {
	c := float64(len(x))
	for _, v := range x {
		mean += float64(v)
	}
	mean /= c
	var q float64
	for _, v := range x {
		q += (float64(v) - mean) * (float64(v) - mean)
	}
	rstd = 1 / math.Sqrt(q/c+eps)
	y = make([]float64, len(x))
	var gm, gx float64
	for i, v := range x {
		xh := (float64(v) - mean) * rstd
		y[i] = xh*float64(w[i]) + float64(b[i])
		a := float64(dy[i]) * float64(w[i])
		gm += a
		gx += a * xh
	}
	gm, gx = gm/c, gx/c
	dx = make([]float64, len(x))
	for i, v := range x {
		xh := (float64(v) - mean) * rstd
		dx[i] = rstd * (float64(dy[i])*float64(w[i]) - gm - xh*gx)
	}
	return y, dx, mean, rstd
}

// lnRows fills n rows of c values (an offset per row, so that the mean is not 0).
func lnRows(rng *rand.Rand, n, c int, scale float32) []float32 {
	x := make([]float32, n*c)
	for r := 0; r < n; r++ {
		off := (2*rng.Float32() - 1) * scale
		fillInput(rng, x[r*c:(r+1)*c], scale, 0)
		for i := range x[r*c : (r+1)*c] {
			x[r*c+i] += off
		}
	}
	return x
}

var lnWidths = []int{1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 47, 64, 100, 255, 256, 257, 512, 1000}

// TestLayerNormConformance: every implementation's LayerNorm and LayerNormBackward
// (set, accumulate into dx, add a separate residual) against the float64 reference,
// within a bound for float32 sums of c terms, writing nothing outside their rows.
func TestLayerNormConformance(t *testing.T) {
	const eps = 1e-5
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, c := range lnWidths {
			for _, n := range []int{1, 3} {
				off := rng.IntN(16)
				x := lnRows(rng, n, c, 3)
				w, b, dy := lnRows(rng, 1, c, 2), lnRows(rng, 1, c, 1), lnRows(rng, n, c, 1)
				res := lnRows(rng, n, c, 1)
				buf, y := guarded(n*c, off)
				mean, rstd := make([]float32, n), make([]float32, n)
				LayerNorm(y, mean, rstd, x, w, b, n, c, eps)
				requireGuards(t, buf, off, n*c, "LayerNorm")
				dbuf, dx := guarded(n*c, off)
				LayerNormBackward(dx, nil, dy, x, w, mean, rstd, n, c)
				requireGuards(t, dbuf, off, n*c, "LayerNormBackward")
				acc := append([]float32(nil), res...)
				LayerNormBackward(acc, acc, dy, x, w, mean, rstd, n, c)
				sep := make([]float32, n*c)
				LayerNormBackward(sep, res, dy, x, w, mean, rstd, n, c)
				tol := float64(c+4) * 0x1p-23 * 8
				for r := 0; r < n; r++ {
					row := func(s []float32) []float32 { return s[r*c : (r+1)*c] }
					ry, rdx, rm, rs := lnRef(row(x), w, b, row(dy), eps)
					what := fmt.Sprintf("%s c=%d n=%d row %d", im.name, c, n, r)
					require.InDelta(t, rm, float64(mean[r]), tol*(1+math.Abs(rm)), "%s: mean", what)
					require.InDelta(t, rs, float64(rstd[r]), tol*rs, "%s: rstd", what)
					for i := range ry {
						require.InDelta(t, ry[i], float64(y[r*c+i]), tol*(1+math.Abs(ry[i])), "%s: y[%d]", what, i)
						require.InDelta(t, rdx[i], float64(dx[r*c+i]), tol*rs*4, "%s: dx[%d]", what, i)
						rr := float64(res[r*c+i]) + rdx[i]
						require.InDelta(t, rr, float64(acc[r*c+i]), tol*rs*4+1e-6, "%s: dx[%d] accumulated", what, i)
						// a separate residual gives the accumulated result bit for bit
						require.Equal(t, math.Float32bits(acc[r*c+i]), math.Float32bits(sep[r*c+i]), "%s: dx[%d] with res", what, i)
					}
				}
			}
		}
	})
}

// TestLayerNormParamsConformance: every implementation's LayerNormParams gives the
// twin's bits, over widths that cross every 16-lane edge, row counts that cross the
// per-call row chunk, a row stride wider than the columns and a column offset.
func TestLayerNormParamsConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, c := range lnWidths {
			for _, n := range []int{0, 1, 5, lnParamRows + 3} {
				ld, lo := c+rng.IntN(5), rng.IntN(3)
				dy, x := lnRows(rng, n+1, ld+lo, 2), lnRows(rng, n+1, ld+lo, 3)
				mean, rstd := lnRows(rng, 1, n, 1), lnRows(rng, 1, n, 2)
				off := rng.IntN(16)
				wbuf, dw := guarded(c, off)
				bbuf, db := guarded(c, (off+5)%16)
				fillInput(rng, dw, 1, 0)
				fillInput(rng, db, 1, 0)
				wantW, wantB := append([]float32(nil), dw...), append([]float32(nil), db...)
				if n > 0 {
					asm.LayerNormParamsGeneric(wantW, wantB, dy[lo:], x[lo:], ld, mean, rstd)
				}
				LayerNormParams(dw, db, dy[lo:], x[lo:], ld, mean, rstd)
				what := fmt.Sprintf("%s c=%d n=%d ld=%d", im.name, c, n, ld)
				requireGuards(t, wbuf, off, c, what+" dw")
				requireGuards(t, bbuf, (off+5)%16, c, what+" db")
				for j := range dw {
					require.Equal(t, math.Float32bits(wantW[j]), math.Float32bits(dw[j]), "%s: dw[%d]", what, j)
					require.Equal(t, math.Float32bits(wantB[j]), math.Float32bits(db[j]), "%s: db[%d]", what, j)
				}
			}
		}
	})
}

// TestLayerNormSpecials: a NaN or an infinity in a row makes that row's outputs NaN
// (mean, rstd, y; dx) on every implementation, as in the twin, and leaves other rows alone.
func TestLayerNormSpecials(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, sp := range specials[:3] {
			for _, c := range []int{5, 16, 40} {
				x := lnRows(rng, 2, c, 3)
				w, b, dy := lnRows(rng, 1, c, 2), lnRows(rng, 1, c, 1), lnRows(rng, 2, c, 1)
				x[rng.IntN(c)] = sp
				y, mean, rstd := make([]float32, 2*c), make([]float32, 2), make([]float32, 2)
				LayerNorm(y, mean, rstd, x, w, b, 2, c, 1e-5)
				dx := make([]float32, 2*c)
				LayerNormBackward(dx, nil, dy, x, w, mean, rstd, 2, c)
				wy, wm, wr := make([]float32, 2*c), make([]float32, 2), make([]float32, 2)
				useImpl(t, genericImpl)
				LayerNorm(wy, wm, wr, x, w, b, 2, c, 1e-5)
				wdx := make([]float32, 2*c)
				LayerNormBackward(wdx, nil, dy, x, w, wm, wr, 2, c)
				useImpl(t, im)
				what := fmt.Sprintf("%s c=%d special %v", im.name, c, sp)
				for i := 0; i < c; i++ {
					require.Equal(t, wy[i] != wy[i], y[i] != y[i], "%s: y[%d] NaN-ness (twin %v, got %v)", what, i, wy[i], y[i])
					require.Equal(t, wdx[i] != wdx[i], dx[i] != dx[i], "%s: dx[%d] NaN-ness (twin %v, got %v)", what, i, wdx[i], dx[i])
				}
				require.True(t, mean[0] != mean[0] || math.IsInf(float64(mean[0]), 0) || rstd[0] != rstd[0], "%s: row 0 statistics %v %v", what, mean[0], rstd[0])
				for i := c; i < 2*c; i++ {
					require.False(t, y[i] != y[i] || dx[i] != dx[i], "%s: row 1 touched: y %v dx %v", what, y[i], dx[i])
				}
			}
		}
	})
}

func TestLayerNormPanics(t *testing.T) {
	s := make([]float32, 8)
	require.PanicsWithValue(t, "simd: LayerNorm: n = 1, c = 0: want n ≥ 0, c ≥ 1", func() { LayerNorm(s, s, s, s, s, s, 1, 0, 1e-5) })
	require.PanicsWithValue(t, "simd: LayerNorm: len(x) = 8 < 9", func() { LayerNorm(make([]float32, 9), s, s, s, s, s, 3, 3, 1e-5) })
	require.PanicsWithValue(t, "simd: LayerNormBackward: len(res) = 8 < 9",
		func() {
			LayerNormBackward(make([]float32, 9), s, make([]float32, 9), make([]float32, 9), s, s, s, 3, 3)
		})
	require.PanicsWithValue(t, "simd: LayerNormParams: len(db) = 2 < 4", func() { LayerNormParams(s[:4], s[:2], s, s, 4, s[:2], s[:2]) })
	require.PanicsWithValue(t, "simd: LayerNormParams: len(x) = 7 < 8 needed for 2 rows of 4 with stride 4",
		func() { LayerNormParams(s[:4], s[:4], s, s[:7], 4, s[:2], s[:2]) })
}

// FuzzLayerNorm: every implementation's LayerNorm, LayerNormBackward and
// LayerNormParams against the twins on rows built from the fuzzer's bytes: parameter
// gradients bit for bit, the rest within the float32 sum bound (NaN where the twin
// has NaN).
func FuzzLayerNorm(f *testing.F) {
	f.Add(uint8(16), int64(1), []byte{1, 2, 3, 4, 200, 9})
	f.Add(uint8(37), int64(-7), []byte{255, 0, 128})
	f.Fuzz(func(t *testing.T, width uint8, seed int64, data []byte) {
		c := int(width)%300 + 1
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(len(data))))
		const n = 2
		x := lnRows(rng, n, c, 4)
		for i, v := range data {
			x[i%len(x)] = float32(int8(v)) / 8
		}
		w, b, dy := lnRows(rng, 1, c, 2), lnRows(rng, 1, c, 1), lnRows(rng, n, c, 1)
		run := func(im *impl) (y, mean, rstd, dx, dw, db []float32) {
			old := active
			active = im
			defer func() { active = old }()
			y, mean, rstd = make([]float32, n*c), make([]float32, n), make([]float32, n)
			LayerNorm(y, mean, rstd, x, w, b, n, c, 1e-5)
			dx = make([]float32, n*c)
			LayerNormBackward(dx, nil, dy, x, w, mean, rstd, n, c)
			dw, db = make([]float32, c), make([]float32, c)
			LayerNormParams(dw, db, dy, x, c, mean, rstd)
			return
		}
		wy, _, wr, wdx, _, _ := run(genericImpl)
		for _, im := range available {
			y, mean, rstd, dx, dw, db := run(im)
			tw, tb := make([]float32, c), make([]float32, c)
			asm.LayerNormParamsGeneric(tw, tb, dy, x, c, mean, rstd)
			tol := float64(c+4) * 0x1p-23 * 8
			for i := range y {
				r := i / c
				require.InDelta(t, float64(wy[i]), float64(y[i]), tol*(1+math.Abs(float64(wy[i]))), "%s y[%d]", im.name, i)
				require.InDelta(t, float64(wdx[i]), float64(dx[i]), tol*4*float64(wr[r])*(1+math.Abs(float64(wdx[i]))), "%s dx[%d]", im.name, i)
			}
			require.Equal(t, tw, dw, im.name)
			require.Equal(t, tb, db, im.name)
		}
	})
}
