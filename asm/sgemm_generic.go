package asm

// SgemmKernelGeneric is the reference loop of the GEMM micro-kernels: it computes one
// mr×nr tile of C from packed panels,
//
//	for i := 0; i < mr; i++ {
//		for j := 0; j < nr; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[p*mr+i], b[p*nr+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// a is the packed A panel, k columns of mr values (a[p*mr+i] = A[i, p]); b is the packed
// B panel, k rows of nr values (b[p*nr+j] = B[p, j]); c is row-major with stride ldc.
// len(a) ≥ k·mr, len(b) ≥ k·nr, len(c) ≥ (mr-1)·ldc + nr.
func SgemmKernelGeneric(mr, nr, k int, a, b, c []float32, ldc int, alpha, beta float32) {
	SgemmSmallGeneric(k, a, 1, mr, b, nr, c, ldc, mr, nr, alpha, beta) // A[i, p] = a[p*mr+i]
}

// SgemmDirectGeneric is the reference loop of the direct (unpacked) micro-kernels: the
// same mr×nr tile as SgemmKernelGeneric, but A and B are read in place, row-major with
// strides lda and ldb, instead of from packed panels:
//
//	for i := 0; i < mr; i++ {
//		for j := 0; j < nr; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[i*lda+p], b[p*ldb+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
//
// len(a) ≥ (mr-1)·lda + k, len(b) ≥ (k-1)·ldb + nr, len(c) ≥ (mr-1)·ldc + nr.
func SgemmDirectGeneric(mr, nr, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	SgemmSmallGeneric(k, a, lda, 1, b, ldb, c, ldc, mr, nr, alpha, beta)
}

// SgemmDirectCopyGeneric is the reference loop of the direct-copy micro-kernels: the
// tile of SgemmDirectGeneric, and a copy of rows rows of nr values at src (stride lds)
// into the dense panel dst,
//
//	for p := 0; p < rows; p++ {
//		for j := 0; j < nr; j++ {
//			dst[p*nr+j] = src[p*lds+j]
//		}
//	}
//
// The lengths of SgemmDirectGeneric, and len(src) ≥ (rows-1)·lds + nr, len(dst) ≥
// nr·rows when rows > 0.
func SgemmDirectCopyGeneric(mr, nr, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, src []float32, lds, rows int, dst []float32) {
	SgemmDirectGeneric(mr, nr, k, a, lda, b, ldb, c, ldc, alpha, beta)
	copyPanel(nr, rows, src, lds, dst)
}
