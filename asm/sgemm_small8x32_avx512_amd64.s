//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemmSmall8x32AVX512:
//	SI  op(A) at step p (row 0)    R8..R13, AX  offsets of rows 1..7 from row 0
//	DX  csA in bytes               BX  row p of op(B)    DI  ldb in bytes    CX  steps left
//	Z0..Z15  the accumulators: row i in Zi (columns 0-15) and Z(8+i) (16-31)
//	Z16, Z17  row p of op(B) (K1-, K2-masked)    Z20..Z27  broadcasts of A
//	K1, K2  the first cols lanes of columns 0-15 and 16-31

// S32_STORE writes row LO|HI of the tile to (SI), masked to the first cols columns;
// with beta ≠ 0 (BX ≠ 0) it first adds beta·C (Z18 = beta). Stops after the last row.
#define S32_STORE(LO, HI) \
	STORE2_BETA(VMOVUPS.Z, VMOVUPS, K1, K2, Z16, Z17, Z18, LO, HI, 64) \
	NEXT_ROW

// S32_SCALE, S32_STORE8: the scaling (alpha in Z19) and stores of the sixteen
// accumulators (TILE_FINISH).
#define S32_SCALE \
	SCALE8(Z19, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7) \
	SCALE8(Z19, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
#define S32_STORE8 \
	S32_STORE(Z0, Z8) \
	S32_STORE(Z1, Z9) \
	S32_STORE(Z2, Z10) \
	S32_STORE(Z3, Z11) \
	S32_STORE(Z4, Z12) \
	S32_STORE(Z5, Z13) \
	S32_STORE(Z6, Z14) \
	S32_STORE(Z7, Z15)

// BCST2_FMA4(M0, M1, T0, T1, LO0, HI0, LO1, HI1): two rows of op(A) broadcast from M0
// and M1 (into T0, T1), each times both halves of B's row p (Z16, Z17).
#define BCST2_FMA4(M0, M1, T0, T1, LO0, HI0, LO1, HI1) \
	VBROADCASTSS M0, T0 \
	VBROADCASTSS M1, T1 \
	VFMADD231PS Z16, T0, LO0 \
	VFMADD231PS Z17, T0, HI0 \
	VFMADD231PS Z16, T1, LO1 \
	VFMADD231PS Z17, T1, HI1

// S32_FMA16(OFF): the sixteen FMAs of a step of k: the eight rows of op(A) at byte OFF
// from SI (offsets R8..R13, AX) broadcast, times row p of op(B) in Z16, Z17.
#define S32_FMA16(OFF) \
	BCST2_FMA4(OFF(SI), OFF(SI)(R8*1), Z20, Z21, Z0, Z8, Z1, Z9) \
	BCST2_FMA4(OFF(SI)(R9*1), OFF(SI)(R10*1), Z22, Z23, Z2, Z10, Z3, Z11) \
	BCST2_FMA4(OFF(SI)(R11*1), OFF(SI)(R12*1), Z24, Z25, Z4, Z12, Z5, Z13) \
	BCST2_FMA4(OFF(SI)(R13*1), OFF(SI)(AX*1), Z26, Z27, Z6, Z14, Z7, Z15)

// func SgemmSmall8x32AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall8x32AVX512(SB), NOSPLIT, $0-136
	COLS_MASK_K1(cols+120(FP))
	SHRL  $16, DX
	KMOVW DX, K2
	PREFETCH_C8(c_base+80(FP), ldc+104(FP), 0)
	PREFETCH_C8(c_base+80(FP), ldc+104(FP), 64)
	TILE_START8(k+0(FP), a_base+8(FP), rsA+32(FP), csA+40(FP), b_base+48(FP), ldb+72(FP), rows+112(FP))
	ZERO8(VPXORD, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	TESTQ CX, CX
	JZ    scale

loop:
	// B's row eight steps ahead: a product whose operands are not yet cached (a
	// batch of fresh products) would otherwise wait on memory at every row.
	PREFETCHT0 (BX)(DI*8)
	PREFETCHT0 64(BX)(DI*8)
	VMOVUPS.Z (BX), K1, Z16
	VMOVUPS.Z 64(BX), K2, Z17
	S32_FMA16(0)
	STEP_NEXT

	TILE_FINISH(Z19, Z18, S32_SCALE, S32_STORE8, alpha+128(FP), beta+132(FP), c_base+80(FP), ldc+104(FP), rows+112(FP))

// Register use of SgemmSmallPanel8x32AVX512 (one call: rows/8 full 8×32 tiles, top to
// bottom, of one 32-column block of C):
//	SI  A at step p (row 0 of the tile)    R8..R13, AX  offsets of rows 1..7 (lda apart)
//	BX  row p of B    DI  ldb in bytes    CX  steps left    DX  the tile's row 0 of C
//	R14  nextB in bytes    R15  SI + nextA in bytes (the next product's A)
//	Z0..Z15  the accumulators (as SgemmSmall8x32AVX512)    Z16, Z17  row p of B
//	Z18  beta    Z19  alpha    Z20..Z27  broadcasts of A
//	tiles-8(SP)  tiles left    astep-16(SP)  SI's move to the next tile, 32·lda − 4·k

// PANEL_STEP(OFF): one step of k: the next product's lines of B's row p prefetched
// into L2, B's row p loaded, the sixteen FMAs with A at byte OFF from SI.
#define PANEL_STEP(OFF) \
	PREFETCHT1 (BX)(R14*1) \
	PREFETCHT1 64(BX)(R14*1) \
	VMOVUPS (BX), Z16 \
	VMOVUPS 64(BX), Z17 \
	ADDQ DI, BX \
	S32_FMA16(OFF)

// PANEL_ROW(LO, HI), PANEL_ROW_BETA(LO, HI): row LO|HI of the tile written to (DI),
// with beta·C added first in the second; DI moves on to C's next row (CX = ldc in
// bytes).
#define PANEL_ROW(LO, HI) \
	VMOVUPS LO, (DI) \
	VMOVUPS HI, 64(DI) \
	ADDQ CX, DI
#define PANEL_ROW_BETA(LO, HI) \
	VFMADD231PS (DI), Z18, LO \
	VFMADD231PS 64(DI), Z18, HI \
	PANEL_ROW(LO, HI)

// func SgemmSmallPanel8x32AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32, nextA, nextB, nextC int)
TEXT ·SgemmSmallPanel8x32AVX512(SB), NOSPLIT, $16-144
	START_PANEL(3, k+0(FP), a_base+8(FP), lda+32(FP), rows+104(FP), alpha+112(FP), beta+116(FP), nextA+120(FP))
	MOVQ nextB+128(FP), R14
	SHLQ $2, R14
	MOVQ c_base+72(FP), DX

tile:
	// This tile of C into L1 (the stores would wait on it), the next product's into L2.
	MOVQ ldc+96(FP), DI
	SHLQ $2, DI
	MOVQ DX, CX
	PREFETCH_ROWS8(PREFETCHT0, CX, DI)
	MOVQ nextC+136(FP), CX
	LEAQ (DX)(CX*4), CX
	PREFETCH_ROWS8(PREFETCHT1, CX, DI)
	MOVQ b_base+40(FP), BX
	MOVQ ldb+64(FP), DI
	SHLQ $2, DI
	MOVQ k+0(FP), CX
	ZERO8(VPXORD, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ZERO8(VPXORD, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	CMPQ CX, $4
	JLT  tail

loop4:
	TESTQ $12, CX // A's rows move to new lines every sixteen steps
	JNZ   steps4
	PREFETCH8_ROWS(PREFETCHT1, R15)

steps4:
	PANEL_STEP(0)
	PANEL_STEP(4)
	PANEL_STEP(8)
	PANEL_STEP(12)
	ADDQ $16, SI
	ADDQ $16, R15
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4

tail:
	TESTQ CX, CX
	JZ    scale
	PANEL_STEP(0)
	ADDQ $4, SI
	ADDQ $4, R15
	DECQ CX
	JMP  tail

scale:
	MOVL alpha+112(FP), CX
	CMPL CX, $0x3f800000
	JEQ  store
	S32_SCALE

store:
	STORE_PANEL_REGS(ldc+96(FP), beta+116(FP))
	MOVQ DX, DI
	TESTL BX, BX
	JZ    store0
	PANEL_ROW_BETA(Z0, Z8)
	PANEL_ROW_BETA(Z1, Z9)
	PANEL_ROW_BETA(Z2, Z10)
	PANEL_ROW_BETA(Z3, Z11)
	PANEL_ROW_BETA(Z4, Z12)
	PANEL_ROW_BETA(Z5, Z13)
	PANEL_ROW_BETA(Z6, Z14)
	PANEL_ROW_BETA(Z7, Z15)
	JMP  next

store0:
	PANEL_ROW(Z0, Z8)
	PANEL_ROW(Z1, Z9)
	PANEL_ROW(Z2, Z10)
	PANEL_ROW(Z3, Z11)
	PANEL_ROW(Z4, Z12)
	PANEL_ROW(Z5, Z13)
	PANEL_ROW(Z6, Z14)
	PANEL_ROW(Z7, Z15)

next:
	MOVQ DI, DX
	PANEL_END(NOP)
