//go:build !purego

#include "textflag.h"

// dotMask8<>: eight all-ones words then eight zeros; the 8 words at
// dotMask8<>+4·(8-r) are the VMASKMOVPS mask of the first r lanes.
DATA dotMask8<>+0(SB)/8, $-1
DATA dotMask8<>+8(SB)/8, $-1
DATA dotMask8<>+16(SB)/8, $-1
DATA dotMask8<>+24(SB)/8, $-1
DATA dotMask8<>+32(SB)/8, $0
DATA dotMask8<>+40(SB)/8, $0
DATA dotMask8<>+48(SB)/8, $0
DATA dotMask8<>+56(SB)/8, $0
GLOBL dotMask8<>(SB), RODATA|NOPTR, $64

// Register use of SgemvDot4AVX2:
//	SI  row 0 of A at column p    R8, R9, R10  offsets of rows 1..3 (clamped to the last)
//	BX  x[p]    CX  columns left    Y0..Y3  the 8-lane partial sums of rows 0..3
//	Y4  x[p:p+8]    Y9  the tail's mask

// DOT2_STORE reduces the partial sums in YACC pairwise to one value, scales it, adds
// beta·y[i] if beta ≠ 0 (BX ≠ 0; X14 = beta, X13 = alpha) and stores it at (DI);
// stops after the last row.
#define DOT2_STORE(YACC, XACC) \
	VEXTRACTF128 $1, YACC, X12 \
	VADDPS X12, XACC, XACC \
	VMOVHLPS XACC, XACC, X12 \
	VADDPS X12, XACC, XACC \
	VPSHUFD $1, XACC, X12 \
	VADDSS X12, XACC, XACC \
	VMULSS X13, XACC, XACC \
	TESTL BX, BX \
	JZ    2(PC) \
	VFMADD231SS (DI), X14, XACC \
	VMOVSS XACC, (DI) \
	ADDQ  DX, DI \
	DECQ  CX \
	JZ    done

// func SgemvDot4AVX2(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32)
TEXT ·SgemvDot4AVX2(SB), NOSPLIT, $0-112
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
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ CX, $8
	JLT  tail

loop:
	VMOVUPS (BX), Y4
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS (SI)(R8*1), Y4, Y1
	VFMADD231PS (SI)(R9*1), Y4, Y2
	VFMADD231PS (SI)(R10*1), Y4, Y3
	ADDQ $32, SI
	ADDQ $32, BX
	SUBQ $8, CX
	CMPQ CX, $8
	JGE  loop

tail:
	TESTQ CX, CX
	JZ    reduce
	LEAQ dotMask8<>+32(SB), AX
	SHLQ $2, CX
	SUBQ CX, AX
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
	VMOVSS alpha+104(FP), X13
	VMOVSS beta+108(FP), X14
	MOVL beta+108(FP), BX
	ANDL $0x7fffffff, BX
	MOVQ y_base+64(FP), DI
	MOVQ incy+88(FP), DX
	SHLQ $2, DX
	MOVQ rows+96(FP), CX
	DOT2_STORE(Y0, X0)
	DOT2_STORE(Y1, X1)
	DOT2_STORE(Y2, X2)
	DOT2_STORE(Y3, X3)

done:
	VZEROUPPER
	RET
