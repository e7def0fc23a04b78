//go:build !purego

package asm

// SgemmKernel8x12NEON computes one 8×12 tile of C from packed panels; it is
// SgemmKernelGeneric with mr = 8, nr = 12:
//
//	for i := 0; i < 8; i++ {
//		for j := 0; j < 12; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[p*8+i], b[p*12+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// a holds k columns of 8 values (a[p*8+i] = A[i, p]), b holds k rows of 12 values
// (b[p*12+j] = B[p, j]); c is row-major with stride ldc. The caller guarantees
// len(a) ≥ 8k, len(b) ≥ 12k, len(c) ≥ 7·ldc + 12 and k ≥ 0.
//
// The 96 accumulators live in 24 Q registers (three per row of C); each k step loads
// two A vectors and three B vectors and issues 24 FMLA-by-element, so a step moves 20
// floats for 96 fused multiply-adds.
//
//go:noescape
func SgemmKernel8x12NEON(k int, a, b, c []float32, ldc int, alpha, beta float32)
