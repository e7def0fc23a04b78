//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemmSmall8x32AVX512:
//	SI  op(A) at step p (row 0)    R8..R13, AX  offsets of rows 1..7 from row 0
//	DX  csA in bytes               BX  row p of op(B)    DI  ldb in bytes    CX  steps left
//	Z0..Z15  the accumulators: row i in Zi (columns 0-15) and Z(8+i) (16-31)
//	Z16, Z17  row p of op(B) (K1-, K2-masked)    Z20..Z27  broadcasts of A
//	K1, K2  the first cols lanes of columns 0-15 and 16-31

// S32_STORE writes row LO|HI of the tile to (SI), masked to the first cols columns;
// with beta ≠ 0 (BX ≠ 0) it first adds beta·C (Z18 = beta). Stops after the last row.
#define S32_STORE(LO, HI) \
	TESTL BX, BX \
	JZ    5(PC) \
	VMOVUPS.Z (SI), K1, Z16 \
	VMOVUPS.Z 64(SI), K2, Z17 \
	VFMADD231PS Z16, Z18, LO \
	VFMADD231PS Z17, Z18, HI \
	VMOVUPS LO, K1, (SI) \
	VMOVUPS HI, K2, 64(SI) \
	ADDQ  DX, SI \
	DECQ  CX \
	JZ    done

// func SgemmSmall8x32AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall8x32AVX512(SB), NOSPLIT, $0-136
	MOVQ  cols+120(FP), CX
	MOVL  $-1, DX
	BZHIL CX, DX, DX
	KMOVW DX, K1
	SHRL  $16, DX
	KMOVW DX, K2
	SMALL_PREFETCH_C8(0)
	SMALL_PREFETCH_C8(64)
	SMALL_START8
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ CX, CX
	JZ    scale

loop:
	// B's row eight steps ahead: a product whose operands are not yet cached (a
	// batch of fresh products) would otherwise wait on memory at every row.
	PREFETCHT0 (BX)(DI*8)
	PREFETCHT0 64(BX)(DI*8)
	VMOVUPS.Z (BX), K1, Z16
	VMOVUPS.Z 64(BX), K2, Z17
	VBROADCASTSS (SI), Z20
	VBROADCASTSS (SI)(R8*1), Z21
	VBROADCASTSS (SI)(R9*1), Z22
	VBROADCASTSS (SI)(R10*1), Z23
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z17, Z20, Z8
	VFMADD231PS Z16, Z21, Z1
	VFMADD231PS Z17, Z21, Z9
	VBROADCASTSS (SI)(R11*1), Z24
	VBROADCASTSS (SI)(R12*1), Z25
	VFMADD231PS Z16, Z22, Z2
	VFMADD231PS Z17, Z22, Z10
	VFMADD231PS Z16, Z23, Z3
	VFMADD231PS Z17, Z23, Z11
	VBROADCASTSS (SI)(R13*1), Z26
	VBROADCASTSS (SI)(AX*1), Z27
	VFMADD231PS Z16, Z24, Z4
	VFMADD231PS Z17, Z24, Z12
	VFMADD231PS Z16, Z25, Z5
	VFMADD231PS Z17, Z25, Z13
	VFMADD231PS Z16, Z26, Z6
	VFMADD231PS Z17, Z26, Z14
	VFMADD231PS Z16, Z27, Z7
	VFMADD231PS Z17, Z27, Z15
	ADDQ DX, SI
	ADDQ DI, BX
	DECQ CX
	JNZ  loop

scale:
	SKIP_ALPHA_ONE(store)
	VBROADCASTSS alpha+128(FP), Z19
	VMULPS Z19, Z0, Z0
	VMULPS Z19, Z1, Z1
	VMULPS Z19, Z2, Z2
	VMULPS Z19, Z3, Z3
	VMULPS Z19, Z4, Z4
	VMULPS Z19, Z5, Z5
	VMULPS Z19, Z6, Z6
	VMULPS Z19, Z7, Z7
	VMULPS Z19, Z8, Z8
	VMULPS Z19, Z9, Z9
	VMULPS Z19, Z10, Z10
	VMULPS Z19, Z11, Z11
	VMULPS Z19, Z12, Z12
	VMULPS Z19, Z13, Z13
	VMULPS Z19, Z14, Z14
	VMULPS Z19, Z15, Z15
store:
	VBROADCASTSS beta+132(FP), Z18
	SMALL_STORE_REGS
	S32_STORE(Z0, Z8)
	S32_STORE(Z1, Z9)
	S32_STORE(Z2, Z10)
	S32_STORE(Z3, Z11)
	S32_STORE(Z4, Z12)
	S32_STORE(Z5, Z13)
	S32_STORE(Z6, Z14)
	S32_STORE(Z7, Z15)

done:
	VZEROUPPER
	RET
