package simd

import "fmt"

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
		if c8 > 0 {
			active.transpose8(c8, src[i*lds:], lds, dst[i:], ldd)
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
