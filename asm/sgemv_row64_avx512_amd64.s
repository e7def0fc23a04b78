//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemvRow64AVX512:
//	SI  x[p]    DX  incx in bytes    BX  row p of B    DI  ldb in bytes    CX  steps left
//	Z0..Z3  the accumulators (columns 0-15, 16-31, 32-47, 48-63)    Z16  broadcast x[p]
//	K1..K4  the first cols lanes of each group of 16 columns

// ROW_STORE writes one accumulator to OFF(SI) under mask K; with beta ≠ 0 (BX ≠ 0)
// it first adds beta·y (Z18 = beta).
#define ROW_STORE(ACC, K, OFF) \
	TESTL BX, BX \
	JZ    3(PC) \
	VMOVUPS.Z OFF(SI), K, Z17 \
	VFMADD231PS Z17, Z18, ACC \
	VMOVUPS ACC, K, OFF(SI)

// func SgemvRow64AVX512(k int, x []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta float32)
TEXT ·SgemvRow64AVX512(SB), NOSPLIT, $0-112
	MOVQ  cols+96(FP), CX
	MOVQ  $-1, DX
	BZHIQ CX, DX, DX
	KMOVW DX, K1
	SHRQ  $16, DX
	KMOVW DX, K2
	SHRQ  $16, DX
	KMOVW DX, K3
	SHRQ  $16, DX
	KMOVW DX, K4
	GEMV_ROW_REGS
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	TESTQ CX, CX
	JZ    scale

loop:
	VBROADCASTSS (SI), Z16
	VMOVUPS.Z (BX), K1, Z4
	VMOVUPS.Z 64(BX), K2, Z5
	VMOVUPS.Z 128(BX), K3, Z6
	VMOVUPS.Z 192(BX), K4, Z7
	VFMADD231PS Z4, Z16, Z0
	VFMADD231PS Z5, Z16, Z1
	VFMADD231PS Z6, Z16, Z2
	VFMADD231PS Z7, Z16, Z3
	ADDQ DX, SI
	ADDQ DI, BX
	DECQ CX
	JNZ  loop

scale:
	VBROADCASTSS alpha+104(FP), Z17
	VMULPS Z17, Z0, Z0
	VMULPS Z17, Z1, Z1
	VMULPS Z17, Z2, Z2
	VMULPS Z17, Z3, Z3
	VBROADCASTSS beta+108(FP), Z18
	MOVQ y_base+72(FP), SI
	MOVL beta+108(FP), BX
	ANDL $0x7fffffff, BX
	ROW_STORE(Z0, K1, 0)
	ROW_STORE(Z1, K2, 64)
	ROW_STORE(Z2, K3, 128)
	ROW_STORE(Z3, K4, 192)
	VZEROUPPER
	RET
