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
// accumulators (SMALL_FINISH).
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

// func SgemmSmall8x32AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall8x32AVX512(SB), NOSPLIT, $0-136
	COLS_MASK_K1
	SHRL  $16, DX
	KMOVW DX, K2
	SMALL_PREFETCH_C8(0)
	SMALL_PREFETCH_C8(64)
	SMALL_START8
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
	BCST2_FMA4((SI), (SI)(R8*1), Z20, Z21, Z0, Z8, Z1, Z9)
	BCST2_FMA4((SI)(R9*1), (SI)(R10*1), Z22, Z23, Z2, Z10, Z3, Z11)
	BCST2_FMA4((SI)(R11*1), (SI)(R12*1), Z24, Z25, Z4, Z12, Z5, Z13)
	BCST2_FMA4((SI)(R13*1), (SI)(AX*1), Z26, Z27, Z6, Z14, Z7, Z15)
	STEP_NEXT

	SMALL_FINISH(Z19, Z18, S32_SCALE, S32_STORE8)
