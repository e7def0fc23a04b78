//go:build !purego

#include "textflag.h"

// func PackA6AVX(k int, a []float32, lda int, dst []float32)
//
// SI, R9..R13: the six source rows; DI: the panel; CX: steps left.
TEXT ·PackA6AVX(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a_base+8(FP), SI
	MOVQ lda+32(FP), R8
	MOVQ dst_base+40(FP), DI
	SHLQ $2, R8
	LEAQ (SI)(R8*1), R9
	LEAQ (SI)(R8*2), R10
	LEAQ (R9)(R8*2), R11
	LEAQ (SI)(R8*4), R12
	LEAQ (R9)(R8*4), R13
	XORQ AX, AX // byte offset into the rows

pack6_loop4:
	CMPQ CX, $4
	JLT  pack6_tail
	VMOVUPS (SI)(AX*1), X0
	VMOVUPS (R9)(AX*1), X1
	VMOVUPS (R10)(AX*1), X2
	VMOVUPS (R11)(AX*1), X3
	VMOVUPS (R12)(AX*1), X4
	VMOVUPS (R13)(AX*1), X5
	VUNPCKLPS X1, X0, X6   // r0[0] r1[0] r0[1] r1[1]
	VUNPCKHPS X1, X0, X7   // r0[2] r1[2] r0[3] r1[3]
	VUNPCKLPS X3, X2, X8   // r2[0] r3[0] r2[1] r3[1]
	VUNPCKHPS X3, X2, X9   // r2[2] r3[2] r2[3] r3[3]
	VUNPCKLPS X5, X4, X10  // r4[0] r5[0] r4[1] r5[1]
	VUNPCKHPS X5, X4, X11  // r4[2] r5[2] r4[3] r5[3]
	VMOVLHPS  X8, X6, X0   // r0..r3 [0]
	VMOVHLPS  X6, X8, X1   // r0..r3 [1]
	VMOVLHPS  X9, X7, X2   // r0..r3 [2]
	VMOVHLPS  X7, X9, X3   // r0..r3 [3]
	VMOVUPS X0, (DI)
	VMOVLPS X10, 16(DI)
	VMOVUPS X1, 24(DI)
	VMOVHPS X10, 40(DI)
	VMOVUPS X2, 48(DI)
	VMOVLPS X11, 64(DI)
	VMOVUPS X3, 72(DI)
	VMOVHPS X11, 88(DI)
	ADDQ $16, AX
	ADDQ $96, DI
	SUBQ $4, CX
	JMP  pack6_loop4

pack6_tail:
	TESTQ CX, CX
	JEQ   pack6_done
	MOVL (SI)(AX*1), DX
	MOVL DX, (DI)
	MOVL (R9)(AX*1), DX
	MOVL DX, 4(DI)
	MOVL (R10)(AX*1), DX
	MOVL DX, 8(DI)
	MOVL (R11)(AX*1), DX
	MOVL DX, 12(DI)
	MOVL (R12)(AX*1), DX
	MOVL DX, 16(DI)
	MOVL (R13)(AX*1), DX
	MOVL DX, 20(DI)
	ADDQ $4, AX
	ADDQ $24, DI
	DECQ CX
	JMP  pack6_tail

pack6_done:
	RET
