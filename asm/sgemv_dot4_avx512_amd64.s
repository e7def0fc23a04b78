//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemvDot4AVX512:
//	SI  row 0 of A at column p    R8, R9, R10  offsets of rows 1..3 (clamped to the last)
//	BX  x[p]    CX  columns left    Z0..Z3  the 16-lane partial sums of rows 0..3
//	Z16  x[p:p+16]    K1  the tail's lanes

// DOT_STORE folds the sixteen partial sums in ACC (YACC, XACC: its low 256 and 128
// bits) to eight, then GEMV_DOT_FINISH stores the row (Y15, X15 scratch).
#define DOT_STORE(ACC, YACC, XACC) \
	VEXTRACTF64X4 $1, ACC, Y15 \
	VADDPS Y15, YACC, YACC \
	GEMV_DOT_FINISH(YACC, XACC, X15)

// func SgemvDot4AVX512(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32)
TEXT ·SgemvDot4AVX512(SB), NOSPLIT, $0-112
	GEMV_DOT_START
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ CX, $16
	JLT  tail

loop:
	VMOVUPS (BX), Z16
	VFMADD231PS (SI), Z16, Z0
	VFMADD231PS (SI)(R8*1), Z16, Z1
	VFMADD231PS (SI)(R9*1), Z16, Z2
	VFMADD231PS (SI)(R10*1), Z16, Z3
	ADDQ $64, SI
	ADDQ $64, BX
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  loop

tail:
	TESTQ CX, CX
	JZ    reduce
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1
	VMOVUPS.Z (BX), K1, Z16
	VMOVUPS.Z (SI), K1, Z4
	VMOVUPS.Z (SI)(R8*1), K1, Z5
	VMOVUPS.Z (SI)(R9*1), K1, Z6
	VMOVUPS.Z (SI)(R10*1), K1, Z7
	VFMADD231PS Z4, Z16, Z0
	VFMADD231PS Z5, Z16, Z1
	VFMADD231PS Z6, Z16, Z2
	VFMADD231PS Z7, Z16, Z3

reduce:
	GEMV_DOT_STORE_REGS
	DOT_STORE(Z0, Y0, X0)
	DOT_STORE(Z1, Y1, X1)
	DOT_STORE(Z2, Y2, X2)
	DOT_STORE(Z3, Y3, X3)

done:
	VZEROUPPER
	RET
