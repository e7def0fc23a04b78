//go:build !purego

package asm

// Transpose8AVX2 is Transpose8Generic on AVX: eight source rows of eight columns are
// loaded, transposed in registers (unpack, shuffle, 128-bit lane permute) and stored as
// eight destination rows of eight, block after block along the strip. Reference loop:
//
//	for r := 0; r < 8; r++ {
//		for j := 0; j < n; j++ {
//			dst[j*ldd+r] = src[r*lds+j]
//		}
//	}
//
// n is a multiple of 8 (n = 0 does nothing), and every element the loop reads or writes
// must lie in its slice (unchecked). The CPU must have AVX.
//
//go:noescape
func Transpose8AVX2(n int, src []float32, lds int, dst []float32, ldd int)
