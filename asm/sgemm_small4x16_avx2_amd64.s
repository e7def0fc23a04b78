//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// ·smallLaneMask: thirty-two all-ones words then thirty-two zeros; the words at
// ·smallLaneMask+4·(32-n) are the VMASKMOVPS masks of the first n ≤ 32 lanes
// (LANE_MASK), for every AVX2 kernel of the small path.
DATA ·smallLaneMask+0(SB)/8, $-1
DATA ·smallLaneMask+8(SB)/8, $-1
DATA ·smallLaneMask+16(SB)/8, $-1
DATA ·smallLaneMask+24(SB)/8, $-1
DATA ·smallLaneMask+32(SB)/8, $-1
DATA ·smallLaneMask+40(SB)/8, $-1
DATA ·smallLaneMask+48(SB)/8, $-1
DATA ·smallLaneMask+56(SB)/8, $-1
DATA ·smallLaneMask+64(SB)/8, $-1
DATA ·smallLaneMask+72(SB)/8, $-1
DATA ·smallLaneMask+80(SB)/8, $-1
DATA ·smallLaneMask+88(SB)/8, $-1
DATA ·smallLaneMask+96(SB)/8, $-1
DATA ·smallLaneMask+104(SB)/8, $-1
DATA ·smallLaneMask+112(SB)/8, $-1
DATA ·smallLaneMask+120(SB)/8, $-1
DATA ·smallLaneMask+128(SB)/8, $0
DATA ·smallLaneMask+136(SB)/8, $0
DATA ·smallLaneMask+144(SB)/8, $0
DATA ·smallLaneMask+152(SB)/8, $0
DATA ·smallLaneMask+160(SB)/8, $0
DATA ·smallLaneMask+168(SB)/8, $0
DATA ·smallLaneMask+176(SB)/8, $0
DATA ·smallLaneMask+184(SB)/8, $0
DATA ·smallLaneMask+192(SB)/8, $0
DATA ·smallLaneMask+200(SB)/8, $0
DATA ·smallLaneMask+208(SB)/8, $0
DATA ·smallLaneMask+216(SB)/8, $0
DATA ·smallLaneMask+224(SB)/8, $0
DATA ·smallLaneMask+232(SB)/8, $0
DATA ·smallLaneMask+240(SB)/8, $0
DATA ·smallLaneMask+248(SB)/8, $0
GLOBL ·smallLaneMask(SB), RODATA|NOPTR, $256

// Register use of SgemmSmall4x16AVX2:
//	SI  op(A) at step p (row 0)    R8, R9, R10  offsets of rows 1..3 from row 0
//	DX  csA in bytes               BX  row p of op(B)    DI  ldb in bytes    CX  steps left
//	Y0..Y7  the accumulators: row i in Y(2i) (columns 0-7) and Y(2i+1) (8-15)
//	Y8, Y9  row p of op(B) (masked)    Y10, Y11  broadcasts of A
//	Y12, Y13  the VMASKMOVPS masks of columns 0-7 and 8-15

// S4_STORE writes row LO|HI of the tile to (SI), masked to the first cols columns;
// with beta ≠ 0 (BX ≠ 0) it first adds beta·C (Y14 = beta). Stops after the last row.
#define S4_STORE(LO, HI) \
	STORE2_BETA(VMASKMOVPS, VMASKMOVPS, Y12, Y13, Y8, Y9, Y14, LO, HI, 32) \
	NEXT_ROW

// S4_SCALE, S4_STORE4: the scaling (alpha in Y15) and stores of the tile
// (TILE_FINISH).
#define S4_SCALE SCALE8(Y15, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
#define S4_STORE4 \
	S4_STORE(Y0, Y1) \
	S4_STORE(Y2, Y3) \
	S4_STORE(Y4, Y5) \
	S4_STORE(Y6, Y7)

// func SgemmSmall4x16AVX2(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall4x16AVX2(SB), NOSPLIT, $0-136
	MOVQ cols+120(FP), CX
	LANE_MASK(CX, DX)
	VMOVUPS (DX), Y12
	VMOVUPS 32(DX), Y13
	CLAMPED_OFFSETS4(rsA+32(FP), rows+112(FP))
	STEP_REGS(k+0(FP), a_base+8(FP), csA+40(FP), b_base+48(FP), ldb+72(FP))
	ZERO8(VXORPS, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
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
	STEP_NEXT

	TILE_FINISH(Y15, Y14, S4_SCALE, S4_STORE4, alpha+128(FP), beta+132(FP), c_base+80(FP), ldc+104(FP), rows+112(FP))
