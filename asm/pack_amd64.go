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

// PackB16AVX copies 16 columns of k rows of a row-major matrix (stride ldb) into one
// 16-wide panel, two YMM loads and stores per row. Reference loop (PackB16Generic):
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 16; j++ {
//			dst[p*16+j] = b[p*ldb+j]
//		}
//	}
//
// len(b) ≥ (k-1)·ldb + 16, len(dst) ≥ 16k (unchecked).
//
//go:noescape
func PackB16AVX(k int, b []float32, ldb int, dst []float32)

// PackB16TAVX gathers 16 rows of a row-major matrix (stride ldb) into a 16-wide panel
// of k steps (the panel of op(B) = Bᵀ), eight steps per iteration through two 8×8
// transposes in YMM registers. Reference loop (PackB16TGeneric):
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 16; j++ {
//			dst[p*16+j] = b[j*ldb+p]
//		}
//	}
//
// len(b) ≥ 15·ldb + k, len(dst) ≥ 16k (unchecked).
//
//go:noescape
func PackB16TAVX(k int, b []float32, ldb int, dst []float32)

// PackA8AVX interleaves eight rows of a row-major matrix (stride lda) into one 8-wide
// panel of k steps, eight steps per iteration through an 8×8 transpose in YMM
// registers (the A panel of the 8×32 AVX-512 kernel; the packer itself needs only
// AVX). Reference loop (PackA8Generic):
//
//	for p := 0; p < k; p++ {
//		for i := 0; i < 8; i++ {
//			dst[p*8+i] = a[i*lda+p]
//		}
//	}
//
// len(a) ≥ 7·lda + k, len(dst) ≥ 8k (unchecked).
//
//go:noescape
func PackA8AVX(k int, a []float32, lda int, dst []float32)

// PackB32AVX512 copies 32 columns of k rows of a row-major matrix (stride ldb) into
// one 32-wide panel, two ZMM loads and stores per row. Reference loop
// (PackB32Generic):
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 32; j++ {
//			dst[p*32+j] = b[p*ldb+j]
//		}
//	}
//
// len(b) ≥ (k-1)·ldb + 32, len(dst) ≥ 32k (unchecked). The CPU must have AVX-512F
// with OS support for the ZMM state.
//
//go:noescape
func PackB32AVX512(k int, b []float32, ldb int, dst []float32)

// PackB32TAVX gathers 32 rows of a row-major matrix (stride ldb) into a 32-wide panel
// of k steps (the panel of op(B) = Bᵀ): four groups of eight rows, each through 8×8
// transposes in YMM registers, eight steps at a time. Reference loop
// (PackB32TGeneric):
//
//	for p := 0; p < k; p++ {
//		for j := 0; j < 32; j++ {
//			dst[p*32+j] = b[j*ldb+p]
//		}
//	}
//
// len(b) ≥ 31·ldb + k, len(dst) ≥ 32k (unchecked).
//
//go:noescape
func PackB32TAVX(k int, b []float32, ldb int, dst []float32)

// PackA8TAVX packs panels 8-wide panels of op(A) = Aᵀ, where A is stored row-major
// (stride lda): step p of panel q is the eight values a[p·lda+8q : p·lda+8q+8], and
// panel q is stored at dst[8k·q:]. It walks two rows of A at a time across all the
// panels, so that each row is read front to back (a panel at a time, the block's rows
// would each be read in 32-byte pieces lda apart, once per panel) and each 64-byte
// line of a panel is written whole. Reference loop (PackA8TGeneric):
//
//	for q := 0; q < panels; q++ {
//		for p := 0; p < k; p++ {
//			for i := 0; i < 8; i++ {
//				dst[q*8*k+p*8+i] = a[p*lda+q*8+i]
//			}
//		}
//	}
//
// len(a) ≥ (k-1)·lda + 8·panels, len(dst) ≥ 8k·panels (unchecked).
//
//go:noescape
func PackA8TAVX(k int, a []float32, lda int, dst []float32, panels int)
