//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"
#include "lanes_amd64.h"

// transIota<>: the lane numbers 0..15 (int32), times ldb the gather indices of a
// column of sixteen rows.
LANES16(transIota, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

// Register use of both transposers:
//	SI  row j0 of b (the block's first row)    DX  ldb    DI  column j0 of dst
//	R8  k    R9  columns left    R10  dst's row stride (n) in bytes
//	R11  b at column p of the block    R12  dst row p    CX  steps left

// TRANSPOSE_ARGS(K, B, LDB, DST, N) loads the registers above from the operands of
// the arguments (k int, b []float32, ldb int, dst []float32, n int), written at the
// call site, where go vet checks their offsets.
#define TRANSPOSE_ARGS(K, B, LDB, DST, N) \
	MOVQ K, R8 \
	MOVQ B, SI \
	MOVQ LDB, DX \
	MOVQ DST, DI \
	MOVQ N, R9 \
	MOVQ R9, R10 \
	SHLQ $2, R10

// TRANSPOSE_BLOCK_LANES(LANES): CX = the lanes of this block, min(LANES, R9).
#define TRANSPOSE_BLOCK_LANES(LANES) \
	MOVQ  $LANES, CX \
	CMPQ  R9, CX \
	CMOVQLT R9, CX

// TRANSPOSE_BLOCK_NEXT(LANES, STEP, BLOCK): the end of a step (STEP: back while steps
// are left), then of a block of LANES rows of b (BLOCK: back while rows are left).
#define TRANSPOSE_BLOCK_NEXT(LANES, STEP, BLOCK) \
	ADDQ $4, R11 \
	ADDQ R10, R12 \
	DECQ CX \
	JNZ  STEP \
	ADDQ DX, SI \
	ADDQ $(4*LANES), DI \
	SUBQ $LANES, R9 \
	JGT  BLOCK

// func TransposeGatherAVX512(k int, b []float32, ldb int, dst []float32, n int)
TEXT ·TransposeGatherAVX512(SB), NOSPLIT, $0-72
	TRANSPOSE_ARGS(k+0(FP), b_base+8(FP), ldb+32(FP), dst_base+40(FP), n+64(FP))
	VPBROADCASTD DX, Z1
	VPMULLD transIota<>(SB), Z1, Z2 // lane·ldb
	SHLQ $6, DX                     // sixteen rows of b in bytes

block16:
	TRANSPOSE_BLOCK_LANES(16)
	MOVL  $-1, AX
	BZHIL CX, AX, AX
	KMOVW AX, K1
	MOVQ  SI, R11
	MOVQ  DI, R12
	MOVQ  R8, CX

step16:
	KMOVW K1, K2
	VPXORD Z0, Z0, Z0 // no merge: each gather independent of the one before
	VGATHERDPS (R11)(Z2*4), K2, Z0
	VMOVUPS Z0, K1, (R12)
	TRANSPOSE_BLOCK_NEXT(16, step16, block16)
	VZEROUPPER
	RET

// func TransposeGatherAVX2(k int, b []float32, ldb int, dst []float32, n int)
TEXT ·TransposeGatherAVX2(SB), NOSPLIT, $0-72
	TRANSPOSE_ARGS(k+0(FP), b_base+8(FP), ldb+32(FP), dst_base+40(FP), n+64(FP))
	MOVQ DX, X1
	VPBROADCASTD X1, Y1
	VPMULLD transIota<>(SB), Y1, Y2 // lane·ldb
	SHLQ $5, DX                     // eight rows of b in bytes

block8:
	TRANSPOSE_BLOCK_LANES(8)
	LANE_MASK(CX, AX)
	VMOVUPS (AX), Y3
	MOVQ  SI, R11
	MOVQ  DI, R12
	MOVQ  R8, CX

step8:
	VMOVAPS Y3, Y4 // the gather clears its mask
	VXORPS  Y0, Y0, Y0
	VGATHERDPS Y4, (R11)(Y2*4), Y0
	VMASKMOVPS Y0, Y3, (R12)
	TRANSPOSE_BLOCK_NEXT(8, step8, block8)
	VZEROUPPER
	RET
