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
// (SMALL_FINISH; alpha in Z17).
#define S8X16_SCALE SCALE8(Z17, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
#define S8X16_STORE S16_STORE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
#define S16X16_SCALE \
	S8X16_SCALE \
	SCALE8(Z17, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
#define S16X16_STORE \
	S8X16_STORE \
	S16_STORE8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

// S16_START: K1 = the first cols lanes, C's tile prefetched.
#define S16_START \
	COLS_MASK_K1 \
	SMALL_PREFETCH_C8(0)

// func SgemmSmall8x16AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall8x16AVX512(SB), NOSPLIT, $0-136
	S16_START
	SMALL_START8
	TESTQ CX, CX
	JZ    scale

loop:
	PREFETCHT0 (BX)(DI*8) // B's row eight steps ahead (see SgemmSmall8x32AVX512)
	VMOVUPS.Z (BX), K1, Z16
	FMA8_BCST(SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	STEP_NEXT

	SMALL_FINISH(Z17, Z18, S8X16_SCALE, S8X16_STORE)

// Register use of SgemmSmall16x16AVX512: as SgemmSmall8x16AVX512, plus R14 = op(A) at
// step p, row 8 (rows 8..15 at R14 plus the same offsets R8..R13, AX, unclamped:
// rows = 16); Z8..Z15 the accumulators of rows 8..15.

// func SgemmSmall16x16AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall16x16AVX512(SB), NOSPLIT, $0-136
	S16_START
	MOVQ rsA+32(FP), DX
	SHLQ $2, DX
	OFFSETS7
	MOVQ a_base+8(FP), SI
	LEAQ (SI)(DX*8), R14
	SMALL_LOOP_REGS
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

	SMALL_FINISH(Z17, Z18, S16X16_SCALE, S16X16_STORE)
