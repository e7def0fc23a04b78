//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemvRow32AVX2:
//	SI  x[p]    DX  incx in bytes    BX  row p of B    DI  ldb in bytes    CX  steps left
//	Y0..Y3  the accumulators (columns 0-7, 8-15, 16-23, 24-31)    Y4  broadcast x[p]
//	Y5..Y8  row p of B    Y9..Y12  the VMASKMOVPS masks of the four groups of columns

// func SgemvRow32AVX2(k int, x []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta float32)
TEXT ·SgemvRow32AVX2(SB), NOSPLIT, $0-112
	MOVQ cols+96(FP), CX
	LANE_MASK(CX, DX)
	VMOVUPS (DX), Y9
	VMOVUPS 32(DX), Y10
	VMOVUPS 64(DX), Y11
	VMOVUPS 96(DX), Y12
	STEP_REGS(k+0(FP), x_base+8(FP), incx+32(FP), b_base+40(FP), ldb+64(FP))
	ZERO4(VXORPS, Y0, Y1, Y2, Y3)
	TESTQ CX, CX
	JZ    scale

loop:
	GEMV_ROW_STEP(VMASKMOVPS, 32, Y4, Y9, Y10, Y11, Y12, Y5, Y6, Y7, Y8, Y0, Y1, Y2, Y3)
	STEP_NEXT

	GEMV_ROW_FINISH(VMASKMOVPS, VMASKMOVPS, 32, Y5, Y13, Y14, Y9, Y10, Y11, Y12, Y0, Y1, Y2, Y3, alpha+104(FP), beta+108(FP), y_base+72(FP))
