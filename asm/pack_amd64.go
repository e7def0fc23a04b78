//go:build !purego

package asm

// PackA6AVX interleaves six rows of a row-major matrix (stride lda) into one 6-wide
// panel of k steps, four steps per iteration (two 4×4 and one 2×4 transposes in XMM
// registers). Reference loop (PackA6Generic):
//
//	for p := 0; p < k; p++ {
//		for i := 0; i < 6; i++ {
//			dst[p*6+i] = a[i*lda+p]
//		}
//	}
//
// len(a) ≥ 5·lda + k, len(dst) ≥ 6k (unchecked).
//
//go:noescape
func PackA6AVX(k int, a []float32, lda int, dst []float32)
