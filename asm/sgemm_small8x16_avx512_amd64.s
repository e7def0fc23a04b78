//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemmSmall8x16AVX512:
//	SI  op(A) at step p (row 0)    R8..R13, AX  offsets of rows 1..7 from row 0
//	DX  csA in bytes               BX  row p of op(B)    DI  ldb in bytes    CX  steps left
//	Z0..Z7  the accumulators (row i in Zi)    Z16  row p of op(B) (K1-masked)
//	K1  the first cols lanes

// S16_STORE writes row ACC of the tile to (SI), masked to the first cols lanes; with
// beta ≠ 0 (BX ≠ 0) it first adds beta·C (Z18 = beta). Stops after the last row.
#define S16_STORE(ACC) \
	STORE1_BETA(VMOVUPS.Z, VMOVUPS, K1, Z17, Z18, ACC, 0) \
	NEXT_ROW

// S16_STORE8 writes eight rows (accumulators A0..A7) with S16_STORE.
#define S16_STORE8(A0, A1, A2, A3, A4, A5, A6, A7) \
	S16_STORE(A0) \
	S16_STORE(A1) \
	S16_STORE(A2) \
	S16_STORE(A3) \
	S16_STORE(A4) \
	S16_STORE(A5) \
	S16_STORE(A6) \
	S16_STORE(A7)

