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
func PackA6Generic(k int, a []float32, lda int, dst []float32) { gatherPanel(6, k, a, lda, dst) }

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
func PackB16Generic(k int, b []float32, ldb int, dst []float32) { copyPanel(16, k, b, ldb, dst) }

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
func PackB16TGeneric(k int, b []float32, ldb int, dst []float32) { gatherPanel(16, k, b, ldb, dst) }

// PackA8Generic is PackA6Generic for eight rows (the A panel of the 8×32 kernels):
//
//	for p := 0; p < k; p++ {
//		for i := 0; i < 8; i++ {
//			dst[p*8+i] = a[i*lda+p]
//		}
//	}
//
// len(a) ≥ 7·lda + k, len(dst) ≥ 8k.
func PackA8Generic(k int, a []float32, lda int, dst []float32) { gatherPanel(8, k, a, lda, dst) }

// PackB32Generic is PackB16Generic for 32 columns:
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 32; j++ {
//			dst[p*32+j] = b[p*ldb+j]
//		}
//	}
//
// len(b) ≥ (k-1)·ldb + 32, len(dst) ≥ 32k.
func PackB32Generic(k int, b []float32, ldb int, dst []float32) { copyPanel(32, k, b, ldb, dst) }

// PackB32TGeneric is PackB16TGeneric for 32 rows of B (op(B) = Bᵀ):
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 32; j++ {
//			dst[p*32+j] = b[j*ldb+p]
//		}
//	}
//
// len(b) ≥ 31·ldb + k, len(dst) ≥ 32k.
func PackB32TGeneric(k int, b []float32, ldb int, dst []float32) { gatherPanel(32, k, b, ldb, dst) }

// PackA8TGeneric is the reference loop of the transposed A-panel packers: op(A) = Aᵀ
// with A stored row-major (stride lda), so step p of an 8-wide panel is eight
// consecutive values of row p; panel q (of panels) takes columns 8q..8q+7 and is
// stored at dst[8k·q:],
//
//	for q := 0; q < panels; q++ {
//		for p := 0; p < k; p++ {
//			for i := 0; i < 8; i++ {
//				dst[q*8*k+p*8+i] = a[p*lda+q*8+i]
//			}
//		}
//	}
//
// len(a) ≥ (k-1)·lda + 8·panels, len(dst) ≥ 8k·panels.
func PackA8TGeneric(k int, a []float32, lda int, dst []float32, panels int) {
	if k == 0 {
		return
	}
	for q := 0; q < panels; q++ {
		copyPanel(8, k, a[q*8:], lda, dst[q*8*k:])
	}
}

// gatherPanel is the one loop of the gathering packers (PackA6/A8, PackB16T/B32T):
// step p of the w-wide panel takes column p of w rows of src (stride ld),
// dst[p*w+i] = src[i*ld+p].
func gatherPanel(w, k int, src []float32, ld int, dst []float32) {
	for p := 0; p < k; p++ {
		for i := 0; i < w; i++ {
			dst[p*w+i] = src[i*ld+p]
		}
	}
}

// copyPanel is the one loop of the copying packers (PackB16/B32, PackA8T): step p
// of the w-wide panel is the first w values of row p of src (stride ld).
func copyPanel(w, k int, src []float32, ld int, dst []float32) {
	for p := 0; p < k; p++ {
		copy(dst[p*w:p*w+w], src[p*ld:p*ld+w])
	}
}
