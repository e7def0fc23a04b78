//go:build !purego

#include "textflag.h"
#include "args_amd64.h"
#include "gemm_amd64.h"
#include "transpose8_amd64.h"

// COPY1(SRC, OFF) copies the float at SRC to OFF(DI), through DX.
#define COPY1(SRC, OFF) \
	MOVL SRC, DX \
	MOVL DX, OFF(DI)

// func PackA6AVX(k int, a []float32, lda int, dst []float32)
//
// SI, R9..R13: the six source rows; DI: the panel; CX: steps left.
TEXT ·PackA6AVX(SB), NOSPLIT, $0-64
	PACK_ARGS(k+0(FP), a_base+8(FP), lda+32(FP), dst_base+40(FP))
	ROWS6(SI)
	XORQ AX, AX // byte offset into the rows

pack6_loop4:
	CMPQ CX, $4
	JLT  pack6_tail
	// Short row segments (kc values) defeat the hardware prefetcher's ramp-up: ask
	// for each row's data 256 bytes ahead.
	PREFETCHT0 256(SI)(AX*1)
	PREFETCHT0 256(R9)(AX*1)
	PREFETCHT0 256(R10)(AX*1)
	PREFETCHT0 256(R11)(AX*1)
	PREFETCHT0 256(R12)(AX*1)
	PREFETCHT0 256(R13)(AX*1)
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
	COPY1((SI)(AX*1), 0)
	COPY1((R9)(AX*1), 4)
	COPY1((R10)(AX*1), 8)
	COPY1((R11)(AX*1), 12)
	COPY1((R12)(AX*1), 16)
	COPY1((R13)(AX*1), 20)
	ADDQ $4, AX
	ADDQ $24, DI
	DECQ CX
	JMP  pack6_tail

pack6_done:
	RET

// PACKB_ROWS(V0, V1, V2, V3, W) is the body of PackB16AVX (YMM registers, W = 32)
// and PackB32AVX512 (ZMM, W = 64): each step of k copies one 2W-byte row of B (SI,
// stride R8 in bytes) to the panel (DI), two rows per iteration, CX steps.
#define PACKB_ROWS(V0, V1, V2, V3, W) \
	LEAQ (SI)(R8*1), R9     \
	LEAQ (R8)(R8*1), R10    \
loop2:                      \
	CMPQ CX, $2             \
	JLT  tail               \
	VMOVUPS (SI), V0        \
	VMOVUPS W(SI), V1       \
	VMOVUPS (R9), V2        \
	VMOVUPS W(R9), V3       \
	VMOVUPS V0, (DI)        \
	VMOVUPS V1, W(DI)       \
	VMOVUPS V2, (2*W)(DI)   \
	VMOVUPS V3, (3*W)(DI)   \
	ADDQ R10, SI            \
	ADDQ R10, R9            \
	ADDQ $(4*W), DI         \
	SUBQ $2, CX             \
	JMP  loop2              \
tail:                       \
	TESTQ CX, CX            \
	JEQ   done              \
	VMOVUPS (SI), V0        \
	VMOVUPS W(SI), V1       \
	VMOVUPS V0, (DI)        \
	VMOVUPS V1, W(DI)       \
done:                       \
	VZEROUPPER              \
	RET

// func PackB16AVX(k int, b []float32, ldb int, dst []float32)
TEXT ·PackB16AVX(SB), NOSPLIT, $0-64
	PACK_ARGS(k+0(FP), b_base+8(FP), ldb+32(FP), dst_base+40(FP))
	PACKB_ROWS(Y0, Y1, Y2, Y3, 32)

// TRANSPOSE8S is TRANSPOSE8 with the row stride of the destination panel as a
// parameter: row q of the transposed block goes to DOFF+STRIDE·q(DI).
#define TRANSPOSE8S(R0, R1, R2, R3, R4, R5, R6, R7, DOFF, STRIDE) \
	VMOVUPS R0, Y0                         \
	VMOVUPS R1, Y1                         \
	VMOVUPS R2, Y2                         \
	VMOVUPS R3, Y3                         \
	VMOVUPS R4, Y4                         \
	VMOVUPS R5, Y5                         \
	VMOVUPS R6, Y6                         \
	VMOVUPS R7, Y7                         \
	TRANSPOSE8X8                           \
	VMOVUPS Y8, (DOFF+0*STRIDE)(DI)        \
	VMOVUPS Y9, (DOFF+1*STRIDE)(DI)        \
	VMOVUPS Y10, (DOFF+2*STRIDE)(DI)       \
	VMOVUPS Y11, (DOFF+3*STRIDE)(DI)       \
	VMOVUPS Y12, (DOFF+4*STRIDE)(DI)       \
	VMOVUPS Y13, (DOFF+5*STRIDE)(DI)       \
	VMOVUPS Y14, (DOFF+6*STRIDE)(DI)       \
	VMOVUPS Y15, (DOFF+7*STRIDE)(DI)

