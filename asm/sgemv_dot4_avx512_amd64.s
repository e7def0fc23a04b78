//go:build !purego

#include "textflag.h"

// Register use of SgemvDot4AVX512:
//	SI  row 0 of A at column p    R8, R9, R10  offsets of rows 1..3 (clamped to the last)
//	BX  x[p]    CX  columns left    Z0..Z3  the 16-lane partial sums of rows 0..3
//	Z16  x[p:p+16]    K1  the tail's lanes

// DOT_STORE reduces the partial sums in ACC (Z register; XACC and YACC name its low
// 128 and 256 bits) pairwise to one value, scales it, adds beta·y[i] if beta ≠ 0
// (BX ≠ 0; X14 = beta, X13 = alpha; X15, Y15 scratch) and stores it at (DI); stops after the last row.
#define DOT_STORE(ACC, YACC, XACC) \
	VEXTRACTF64X4 $1, ACC, Y15 \
	VADDPS Y15, YACC, YACC \
	VEXTRACTF128 $1, YACC, X15 \
	VADDPS X15, XACC, XACC \
	VMOVHLPS XACC, XACC, X15 \
	VADDPS X15, XACC, XACC \
	VPSHUFD $1, XACC, X15 \
	VADDSS X15, XACC, XACC \
	VMULSS X13, XACC, XACC \
	TESTL BX, BX \
	JZ    2(PC) \
	VFMADD231SS (DI), X14, XACC \
	VMOVSS XACC, (DI) \
	ADDQ  DX, DI \
	DECQ  CX \
	JZ    done

// func SgemvDot4AVX512(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32)
TEXT ·SgemvDot4AVX512(SB), NOSPLIT, $0-112
	MOVQ lda+32(FP), DX
	SHLQ $2, DX
	MOVQ rows+96(FP), CX
	XORQ R8, R8
	CMPQ CX, $1
	CMOVQGT DX, R8
	LEAQ (R8)(DX*1), R9
	CMPQ CX, $2
	CMOVQLE R8, R9
	LEAQ (R9)(DX*1), R10
	CMPQ CX, $3
	CMOVQLE R9, R10
	MOVQ a_base+8(FP), SI
	MOVQ x_base+40(FP), BX
	MOVQ k+0(FP), CX
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
	VMOVSS alpha+104(FP), X13
	VMOVSS beta+108(FP), X14
	MOVL beta+108(FP), BX
	ANDL $0x7fffffff, BX
	MOVQ y_base+64(FP), DI
	MOVQ incy+88(FP), DX
	SHLQ $2, DX
	MOVQ rows+96(FP), CX
	DOT_STORE(Z0, Y0, X0)
	DOT_STORE(Z1, Y1, X1)
	DOT_STORE(Z2, Y2, X2)
	DOT_STORE(Z3, Y3, X3)

done:
	VZEROUPPER
	RET
