//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemvDot4AVX2:
//	SI  row 0 of A at column p    R8, R9, R10  offsets of rows 1..3 (clamped to the last)
//	BX  x[p]    CX  columns left    Y0..Y3  the 8-lane partial sums of rows 0..3
//	Y4  x[p:p+8]    Y9  the tail's mask

// GEMV_DOT_FINISH4(T) stores the four rows of Y0..Y3 with GEMV_DOT_FINISH.
#define GEMV_DOT_FINISH4(T) \
	GEMV_DOT_FINISH(Y0, X0, T) \
	GEMV_DOT_FINISH(Y1, X1, T) \
	GEMV_DOT_FINISH(Y2, X2, T) \
	GEMV_DOT_FINISH(Y3, X3, T)

// func SgemvDot4AVX2(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32)
TEXT ·SgemvDot4AVX2(SB), NOSPLIT, $0-112
	GEMV_DOT_START(CLAMPED_OFFSETS4, k+0(FP), a_base+8(FP), lda+32(FP), x_base+40(FP), rows+96(FP))
	ZERO4(VXORPS, Y0, Y1, Y2, Y3)
	CMPQ CX, $8
	JLT  tail

loop:
	VMOVUPS (BX), Y4
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS (SI)(R8*1), Y4, Y1
	VFMADD231PS (SI)(R9*1), Y4, Y2
	VFMADD231PS (SI)(R10*1), Y4, Y3
	DOT_NEXT(32, 8)

tail:
	TESTQ CX, CX
	JZ    reduce
	LANE_MASK(CX, AX)
	VMOVUPS (AX), Y9
	VMASKMOVPS (BX), Y9, Y4
	VMASKMOVPS (SI), Y9, Y5
	VMASKMOVPS (SI)(R8*1), Y9, Y6
	VMASKMOVPS (SI)(R9*1), Y9, Y7
	VMASKMOVPS (SI)(R10*1), Y9, Y8
	VFMADD231PS Y5, Y4, Y0
	VFMADD231PS Y6, Y4, Y1
	VFMADD231PS Y7, Y4, Y2
	VFMADD231PS Y8, Y4, Y3

reduce:
	GEMV_DOT_STORE_REGS(alpha+104(FP), beta+108(FP), y_base+64(FP), incy+88(FP), rows+96(FP))
	GEMV_DOT_FINISH4(X12)

done:
	VZEROUPPER
	RET