// TRANSPOSE8 loads eight values from each of eight rows (addresses R0..R7), transposes
// the 8×8 block and stores row q of the result at DOFF+64·q(DI): eight consecutive
// steps of k, eight columns of the 16-wide panel each.
#define TRANSPOSE8(R0, R1, R2, R3, R4, R5, R6, R7, DOFF) TRANSPOSE8S(R0, R1, R2, R3, R4, R5, R6, R7, DOFF, 64)

// func PackB16TAVX(k int, b []float32, ldb int, dst []float32)
//
// Rows 0-7 of B are SI+{0,1,2}·R8, R9+{0,1,2}·R8, R10+{0,1}·R8; rows 8-15 are
// AX+{0,1,2}·R8, BX+{0,1,2}·R8, R11+{0,1}·R8 (R8 = ldb in bytes). All six base
// pointers advance along the rows together.
TEXT ·PackB16TAVX(SB), NOSPLIT, $0-64
	PACK_ARGS(k+0(FP), b_base+8(FP), ldb+32(FP), dst_base+40(FP))
	LEAQ (R8)(R8*2), DX   // 3 rows
	LEAQ (SI)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (SI)(R8*8), AX
	LEAQ (AX)(DX*1), BX
	LEAQ (BX)(DX*1), R11

packbt_loop8:
	CMPQ CX, $8
	JLT  packbt_tail
	TRANSPOSE8((SI), (SI)(R8*1), (SI)(R8*2), (R9), (R9)(R8*1), (R9)(R8*2), (R10), (R10)(R8*1), 0)
	TRANSPOSE8((AX), (AX)(R8*1), (AX)(R8*2), (BX), (BX)(R8*1), (BX)(R8*2), (R11), (R11)(R8*1), 32)
	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, R11
	ADDQ $512, DI
	SUBQ $8, CX
	JMP  packbt_loop8

	// One step at a time: the sixteen values of column p, walking down the rows.
packbt_tail:
	TESTQ CX, CX
	JEQ   packbt_done
	MOVQ SI, R12
	MOVQ $16, R13

packbt_col:
	COPY1((R12), 0)
	ADDQ R8, R12
	ADDQ $4, DI
	DECQ R13
	JNE  packbt_col
	ADDQ $4, SI
	DECQ CX
	JMP  packbt_tail

packbt_done:
	VZEROUPPER
	RET

// The 8-row packers address their eight source rows as (SI), (SI)(R8*1),
// (SI)(R8*2), (R9), (SI)(R8*4), (R9)(R8*2), (R10), (R9)(R8*4): R8 is the row stride
// in bytes, R9 = SI+3·R8, R10 = SI+6·R8.

// COPY8 copies the value at the start of each of the eight source rows to eight
// consecutive floats at DI (one step of an 8-wide panel or group).
#define COPY8 \
	COPY1((SI), 0)          \
	COPY1((SI)(R8*1), 4)    \
	COPY1((SI)(R8*2), 8)    \
	COPY1((R9), 12)         \
	COPY1((SI)(R8*4), 16)   \
	COPY1((R9)(R8*2), 20)   \
	COPY1((R10), 24)        \
	COPY1((R9)(R8*4), 28)

// ROWS8 sets R9 = SI+3·R8 and R10 = SI+6·R8 (R8 in bytes). Clobbers DX.
#define ROWS8 \
	LEAQ (R8)(R8*2), DX \
	LEAQ (SI)(DX*1), R9 \
	LEAQ (R9)(DX*1), R10

// PACK8_LOOPS(PREFETCH, STRIDE) packs the eight source rows into an 8-wide group of
// a panel whose steps are STRIDE bytes apart (DI), CX steps: eight steps at a time
// through TRANSPOSE8S (after PREFETCH), then one at a time with COPY8. It falls
// through when the steps are done. Labels are local to each TEXT, so the macro
// serves one packer each.
#define PACK8_LOOPS(PREFETCH, STRIDE) \
loop8:                    \
	CMPQ CX, $8           \
	JLT  tail8            \
	PREFETCH              \
	TRANSPOSE8S((SI), (SI)(R8*1), (SI)(R8*2), (R9), (SI)(R8*4), (R9)(R8*2), (R10), (R9)(R8*4), 0, STRIDE) \
	ADDQ $32, SI          \
	ADDQ $32, R9          \
	ADDQ $32, R10         \
	ADDQ $(8*STRIDE), DI  \
	SUBQ $8, CX           \
	JMP  loop8            \
