//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// rowMask32<>: thirty-two all-ones words then thirty-two zeros; the 32 words at
// rowMask32<>+4·(32-cols) are the VMASKMOVPS masks of the first cols lanes.
DATA rowMask32<>+0(SB)/8, $-1
DATA rowMask32<>+8(SB)/8, $-1
DATA rowMask32<>+16(SB)/8, $-1
DATA rowMask32<>+24(SB)/8, $-1
DATA rowMask32<>+32(SB)/8, $-1
DATA rowMask32<>+40(SB)/8, $-1
DATA rowMask32<>+48(SB)/8, $-1
DATA rowMask32<>+56(SB)/8, $-1
DATA rowMask32<>+64(SB)/8, $-1
DATA rowMask32<>+72(SB)/8, $-1
DATA rowMask32<>+80(SB)/8, $-1
DATA rowMask32<>+88(SB)/8, $-1
DATA rowMask32<>+96(SB)/8, $-1
DATA rowMask32<>+104(SB)/8, $-1
DATA rowMask32<>+112(SB)/8, $-1
DATA rowMask32<>+120(SB)/8, $-1
GLOBL rowMask32<>(SB), RODATA|NOPTR, $256

// Register use of SgemvRow32AVX2:
//	SI  x[p]    DX  incx in bytes    BX  row p of B    DI  ldb in bytes    CX  steps left
//	Y0..Y3  the accumulators (columns 0-7, 8-15, 16-23, 24-31)    Y4  broadcast x[p]
//	Y5..Y8  row p of B    Y9..Y12  the VMASKMOVPS masks of the four groups of columns

// ROW2_STORE writes one accumulator to OFF(SI) under mask M; with beta ≠ 0 (BX ≠ 0)
// it first adds beta·y (Y14 = beta).
#define ROW2_STORE(ACC, M, OFF) \
	TESTL BX, BX \
	JZ    3(PC) \
	VMASKMOVPS OFF(SI), M, Y5 \
	VFMADD231PS Y5, Y14, ACC \
	VMASKMOVPS ACC, M, OFF(SI)

// func SgemvRow32AVX2(k int, x []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta float32)
TEXT ·SgemvRow32AVX2(SB), NOSPLIT, $0-112
	MOVQ cols+96(FP), CX
	LEAQ rowMask32<>+128(SB), DX
	SHLQ $2, CX
	SUBQ CX, DX
	VMOVUPS (DX), Y9
	VMOVUPS 32(DX), Y10
	VMOVUPS 64(DX), Y11
	VMOVUPS 96(DX), Y12
	GEMV_ROW_REGS
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ CX, CX
	JZ    scale

loop:
	VBROADCASTSS (SI), Y4
	VMASKMOVPS (BX), Y9, Y5
	VMASKMOVPS 32(BX), Y10, Y6
	VMASKMOVPS 64(BX), Y11, Y7
	VMASKMOVPS 96(BX), Y12, Y8
	VFMADD231PS Y5, Y4, Y0
	VFMADD231PS Y6, Y4, Y1
	VFMADD231PS Y7, Y4, Y2
	VFMADD231PS Y8, Y4, Y3
	ADDQ DX, SI
	ADDQ DI, BX
	DECQ CX
	JNZ  loop

scale:
	VBROADCASTSS alpha+104(FP), Y13
	VMULPS Y13, Y0, Y0
	VMULPS Y13, Y1, Y1
	VMULPS Y13, Y2, Y2
	VMULPS Y13, Y3, Y3
	VBROADCASTSS beta+108(FP), Y14
	MOVQ y_base+72(FP), SI
	MOVL beta+108(FP), BX
	ANDL $0x7fffffff, BX
	ROW2_STORE(Y0, Y9, 0)
	ROW2_STORE(Y1, Y10, 32)
	ROW2_STORE(Y2, Y11, 64)
	ROW2_STORE(Y3, Y12, 96)
	VZEROUPPER
	RET
