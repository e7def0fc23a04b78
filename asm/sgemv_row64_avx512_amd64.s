//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemvRow64AVX512:
//	SI  x[p]    DX  incx in bytes    BX  row p of B    DI  ldb in bytes    CX  steps left
//	Z0..Z3  the accumulators (columns 0-15, 16-31, 32-47, 48-63)    Z16  broadcast x[p]
//	K1..K4  the first cols lanes of each group of 16 columns

// func SgemvRow64AVX512(k int, x []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta float32)
TEXT ·SgemvRow64AVX512(SB), NOSPLIT, $0-112
	MOVQ  cols+96(FP), CX
	MOVQ  $-1, DX
	BZHIQ CX, DX, DX
	KMOVW DX, K1
	SHRQ  $16, DX
	KMOVW DX, K2
	SHRQ  $16, DX
	KMOVW DX, K3
	SHRQ  $16, DX
	KMOVW DX, K4
	STEP_REGS(k+0(FP), x_base+8(FP), incx+32(FP), b_base+40(FP), ldb+64(FP))
	ZERO4(VPXORD, Z0, Z1, Z2, Z3)
	TESTQ CX, CX
	JZ    scale

loop:
	GEMV_ROW_STEP(VMOVUPS.Z, 64, Z16, K1, K2, K3, K4, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3)
	STEP_NEXT

	GEMV_ROW_FINISH(VMOVUPS.Z, VMOVUPS, 64, Z17, Z17, Z18, K1, K2, K3, K4, Z0, Z1, Z2, Z3, alpha+104(FP), beta+108(FP), y_base+72(FP))
