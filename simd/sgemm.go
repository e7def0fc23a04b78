package simd

import (
	"fmt"
	"sync"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices, where
// op(X) is X or Xᵀ. op(A) is m×k, op(B) is k×n, C is m×n.
//
//	A is stored m×k with lda ≥ k (transA = false) or k×m with lda ≥ m (transA = true);
//	B is stored k×n with ldb ≥ n (transB = false) or n×k with ldb ≥ k (transB = true);
//	C is stored m×n with ldc ≥ n.
//
// BLAS semantics: beta = 0 ignores C's old contents (NaN included); alpha = 0 (or
// k = 0) skips the product and only scales C. Large problems run on up to Threads()
// goroutines; small ones run on the caller's goroutine. Packing buffers are pooled, so
// steady-state calls do not allocate. Bad dimensions, strides or lengths panic with a
// message naming the argument.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	sgemm(active, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// MatMul computes C = A·B for row-major A (m×k), B (k×n) and C (m×n), densely stored.
func MatMul(m, n, k int, a, b, c []float32) {
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 {
		panic(fmt.Sprintf("simd: Sgemm: m = %d < 0", m))
	}
	if n < 0 {
		panic(fmt.Sprintf("simd: Sgemm: n = %d < 0", n))
	}
	if k < 0 {
		panic(fmt.Sprintf("simd: Sgemm: k = %d < 0", k))
	}
	checkMatrix("A", transA, m, k, a, lda)
	checkMatrix("B", transB, k, n, b, ldb)
	checkMatrix("C", false, m, n, c, ldc)
}

// checkMatrix validates a rows×cols operand stored row-major (transposed if trans).
func checkMatrix(name string, trans bool, rows, cols int, x []float32, ld int) {
	if trans {
		rows, cols = cols, rows
	}
	if ld < max(1, cols) {
		panic(fmt.Sprintf("simd: Sgemm: ld%s = %d < max(1, %d)", lowerName(name), ld, cols))
	}
	if rows > 0 && cols > 0 {
		if need := (rows-1)*ld + cols; len(x) < need {
			panic(fmt.Sprintf("simd: Sgemm: len(%s) = %d < %d needed for a %d×%d matrix with ld%s = %d",
				lowerName(name), len(x), need, rows, cols, lowerName(name), ld))
		}
	}
}

func lowerName(s string) string { return string(s[0] | 0x20) }

// scaleMatrix computes C = beta·C, writing zeros (not beta·NaN) when beta = 0.
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			Scale(beta, row)
		}
	}
}

// gemmBuffers are the packing buffers of one worker: a kc×mc block of A and a kc×nc
// block of B, laid out as the micro-kernel reads them, plus one mr×nr tile for edges.
type gemmBuffers struct {
	a, b, tile []float32
}

var gemmPool sync.Pool

func getBuffers(im *impl) *gemmBuffers {
	needA := im.kc * roundUp(im.mc, im.mr)
	needB := im.kc * roundUp(im.nc, im.nr)
	if v, ok := gemmPool.Get().(*gemmBuffers); ok && len(v.a) >= needA && len(v.b) >= needB && len(v.tile) >= im.mr*im.nr {
		return v
	}
	return &gemmBuffers{a: make([]float32, needA), b: make([]float32, needB), tile: make([]float32, im.mr*im.nr)}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// sgemm is the Goto/BLIS loop nest: jc over nc-wide column blocks of B and C, pc over
// kc-deep slices of the product (B block packed once, reused by every A block), ic
// over mc-tall row blocks of A (packed), then the macro-kernel walks the mr×nr tiles.
func sgemm(im *impl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	buf := getBuffers(im)
	defer gemmPool.Put(buf)
	for jc := 0; jc < n; jc += im.nc {
		nc := min(im.nc, n-jc)
		for pc := 0; pc < k; pc += im.kc {
			kc := min(im.kc, k-pc)
			betaEff := beta
			if pc > 0 {
				betaEff = 1
			}
			packB(im.nr, transB, kc, nc, b, ldb, pc, jc, buf.b)
			for ic := 0; ic < m; ic += im.mc {
				mc := min(im.mc, m-ic)
				packA(im.mr, transA, mc, kc, a, lda, ic, pc, buf.a)
				macroKernel(im, mc, nc, kc, alpha, buf.a, buf.b, betaEff, c[ic*ldc+jc:], ldc, buf.tile)
			}
		}
	}
}

// packA copies the mc×kc block of op(A) at (ic, pc) into panels of mr rows: panel r
// holds, for p = 0..kc-1, the mr values op(A)[ic+r·mr+i, pc+p]; rows past mc are zero.
func packA(mr int, trans bool, mc, kc int, a []float32, lda, ic, pc int, dst []float32) {
	for r := 0; r < mc; r += mr {
		rows := min(mr, mc-r)
		panel := dst[r*kc : r*kc+kc*mr]
		for p := 0; p < kc; p++ {
			out := panel[p*mr : p*mr+mr]
			for i := 0; i < rows; i++ {
				if trans {
					out[i] = a[(pc+p)*lda+ic+r+i]
				} else {
					out[i] = a[(ic+r+i)*lda+pc+p]
				}
			}
			clear(out[rows:])
		}
	}
}

// packB copies the kc×nc block of op(B) at (pc, jc) into panels of nr columns: panel s
// holds, for p = 0..kc-1, the nr values op(B)[pc+p, jc+s·nr+j]; columns past nc are zero.
func packB(nr int, trans bool, kc, nc int, b []float32, ldb, pc, jc int, dst []float32) {
	for s := 0; s < nc; s += nr {
		cols := min(nr, nc-s)
		panel := dst[s*kc : s*kc+kc*nr]
		for p := 0; p < kc; p++ {
			out := panel[p*nr : p*nr+nr]
			if trans {
				for j := 0; j < cols; j++ {
					out[j] = b[(jc+s+j)*ldb+pc+p]
				}
			} else {
				copy(out[:cols], b[(pc+p)*ldb+jc+s:])
			}
			clear(out[cols:])
		}
	}
}

// macroKernel multiplies a packed mc×kc block of A by a packed kc×nc block of B into
// C (already offset to the block's corner). Full tiles go straight to C; partial
// tiles at the bottom and right edges go through the scratch tile.
func macroKernel(im *impl, mc, nc, kc int, alpha float32, pa, pb []float32, beta float32, c []float32, ldc int, tile []float32) {
	mr, nr := im.mr, im.nr
	for j := 0; j < nc; j += nr {
		cols := min(nr, nc-j)
		bp := pb[j*kc : j*kc+kc*nr]
		for i := 0; i < mc; i += mr {
			rows := min(mr, mc-i)
			ap := pa[i*kc : i*kc+kc*mr]
			if rows == mr && cols == nr {
				im.gemmKernel(kc, ap, bp, c[i*ldc+j:], ldc, alpha, beta)
				continue
			}
			im.gemmKernel(kc, ap, bp, tile, nr, alpha, 0)
			for ii := 0; ii < rows; ii++ {
				crow := c[(i+ii)*ldc+j : (i+ii)*ldc+j+cols]
				trow := tile[ii*nr : ii*nr+cols]
				if beta == 0 {
					copy(crow, trow)
				} else {
					for jj := range crow {
						crow[jj] = fma32(beta, crow[jj], trow[jj])
					}
				}
			}
		}
	}
}