tail8:                    \
	TESTQ CX, CX          \
	JEQ   done8           \
	COPY8                 \
	ADDQ $4, SI           \
	ADDQ $4, R9           \
	ADDQ $4, R10          \
	ADDQ $STRIDE, DI      \
	DECQ CX               \
	JMP  tail8            \
done8:

// PREFETCH8: short row segments (kc values) defeat the hardware prefetcher's
// ramp-up, so PackA8AVX asks for each row's data 256 bytes ahead.
#define PREFETCH8 \
	PREFETCHT0 256(SI)       \
	PREFETCHT0 256(SI)(R8*1) \
	PREFETCHT0 256(SI)(R8*2) \
	PREFETCHT0 256(R9)       \
	PREFETCHT0 256(SI)(R8*4) \
	PREFETCHT0 256(R9)(R8*2) \
	PREFETCHT0 256(R10)      \
	PREFETCHT0 256(R9)(R8*4)

#define NO_PREFETCH

// func PackA8AVX(k int, a []float32, lda int, dst []float32)
TEXT ·PackA8AVX(SB), NOSPLIT, $0-64
	PACK_ARGS(k+0(FP), a_base+8(FP), lda+32(FP), dst_base+40(FP))
	ROWS8
	PACK8_LOOPS(PREFETCH8, 32)
	VZEROUPPER
	RET

// func PackB32AVX512(k int, b []float32, ldb int, dst []float32)
TEXT ·PackB32AVX512(SB), NOSPLIT, $0-64
	PACK_ARGS(k+0(FP), b_base+8(FP), ldb+32(FP), dst_base+40(FP))
	PACKB_ROWS(Z0, Z1, Z2, Z3, 64)

// func PackB32TAVX(k int, b []float32, ldb int, dst []float32)
//
// The 32 rows of B are gathered as four groups of eight (rows addressed from SI, R9, R10); each
// group fills columns 8g..8g+7 of every step of the panel (DI starts 32g bytes in and
// advances 128 bytes per step). R11 counts the groups; R12, R13 and BX keep b, dst
// and k for the next group.
TEXT ·PackB32TAVX(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), BX
	MOVQ b_base+8(FP), R12
	MOVQ ldb+32(FP), R8
	MOVQ dst_base+40(FP), R13
	SHLQ $2, R8
	MOVQ $4, R11

packb32t_group:
	MOVQ BX, CX
	MOVQ R12, SI
	MOVQ R13, DI
	ROWS8
	PACK8_LOOPS(NO_PREFETCH, 128)

packb32t_next:
	LEAQ (R12)(R8*8), R12 // the next eight rows
	ADDQ $32, R13         // the next eight columns of the panel
	DECQ R11
	JNE  packb32t_group
	VZEROUPPER
	RET

// func PackA8TAVX(k int, a []float32, lda int, dst []float32, panels int)
//
// op(A) = Aᵀ: two rows of A at a time (SI and SI+R8), each read front to back across
// the panels; panel q's two steps are one 64-byte store at DI + q·DX (DX = 32k, the
// panel's size in bytes). R9/R10 walk the two rows, R11 the panels, R12 counts them.
TEXT ·PackA8TAVX(SB), NOSPLIT, $0-72
	PACK_ARGS(k+0(FP), a_base+8(FP), lda+32(FP), dst_base+40(FP))
	MOVQ panels+64(FP), BX
	MOVQ CX, DX
	SHLQ $5, DX

packat_rows2:
	CMPQ CX, $2
	JLT  packat_row1
	MOVQ SI, R9
	LEAQ (SI)(R8*1), R10
	MOVQ DI, R11
	MOVQ BX, R12

packat_pan2:
	CMPQ R12, $2
	JLT  packat_pan1
	VMOVUPS (R9), Y0
	VMOVUPS (R10), Y1
	VMOVUPS 32(R9), Y2
	VMOVUPS 32(R10), Y3
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)
	VMOVUPS Y2, (R11)(DX*1)
	VMOVUPS Y3, 32(R11)(DX*1)
	ADDQ $64, R9
	ADDQ $64, R10
	LEAQ (R11)(DX*2), R11
	SUBQ $2, R12
	JMP  packat_pan2

packat_pan1:
	TESTQ R12, R12
	JEQ   packat_next2
	VMOVUPS (R9), Y0
	VMOVUPS (R10), Y1
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)

packat_next2:
	LEAQ (SI)(R8*2), SI
	ADDQ $64, DI
	SUBQ $2, CX
	JMP  packat_rows2

	// k odd: the last row alone.
packat_row1:
	TESTQ CX, CX
	JEQ   packat_done

packat_last:
	TESTQ BX, BX
	JEQ   packat_done
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ DX, DI
	DECQ BX
	JMP  packat_last

packat_done:
	VZEROUPPER
	RET
