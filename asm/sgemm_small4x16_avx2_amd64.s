//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// smallMask16<>: sixteen all-ones words then sixteen zeros; the 16 words at
// smallMask16<>+4·(16-cols) are the VMASKMOVPS mask of the first cols lanes.
DATA smallMask16<>+0(SB)/8, $-1
DATA smallMask16<>+8(SB)/8, $-1
DATA smallMask16<>+16(SB)/8, $-1
DATA smallMask16<>+24(SB)/8, $-1
DATA smallMask16<>+32(SB)/8, $-1
DATA smallMask16<>+40(SB)/8, $-1
DATA smallMask16<>+48(SB)/8, $-1
DATA smallMask16<>+56(SB)/8, $-1
DATA smallMask16<>+64(SB)/8, $0
DATA smallMask16<>+72(SB)/8, $0
DATA smallMask16<>+80(SB)/8, $0
DATA smallMask16<>+88(SB)/8, $0
DATA smallMask16<>+96(SB)/8, $0
DATA smallMask16<>+104(SB)/8, $0
DATA smallMask16<>+112(SB)/8, $0
DATA smallMask16<>+120(SB)/8, $0
GLOBL smallMask16<>(SB), RODATA|NOPTR, $128

// Register use of SgemmSmall4x16AVX2:
//	SI  op(A) at step p (row 0)    R8, R9, R10  offsets of rows 1..3 from row 0
//	DX  csA in bytes               BX  row p of op(B)    DI  ldb in bytes    CX  steps left
//	Y0..Y7  the accumulators: row i in Y(2i) (columns 0-7) and Y(2i+1) (8-15)
//	Y8, Y9  row p of op(B) (masked)    Y10, Y11  broadcasts of A
//	Y12, Y13  the VMASKMOVPS masks of columns 0-7 and 8-15

// S4_STORE writes row LO|HI of the tile to (SI), masked to the first cols columns;
// with beta ≠ 0 (BX ≠ 0) it first adds beta·C (Y14 = beta). Stops after the last row.
#define S4_STORE(LO, HI) \
	TESTL BX, BX \
	JZ    5(PC) \
	VMASKMOVPS (SI), Y12, Y8 \
	VMASKMOVPS 32(SI), Y13, Y9 \
	VFMADD231PS Y8, Y14, LO \
	VFMADD231PS Y9, Y14, HI \
	VMASKMOVPS LO, Y12, (SI) \
	VMASKMOVPS HI, Y13, 32(SI) \
	ADDQ  DX, SI \
	DECQ  CX \
	JZ    done

// func SgemmSmall4x16AVX2(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall4x16AVX2(SB), NOSPLIT, $0-136
	MOVQ cols+120(FP), CX
	LEAQ smallMask16<>+64(SB), DX
	SHLQ $2, CX
	SUBQ CX, DX
	VMOVUPS (DX), Y12
	VMOVUPS 32(DX), Y13
	SMALL_ROW_OFFSETS4
	SMALL_LOOP_REGS

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JZ    scale

loop:
	VMASKMOVPS (BX), Y12, Y8
	VMASKMOVPS 32(BX), Y13, Y9
	VBROADCASTSS (SI), Y10
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VBROADCASTSS (SI)(R9*1), Y10
	VBROADCASTSS (SI)(R10*1), Y11
	VFMADD231PS Y8, Y10, Y4
	VFMADD231PS Y9, Y10, Y5
	VFMADD231PS Y8, Y11, Y6
	VFMADD231PS Y9, Y11, Y7
	ADDQ DX, SI
	ADDQ DI, BX
	DECQ CX
	JNZ  loop

scale:
	SKIP_ALPHA_ONE(store)
	VBROADCASTSS alpha+128(FP), Y15
	VMULPS Y15, Y0, Y0
	VMULPS Y15, Y1, Y1
	VMULPS Y15, Y2, Y2
	VMULPS Y15, Y3, Y3
	VMULPS Y15, Y4, Y4
	VMULPS Y15, Y5, Y5
	VMULPS Y15, Y6, Y6
	VMULPS Y15, Y7, Y7
store:
	VBROADCASTSS beta+132(FP), Y14
	SMALL_STORE_REGS
	S4_STORE(Y0, Y1)
	S4_STORE(Y2, Y3)
	S4_STORE(Y4, Y5)
	S4_STORE(Y6, Y7)

done:
	VZEROUPPER
	RET