// The scaling and stores of SgemmSmall8x16AVX512 and SgemmSmall16x16AVX512
// (TILE_FINISH; alpha in Z17).
#define S8X16_SCALE SCALE8(Z17, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
#define S8X16_STORE S16_STORE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
#define S16X16_SCALE_BY(ALPHA) \
	SCALE8(ALPHA, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7) \
	SCALE8(ALPHA, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
#define S16X16_SCALE S16X16_SCALE_BY(Z17)
#define S16X16_STORE \
	S8X16_STORE \
	S16_STORE8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

// func SgemmSmall8x16AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall8x16AVX512(SB), NOSPLIT, $0-136
	COLS_MASK_K1(cols+120(FP))
	PREFETCH_C8(c_base+80(FP), ldc+104(FP), 0)
	TILE_START8(k+0(FP), a_base+8(FP), rsA+32(FP), csA+40(FP), b_base+48(FP), ldb+72(FP), rows+112(FP))
	TESTQ CX, CX
	JZ    scale

loop:
	PREFETCHT0 (BX)(DI*8) // B's row eight steps ahead (see SgemmSmall8x32AVX512)
	VMOVUPS.Z (BX), K1, Z16
	FMA8_BCST(SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	STEP_NEXT

	TILE_FINISH(Z17, Z18, S8X16_SCALE, S8X16_STORE, alpha+128(FP), beta+132(FP), c_base+80(FP), ldc+104(FP), rows+112(FP))

// Register use of SgemmSmall16x16AVX512: as SgemmSmall8x16AVX512, plus R14 = op(A) at
// step p, row 8 (rows 8..15 at R14 plus the same offsets R8..R13, AX, unclamped:
// rows = 16); Z8..Z15 the accumulators of rows 8..15.

// func SgemmSmall16x16AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall16x16AVX512(SB), NOSPLIT, $0-136
	COLS_MASK_K1(cols+120(FP))
	PREFETCH_C8(c_base+80(FP), ldc+104(FP), 0)
	MOVQ rsA+32(FP), DX
	SHLQ $2, DX
	OFFSETS7
	MOVQ a_base+8(FP), SI
	LEAQ (SI)(DX*8), R14
	STEP_REGS(k+0(FP), a_base+8(FP), csA+40(FP), b_base+48(FP), ldb+72(FP))
	ZERO8(VPXORD, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ZERO8(VPXORD, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	TESTQ CX, CX
	JZ    scale

loop:
	PREFETCHT0 (BX)(DI*8)
	VMOVUPS.Z (BX), K1, Z16
	FMA8_BCST(SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	FMA8_BCST(R14, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	ADDQ DX, R14
	STEP_NEXT

	TILE_FINISH(Z17, Z18, S16X16_SCALE, S16X16_STORE, alpha+128(FP), beta+132(FP), c_base+80(FP), ldc+104(FP), rows+112(FP))

// Register use of SgemmSmallBatch16x16AVX512 (one call: count products, each rows/16
// full 16×16 tiles, top to bottom, of one 16-column block of C):
//	SI, R14  A at step p, rows 0 and 8 of the tile    R8..R13, AX  offsets of rows 1..7
//	BX  row p of B    DI  ldb in bytes    CX  steps left    DX  the prefetch's offset of B
//	(the same lines of the product ahead on)    R15  DX + DI (row p+1's)
//	Z0..Z15  the accumulators (row i in Zi)    Z16, Z17  rows p, p+1 of B
//	Z18  beta    Z19  alpha
//	tiles-8(SP)  tiles left    astep-16(SP)  SI's move to the next tile, 64·lda − 4·k
//	lda8-24(SP)  8·lda in bytes    ctile-32(SP)  the tile's row 0 of C
//	left-40(SP)  products left    aprod, bprod, cprod-48..64(SP)  the product's A, B, C
//	nexta, nextb-72..80(SP)  ahead·strideA, ahead·strideB in bytes
//	steps-88(SP)  CX while the A prefetch borrows it

// PANEL16_ROW(ACC), PANEL16_ROW_NT(ACC), PANEL16_ROW_BETA(ACC): row ACC of the tile
// written to (DI), in the second past the caches (DI 64-byte aligned), in the third
// with beta·C added first; DI moves on to C's next row (CX = ldc in bytes).
#define PANEL16_ROW(ACC) \
	VMOVUPS ACC, (DI) \
	ADDQ CX, DI
#define PANEL16_ROW_NT(ACC) \
	VMOVNTPS ACC, (DI) \
	ADDQ CX, DI
#define PANEL16_ROW_BETA(ACC) \
	VFMADD231PS (DI), Z18, ACC \
	PANEL16_ROW(ACC)

// PANEL16_ROWS8(ROW, A0, A1, A2, A3, A4, A5, A6, A7): eight rows with ROW.
#define PANEL16_ROWS8(ROW, A0, A1, A2, A3, A4, A5, A6, A7) \
	ROW(A0) \
	ROW(A1) \
	ROW(A2) \
	ROW(A3) \
	ROW(A4) \
	ROW(A5) \
	ROW(A6) \
	ROW(A7)

// FMA8_BCST_AT(OFF, BASE, B, A0, ..., A7): Ai += B · the broadcast OFF(BASE) of row i
// (rows 1..7 at R8..R13, AX from BASE).
#define FMA8_BCST_AT(OFF, BASE, B, A0, A1, A2, A3, A4, A5, A6, A7) \
	VFMADD231PS.BCST OFF(BASE), B, A0 \
	VFMADD231PS.BCST OFF(BASE)(R8*1), B, A1 \
	VFMADD231PS.BCST OFF(BASE)(R9*1), B, A2 \
	VFMADD231PS.BCST OFF(BASE)(R10*1), B, A3 \
	VFMADD231PS.BCST OFF(BASE)(R11*1), B, A4 \
	VFMADD231PS.BCST OFF(BASE)(R12*1), B, A5 \
	VFMADD231PS.BCST OFF(BASE)(R13*1), B, A6 \
	VFMADD231PS.BCST OFF(BASE)(AX*1), B, A7

// BATCH16_STEP(OFF, B): one step of k of the 16×16 tile, row p of B in B, A's
// column OFF bytes past SI and R14.
#define BATCH16_STEP(OFF, B) \
	FMA8_BCST_AT(OFF, SI, B, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7) \
	FMA8_BCST_AT(OFF, R14, B, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

// STRIDE_BYTES(STRIDE, AHEAD, DST): DST = STRIDE·AHEAD·4 (clobbers CX).
#define STRIDE_BYTES(STRIDE, AHEAD, DST) \
	MOVQ STRIDE, CX \
	IMULQ AHEAD, CX \
	SHLQ $2, CX \
	MOVQ CX, DST

// NEXT_PRODUCT(STRIDE, PROD): PROD (a stack slot) moves STRIDE elements on (clobbers CX).
#define NEXT_PRODUCT(STRIDE, PROD) \
	MOVQ STRIDE, CX \
	SHLQ $2, CX \
	ADDQ CX, PROD

// func SgemmSmallBatch16x16AVX512(count, k int, a []float32, lda, strideA int, b []float32, ldb, strideB int, c []float32, ldc, strideC int, rows int, alpha, beta float32, ahead int, stream bool)
TEXT ·SgemmSmallBatch16x16AVX512(SB), NOSPLIT, $88-161
	MOVQ count+0(FP), CX
	TESTQ CX, CX
	JZ    done
	MOVQ CX, left-40(SP)
	MOVQ rows+136(FP), CX
	SHRQ $4, CX
	JZ   done
	MOVQ lda+40(FP), DX
	SHLQ $2, DX
	OFFSETS7
	MOVQ DX, CX
	SHLQ $4, CX
	MOVQ k+8(FP), BX
	SHLQ $2, BX
	SUBQ BX, CX
	MOVQ CX, astep-16(SP)
	SHLQ $3, DX
	MOVQ DX, lda8-24(SP)
	VBROADCASTSS alpha+144(FP), Z19
	VBROADCASTSS beta+148(FP), Z18
	MOVQ ahead+152(FP), DX
	STRIDE_BYTES(strideA+48(FP), DX, nexta-72(SP))
	STRIDE_BYTES(strideB+88(FP), DX, nextb-80(SP))
	MOVQ a_base+16(FP), CX
	MOVQ CX, aprod-48(SP)
	MOVQ b_base+56(FP), CX
	MOVQ CX, bprod-56(SP)
	MOVQ c_base+96(FP), CX
	MOVQ CX, cprod-64(SP)

product:
	MOVQ rows+136(FP), CX
	SHRQ $4, CX
	MOVQ CX, tiles-8(SP)
	MOVQ aprod-48(SP), SI
	MOVQ lda8-24(SP), CX
	LEAQ (SI)(CX*1), R14
	MOVQ cprod-64(SP), CX
	MOVQ CX, ctile-32(SP)

tile:
	MOVQ bprod-56(SP), BX
	MOVQ ldb+80(FP), DI
	SHLQ $2, DI
	MOVQ nextb-80(SP), DX
	LEAQ (DX)(DI*1), R15
	MOVQ k+8(FP), CX
	ZERO8(VPXORD, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ZERO8(VPXORD, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	TESTQ $1, CX // odd k: one step first, then pairs
	JZ    pairs
	PREFETCHT0 (BX)(DX*1)
	VMOVUPS (BX), Z16
	BATCH16_STEP(0, Z16)
	ADDQ $4, SI
	ADDQ $4, R14
	ADDQ DI, BX
	DECQ CX

pairs:
	TESTQ CX, CX
	JZ    scale

loop:
	TESTQ $15, CX // A's rows move to new lines every sixteen steps
	JNZ   step2
	MOVQ  CX, steps-88(SP)
	MOVQ  nexta-72(SP), CX
	ADDQ  SI, CX
	PREFETCH8_ROWS(PREFETCHT0, CX)
	ADDQ  lda8-24(SP), CX
	PREFETCH8_ROWS(PREFETCHT0, CX)
	MOVQ  steps-88(SP), CX

step2:
	PREFETCHT0 (BX)(DX*1)
	PREFETCHT0 (BX)(R15*1)
	VMOVUPS (BX), Z16
	VMOVUPS (BX)(DI*1), Z17
	BATCH16_STEP(0, Z16)
	BATCH16_STEP(4, Z17)
	LEAQ (BX)(DI*2), BX
	ADDQ $8, SI
	ADDQ $8, R14
	SUBQ $2, CX
	JNZ  loop

scale:
	MOVL alpha+144(FP), CX
	CMPL CX, $0x3f800000
	JEQ  store
	S16X16_SCALE_BY(Z19)

store:
	STORE_PANEL_REGS(ldc+120(FP), beta+148(FP))
	MOVQ ctile-32(SP), DI
	TESTL BX, BX
	JZ    store0
	PANEL16_ROWS8(PANEL16_ROW_BETA, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	PANEL16_ROWS8(PANEL16_ROW_BETA, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	JMP   next

store0:
	// beta = 0 with stream and the tile's rows 64-byte aligned: past the caches.
	MOVBLZX stream+160(FP), BX
	TESTL   BX, BX
	JZ      store0wb
	MOVQ    DI, BX
	ORQ     CX, BX
	TESTQ   $63, BX
	JNZ     store0wb
	PANEL16_ROWS8(PANEL16_ROW_NT, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	PANEL16_ROWS8(PANEL16_ROW_NT, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	JMP     next

store0wb:
	PANEL16_ROWS8(PANEL16_ROW, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	PANEL16_ROWS8(PANEL16_ROW, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

next:
	MOVQ DI, ctile-32(SP)
	MOVQ astep-16(SP), CX
	ADDQ CX, SI
	ADDQ CX, R14
	DECQ tiles-8(SP)
	JNZ  tile
	NEXT_PRODUCT(strideA+48(FP), aprod-48(SP))
	NEXT_PRODUCT(strideB+88(FP), bprod-56(SP))
	NEXT_PRODUCT(strideC+128(FP), cprod-64(SP))
	DECQ left-40(SP)
	JNZ  product
	SFENCE // the streamed rows are visible before the call returns

done:
	VZEROUPPER
	RET
