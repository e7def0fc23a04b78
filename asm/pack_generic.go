package asm

// PackA6Generic is the reference loop of the A-panel packers: it interleaves six rows
// of a row-major matrix (stride lda) into one 6-wide panel of k steps,
//
//	for p := 0; p < k; p++ {
//		for i := 0; i < 6; i++ {
//			dst[p*6+i] = a[i*lda+p]
//		}
//	}
//
// len(a) ≥ 5·lda + k, len(dst) ≥ 6k.
func PackA6Generic(k int, a []float32, lda int, dst []float32) {
	for p := 0; p < k; p++ {
		for i := 0; i < 6; i++ {
			dst[p*6+i] = a[i*lda+p]
		}
	}
}

// PackB16Generic is the reference loop of the B-panel packers: it copies 16 columns
// of k rows of a row-major matrix (stride ldb) into one 16-wide panel,
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 16; j++ {
//			dst[p*16+j] = b[p*ldb+j]
//		}
//	}
//
// len(b) ≥ (k-1)·ldb + 16, len(dst) ≥ 16k.
func PackB16Generic(k int, b []float32, ldb int, dst []float32) {
	for p := 0; p < k; p++ {
		copy(dst[p*16:p*16+16], b[p*ldb:p*ldb+16])
	}
}

// PackB16TGeneric is the reference loop of the transposed B-panel packers: op(B) = Bᵀ
// with B stored row-major (stride ldb), so the panel gathers 16 rows of B,
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 16; j++ {
//			dst[p*16+j] = b[j*ldb+p]
//		}
//	}
//
// len(b) ≥ 15·ldb + k, len(dst) ≥ 16k.
func PackB16TGeneric(k int, b []float32, ldb int, dst []float32) {
	for p := 0; p < k; p++ {
		for j := 0; j < 16; j++ {
			dst[p*16+j] = b[j*ldb+p]
		}
	}
}
