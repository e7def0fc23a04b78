package asm

// Twins of the small-product kernels (sgemm_small_*_amd64.s): each one is the
// reference loop quoted in the assembly stub's doc comment.

// SgemmSmallGeneric is the reference loop of the small-product micro-kernels: one
// rows×cols tile of C (rows ≤ mr, cols ≤ nr of the kernel) from operands read in
// place. Element (i, p) of op(A) is a[i*rsA+p*csA], so one kernel serves A (rsA = lda,
// csA = 1) and Aᵀ (rsA = 1, csA = lda); row p of op(B) is b[p*ldb:], contiguous.
//
//	for i := 0; i < rows; i++ {
//		for j := 0; j < cols; j++ {
//			var acc float32
//			for p := 0; p < k; p++ {
//				acc = fma(a[i*rsA+p*csA], b[p*ldb+j], acc)
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * acc // C's old contents are ignored, NaN included
//			} else {
//				c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//			}
//		}
//	}
func SgemmSmallGeneric(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32) {
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			var acc float32
			for p := 0; p < k; p++ {
				acc = FMA32(a[i*rsA+p*csA], b[p*ldb+j], acc)
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * acc
			} else {
				c[i*ldc+j] = FMA32(beta, c[i*ldc+j], alpha*acc)
			}
		}
	}
}

// SgemmSmallPanelGeneric is the reference loop of the panel kernel
// (SgemmSmallPanel8x32AVX512 with nr = 32): a
// rows×nr block of C = alpha·A·B + beta·C, A row-major with stride lda. nextA, nextB
// and nextC only say what the kernels prefetch:
//
//	for i := 0; i < rows; i++ {
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
func SgemmSmallPanelGeneric(nr, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32, nextA, nextB, nextC int) {
	SgemmSmallGeneric(k, a, lda, 1, b, ldb, c, ldc, rows, nr, alpha, beta)
}

// SgemmSmallBatchGeneric is the reference loop of the batch kernels
// (SgemmSmallBatch16x16AVX512 with nr = 16): count products, each a rows×nr block of
// C = alpha·A·B + beta·C, product q's operands at a[q*strideA:], b[q*strideB:] and
// c[q*strideC:]. ahead only says what the kernels prefetch, stream how they store:
//
//	for q := 0; q < count; q++ {
//		a, b, c := a[q*strideA:], b[q*strideB:], c[q*strideC:]
//		for i := 0; i < rows; i++ {
//			for j := 0; j < nr; j++ {
//				var acc float32
//				for p := 0; p < k; p++ {
//					acc = fma(a[i*lda+p], b[p*ldb+j], acc)
//				}
//				if beta == 0 {
//					c[i*ldc+j] = alpha * acc
//				} else {
//					c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
//				}
//			}
//		}
//	}
func SgemmSmallBatchGeneric(nr, count, k int, a []float32, lda, strideA int, b []float32, ldb, strideB int, c []float32, ldc, strideC int, rows int, alpha, beta float32, ahead int, stream bool) {
	for q := 0; q < count; q++ {
		SgemmSmallGeneric(k, a[q*strideA:], lda, 1, b[q*strideB:], ldb, c[q*strideC:], ldc, rows, nr, alpha, beta)
	}
}

// SgemvRowGeneric is the reference loop of the row-vector kernels, y = alpha·xᵀ·B +
// beta·y over cols columns of B (k rows, stride ldb); x has stride incx:
//
//	for j := 0; j < cols; j++ {
//		var acc float32
//		for p := 0; p < k; p++ {
//			acc = fma(x[p*incx], b[p*ldb+j], acc)
//		}
//		if beta == 0 {
//			y[j] = alpha * acc
//		} else {
//			y[j] = fma(beta, y[j], alpha*acc)
//		}
//	}
func SgemvRowGeneric(k int, x []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta float32) {
	for j := 0; j < cols; j++ {
		var acc float32
		for p := 0; p < k; p++ {
			acc = FMA32(x[p*incx], b[p*ldb+j], acc)
		}
		if beta == 0 {
			y[j] = alpha * acc
		} else {
			y[j] = FMA32(beta, y[j], alpha*acc)
		}
	}
}

// SgemvDotGeneric is the reference loop of the dot-product kernels, y = alpha·A·x +
// beta·y over rows rows of A (stride lda, k columns), x contiguous, y with stride incy.
// Each row's dot product runs in lanes partial sums (lane l takes p ≡ l mod lanes)
// that are then added pairwise, halving the lanes each time, as the vector kernels do:
//
//	for i := 0; i < rows; i++ {
//		var s [lanes]float32
//		for p := 0; p < k; p++ {
//			s[p%lanes] = fma(a[i*lda+p], x[p], s[p%lanes])
//		}
//		for w := lanes / 2; w > 0; w /= 2 {
//			for l := 0; l < w; l++ {
//				s[l] += s[l+w]
//			}
//		}
//		if beta == 0 {
//			y[i*incy] = alpha * s[0]
//		} else {
//			y[i*incy] = fma(beta, y[i*incy], alpha*s[0])
//		}
//	}
//
// lanes is a power of two ≤ 16.
func SgemvDotGeneric(lanes, k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32) {
	var s [16]float32
	for i := 0; i < rows; i++ {
		clear(s[:lanes])
		for p := 0; p < k; p++ {
			s[p%lanes] = FMA32(a[i*lda+p], x[p], s[p%lanes])
		}
		for w := lanes / 2; w > 0; w /= 2 {
			for l := 0; l < w; l++ {
				s[l] += s[l+w]
			}
		}
		if beta == 0 {
			y[i*incy] = alpha * s[0]
		} else {
			y[i*incy] = FMA32(beta, y[i*incy], alpha*s[0])
		}
	}
}

// TransposeGeneric is the reference loop of the transposers (TransposeGather*): the
// n×k matrix b (stride ldb) transposed into dst (k×n, dense).
//
//	for j := 0; j < n; j++ {
//		for p := 0; p < k; p++ {
//			dst[p*n+j] = b[j*ldb+p]
//		}
//	}
func TransposeGeneric(k int, b []float32, ldb int, dst []float32, n int) {
	for j := 0; j < n; j++ {
		row := b[j*ldb : j*ldb+k]
		for p, v := range row {
			dst[p*n+j] = v
		}
	}
}

// SgemmSmallWideGeneric is the reference loop of the wide block kernels
// (SgemmSmallWide6x64AVX512 with nr = 64): a rows×nr block of C = alpha·A·B + beta·C,
// A row-major with stride lda, any rows ≥ 0:
//
//	for i := 0; i < rows; i++ {
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
func SgemmSmallWideGeneric(nr, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32) {
	SgemmSmallGeneric(k, a, lda, 1, b, ldb, c, ldc, rows, nr, alpha, beta)
}
