//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemmSmallWide6x64AVX512 (one call: a rows×64 block of C in 6×64
// tiles, top to bottom; the last tile's rows past the block re-read its last row of A
// and are not stored):
//	SI  row 0 of the tile's A    R15  A at step p (row 0)    R8..R12  offsets of rows 1..5
//	DX  lda in bytes    BX  row p of B    DI  ldb in bytes    CX  steps left
//	R13  rows of C left to store    R14  the tile's row 0 of C
//	Z0..Z23  the accumulators: row i in Z(4i)..Z(4i+3) (columns 0-15, …, 48-63)
//	Z24..Z27  row p of B    Z28..Z31  broadcasts of A

// W64_CLAMP(R) clamps row offset R to the last row's (AX).
#define W64_CLAMP(R) \
	CMPQ R, AX \
	CMOVQGT AX, R

// W64_BCST2(M0, M1, T0, T1, A0, A1, A2, A3, B0, B1, B2, B3): two rows of A broadcast
// from M0 and M1 (into T0, T1), each times the four quarters of B's row p (Z24..Z27),
// into A0..A3 and B0..B3.
#define W64_BCST2(M0, M1, T0, T1, A0, A1, A2, A3, B0, B1, B2, B3) \
	VBROADCASTSS M0, T0 \
	VBROADCASTSS M1, T1 \
	VFMADD231PS Z24, T0, A0 \
	VFMADD231PS Z25, T0, A1 \
	VFMADD231PS Z26, T0, A2 \
	VFMADD231PS Z27, T0, A3 \
	VFMADD231PS Z24, T1, B0 \
	VFMADD231PS Z25, T1, B1 \
	VFMADD231PS Z26, T1, B2 \
	VFMADD231PS Z27, T1, B3

// W64_STEP4(OFF): one step of k for rows 0..3 (a last tile of at most four rows): B's
// row p loaded, the 16 FMAs with A at byte OFF from R15.
#define W64_STEP4(OFF) \
	VMOVUPS (BX), Z24 \
	VMOVUPS 64(BX), Z25 \
	VMOVUPS 128(BX), Z26 \
	VMOVUPS 192(BX), Z27 \
	ADDQ DI, BX \
	W64_BCST2(OFF(R15), OFF(R15)(R8*1), Z28, Z29, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7) \
	W64_BCST2(OFF(R15)(R9*1), OFF(R15)(R10*1), Z30, Z31, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

// W64_STEP(OFF): one step of k for all six rows: W64_STEP4, then rows 4 and 5.
#define W64_STEP(OFF) \
	W64_STEP4(OFF) \
	W64_BCST2(OFF(R15)(R11*1), OFF(R15)(R12*1), Z28, Z29, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

// W64_KLOOP(STEP, LOOP, TAIL): the CX steps of k with STEP, unrolled by four (labels
// LOOP and TAIL), then to scale.
#define W64_KLOOP(STEP, LOOP, TAIL) \
	CMPQ CX, $4 \
	JLT  TAIL \
LOOP: \
	STEP(0) \
	STEP(4) \
	STEP(8) \
	STEP(12) \
	ADDQ $16, R15 \
	SUBQ $4, CX \
	CMPQ CX, $4 \
	JGE  LOOP \
TAIL: \
	TESTQ CX, CX \
	JZ    scale \
	STEP(0) \
	ADDQ $4, R15 \
	DECQ CX \
	JMP  TAIL

// W64_ROWS6(OP): OP on the accumulators of each of the six rows, top to bottom.
#define W64_ROWS6(OP) \
	OP(Z0, Z1, Z2, Z3) \
	OP(Z4, Z5, Z6, Z7) \
	OP(Z8, Z9, Z10, Z11) \
	OP(Z12, Z13, Z14, Z15) \
	OP(Z16, Z17, Z18, Z19) \
	OP(Z20, Z21, Z22, Z23)

// W64_ZERO4, W64_SCALE4: four accumulators cleared, or times alpha (Z24).
#define W64_ZERO4(A0, A1, A2, A3) \
	VPXORD A0, A0, A0 \
	VPXORD A1, A1, A1 \
	VPXORD A2, A2, A2 \
	VPXORD A3, A3, A3
#define W64_SCALE4(A0, A1, A2, A3) \
	VMULPS Z24, A0, A0 \
	VMULPS Z24, A1, A1 \
	VMULPS Z24, A2, A2 \
	VMULPS Z24, A3, A3

// W64_ROW(A0, A1, A2, A3), W64_ROW_BETA(...): a row of the tile written to (DI), with
// beta·C (Z24 = beta) added first in the second; DI moves on to C's next row (CX = ldc
// in bytes); after the block's last row, to done.
#define W64_ROW(A0, A1, A2, A3) \
	VMOVUPS A0, (DI) \
	VMOVUPS A1, 64(DI) \
	VMOVUPS A2, 128(DI) \
	VMOVUPS A3, 192(DI) \
	ADDQ CX, DI \
	DECQ R13 \
	JZ   done
#define W64_ROW_BETA(A0, A1, A2, A3) \
	VFMADD231PS (DI), Z24, A0 \
	VFMADD231PS 64(DI), Z24, A1 \
	VFMADD231PS 128(DI), Z24, A2 \
	VFMADD231PS 192(DI), Z24, A3 \
	W64_ROW(A0, A1, A2, A3)

// func SgemmSmallWide6x64AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32)
TEXT ·SgemmSmallWide6x64AVX512(SB), NOSPLIT, $0-120
	MOVQ rows+104(FP), R13
	TESTQ R13, R13
	JLE  done
	MOVQ lda+32(FP), DX
	SHLQ $2, DX
	MOVQ a_base+8(FP), SI
	MOVQ c_base+72(FP), R14

tile:
	// The offsets of rows 1..5, clamped to the last row left.
	MOVQ R13, AX
	DECQ AX
	IMULQ DX, AX
	MOVQ DX, R8
	LEAQ (DX)(DX*1), R9
	LEAQ (DX)(DX*2), R10
	LEAQ (R9)(R9*1), R11
	LEAQ (DX)(DX*4), R12
	W64_CLAMP(R8)
	W64_CLAMP(R9)
	W64_CLAMP(R10)
	W64_CLAMP(R11)
	W64_CLAMP(R12)
	MOVQ SI, R15
	MOVQ b_base+40(FP), BX
	MOVQ ldb+64(FP), DI
	SHLQ $2, DI
	MOVQ k+0(FP), CX
	W64_ROWS6(W64_ZERO4)
	CMPQ R13, $4
	JLE  short
	W64_KLOOP(W64_STEP, loop6, tail6)

short:
	// At most four rows left: a 4×64 tile, 16 FMAs a step instead of 24.
	W64_KLOOP(W64_STEP4, loop4, tail4)

scale:
	MOVL alpha+112(FP), CX
	CMPL CX, $0x3f800000
	JEQ  store
	VBROADCASTSS alpha+112(FP), Z24
	W64_ROWS6(W64_SCALE4)

store:
	STORE_PANEL_REGS(ldc+96(FP), beta+116(FP))
	MOVQ R14, DI
	TESTL BX, BX
	JZ    store0
	VBROADCASTSS beta+116(FP), Z24
	W64_ROWS6(W64_ROW_BETA)
	JMP  next

store0:
	W64_ROWS6(W64_ROW)

next:
	// Six rows of A and C on.
	MOVQ DI, R14
	LEAQ (DX)(DX*2), AX
	LEAQ (SI)(AX*2), SI
	JMP  tile

done:
	VZEROUPPER
	RET
