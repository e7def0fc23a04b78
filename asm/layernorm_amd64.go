//go:build !purego

package asm

// LayerNormRowAVX512 is LayerNormRowGeneric on AVX-512F: the same element-wise
// operations, rounded the same way; the two sums keep 16 lane sums (the squares added
// with FMA), so mean and rstd, and through them dst, may differ from the twin's in the
// last bits. Reference loop:
//
//	mean = Σ_i x[i] / c
//	dst[i] = x[i] − mean;  q = Σ_i dst[i]²
//	rstd = float32(1 / math.Sqrt(float64(q/c) + eps))
//	dst[i] = float32(dst[i]·rstd)·w[i] + b[i]
//
//go:noescape
func LayerNormRowAVX512(dst, x, w, b []float32, eps float64) (mean, rstd float32)

// LayerNormBackwardRowAVX512 is LayerNormBackwardRowGeneric on AVX-512F (16 lane sums,
// a·x̂ added with FMA; the element-wise pass rounded as the twin's). Reference loop:
//
//	a[i] = dy[i]·w[i];  x̂[i] = (x[i] − mean)·rstd
//	gm = Σ_i a[i] / c;  gx = Σ_i a[i]·x̂[i] / c
//	dx[i] = res[i] + rstd·((a[i] − gm) − x̂[i]·gx)    (res[i] = 0 when len(res) = 0)
//
//go:noescape
func LayerNormBackwardRowAVX512(dx, dy, x, w, res []float32, mean, rstd float32)

// LayerNormParamsAVX512 is LayerNormParamsGeneric on AVX-512F, bit for bit: 16 columns
// at a time, each column's rows added in order. Reference loop:
//
//	for r := range mean {
//		for j := range dw {
//			db[j] += dy[r·ld+j]
//			dw[j] += (dy[r·ld+j]·(x[r·ld+j] − mean[r]))·rstd[r]
//		}
//	}
//
//go:noescape
func LayerNormParamsAVX512(dw, db, dy, x []float32, ld int, mean, rstd []float32)
