package asm

// Transpose8Generic writes the transpose of an 8×n strip of src (rows of stride lds)
// into the n×8 block of dst (rows of stride ldd); n is a multiple of 8.
//
//	for r := 0; r < 8; r++ {
//		for j := 0; j < n; j++ {
//			dst[j*ldd+r] = src[r*lds+j]
//		}
//	}
func Transpose8Generic(n int, src []float32, lds int, dst []float32, ldd int) {
	for r := 0; r < 8; r++ {
		row := src[r*lds : r*lds+n]
		for j, x := range row {
			dst[j*ldd+r] = x
		}
	}
}
