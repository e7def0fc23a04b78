//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemvDot8AVX512:
//	SI  row 0 of A at column p    R8..R13, AX  offsets of rows 1..7 (clamped to the last)
//	BX  x[p]    CX  columns left    Z0..Z7  the 16-lane partial sums of rows 0..7
//	Z16  x[p:p+16]    K1  the tail's lanes

// DOT_STORE folds the sixteen partial sums in ACC (YACC, XACC: its low 256 and 128
// bits) to eight, then GEMV_DOT_FINISH stores the row (Y15, X15 scratch).
#define DOT_STORE(ACC, YACC, XACC) \
	VEXTRACTF64X4 $1, ACC, Y15 \
	VADDPS Y15, YACC, YACC \
	GEMV_DOT_FINISH(YACC, XACC, X15)

// DOT_STORE4 stores four rows with DOT_STORE.
#define DOT_STORE4(A0, Y0_, X0_, A1, Y1_, X1_, A2, Y2_, X2_, A3, Y3_, X3_) \
	DOT_STORE(A0, Y0_, X0_) \
	DOT_STORE(A1, Y1_, X1_) \
	DOT_STORE(A2, Y2_, X2_) \
	DOT_STORE(A3, Y3_, X3_)

// DOT_STEP: one step of sixteen columns for the eight rows, the FMAs under mask K1
// (all lanes but in the tail; a masked lane of a partial sum keeps its value, as the
// reference loop leaves s[l] alone past column k).
#define DOT_STEP \
	VFMADD231PS (SI), Z16, K1, Z0 \
	VFMADD231PS (SI)(R8*1), Z16, K1, Z1 \
	VFMADD231PS (SI)(R9*1), Z16, K1, Z2 \
	VFMADD231PS (SI)(R10*1), Z16, K1, Z3 \
	VFMADD231PS (SI)(R11*1), Z16, K1, Z4 \
	VFMADD231PS (SI)(R12*1), Z16, K1, Z5 \
	VFMADD231PS (SI)(R13*1), Z16, K1, Z6 \
	VFMADD231PS (SI)(AX*1), Z16, K1, Z7

// func SgemvDot8AVX512(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32)
TEXT ·SgemvDot8AVX512(SB), NOSPLIT, $0-112
	GEMV_DOT_START(CLAMPED_OFFSETS8, k+0(FP), a_base+8(FP), lda+32(FP), x_base+40(FP), rows+96(FP))
	ZERO8(VPXORD, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	KXNORW K1, K1, K1
	CMPQ CX, $16
	JLT  tail

loop:
	VMOVUPS (BX), Z16
	DOT_STEP
	DOT_NEXT(64, 16)

tail:
	TESTQ CX, CX
	JZ    reduce
	MOVL  $1, DX
	SHLL  CX, DX
	DECL  DX
	KMOVW DX, K1
	VMOVUPS.Z (BX), K1, Z16
	DOT_STEP

reduce:
	GEMV_DOT_STORE_REGS(alpha+104(FP), beta+108(FP), y_base+64(FP), incy+88(FP), rows+96(FP))
	DOT_STORE4(Z0, Y0, X0, Z1, Y1, X1, Z2, Y2, X2, Z3, Y3, X3)
	DOT_STORE4(Z4, Y4, X4, Z5, Y5, X5, Z6, Y6, X6, Z7, Y7, X7)

done:
	VZEROUPPER
	RET
