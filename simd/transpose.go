package simd

import "fmt"

// transposeColsPerCall bounds the columns of one strip-kernel call (a multiple of 8),
// so that each assembly call stays short: assembly is not preemptible.
const transposeColsPerCall = 256

// Transpose writes the cols×rows matrix dst = srcᵀ of the rows×cols matrix src (row
// strides lds and ldd): dst[j·ldd+i] = src[i·lds+j]. Eight-row strips go through the
// table's 8×8 block kernel, the remaining rows and columns through a Go loop.
func Transpose(rows, cols int, src []float32, lds int, dst []float32, ldd int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("simd: Transpose: negative size rows = %d, cols = %d", rows, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if lds < cols {
		panic(fmt.Sprintf("simd: Transpose: lds = %d < cols = %d", lds, cols))
	}
	if ldd < rows {
		panic(fmt.Sprintf("simd: Transpose: ldd = %d < rows = %d", ldd, rows))
	}
	if need := (rows-1)*lds + cols; len(src) < need {
		panic(fmt.Sprintf("simd: Transpose: len(src) = %d < %d", len(src), need))
	}
	if need := (cols-1)*ldd + rows; len(dst) < need {
		panic(fmt.Sprintf("simd: Transpose: len(dst) = %d < %d", len(dst), need))
	}
	c8 := cols &^ 7
	i := 0
	for ; i+8 <= rows; i += 8 {
		for j0 := 0; j0 < c8; j0 += transposeColsPerCall {
			active.transpose8(min(transposeColsPerCall, c8-j0), src[i*lds+j0:], lds, dst[j0*ldd+i:], ldd)
		}
		for r := i; r < i+8; r++ {
			for j := c8; j < cols; j++ {
				dst[j*ldd+r] = src[r*lds+j]
			}
		}
	}
	for ; i < rows; i++ {
		for j, x := range src[i*lds : i*lds+cols] {
			dst[j*ldd+i] = x
		}
	}
}
