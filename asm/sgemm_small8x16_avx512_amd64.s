//go:build !purego

#include "textflag.h"
#include "sgemm_small_amd64.h"

// Register use of SgemmSmall8x16AVX512:
//	SI  op(A) at step p (row 0)    R8..R13, AX  offsets of rows 1..7 from row 0
//	DX  csA in bytes               BX  row p of op(B)    DI  ldb in bytes    CX  steps left
//	Z0..Z7  the accumulators (row i in Zi)    Z16  row p of op(B) (K1-masked)
//	K1  the first cols lanes

// S16_STORE writes row ACC of the tile to (SI), masked to the first cols lanes; with
// beta ≠ 0 (BX ≠ 0) it first adds beta·C (Z18 = beta). Stops after the last row.
#define S16_STORE(ACC) \
	TESTL BX, BX \
	JZ    3(PC) \
	VMOVUPS.Z (SI), K1, Z17 \
	VFMADD231PS Z17, Z18, ACC \
	VMOVUPS ACC, K1, (SI) \
	ADDQ  DX, SI \
	DECQ  CX \
	JZ    done

// func SgemmSmall8x16AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall8x16AVX512(SB), NOSPLIT, $0-136
	MOVQ  cols+120(FP), CX
	MOVL  $-1, DX
	BZHIL CX, DX, DX
	KMOVW DX, K1
	SMALL_PREFETCH_C8(0)
	SMALL_START8
	TESTQ CX, CX
	JZ    scale

loop:
	PREFETCHT0 (BX)(DI*8) // B's row eight steps ahead (see SgemmSmall8x32AVX512)
	VMOVUPS.Z (BX), K1, Z16
	VFMADD231PS.BCST (SI), Z16, Z0
	VFMADD231PS.BCST (SI)(R8*1), Z16, Z1
	VFMADD231PS.BCST (SI)(R9*1), Z16, Z2
	VFMADD231PS.BCST (SI)(R10*1), Z16, Z3
	VFMADD231PS.BCST (SI)(R11*1), Z16, Z4
	VFMADD231PS.BCST (SI)(R12*1), Z16, Z5
	VFMADD231PS.BCST (SI)(R13*1), Z16, Z6
	VFMADD231PS.BCST (SI)(AX*1), Z16, Z7
	ADDQ DX, SI
	ADDQ DI, BX
	DECQ CX
	JNZ  loop

scale:
	SKIP_ALPHA_ONE(store)
	VBROADCASTSS alpha+128(FP), Z17
	VMULPS Z17, Z0, Z0
	VMULPS Z17, Z1, Z1
	VMULPS Z17, Z2, Z2
	VMULPS Z17, Z3, Z3
	VMULPS Z17, Z4, Z4
	VMULPS Z17, Z5, Z5
	VMULPS Z17, Z6, Z6
	VMULPS Z17, Z7, Z7
store:
	VBROADCASTSS beta+132(FP), Z18
	SMALL_STORE_REGS
	S16_STORE(Z0)
	S16_STORE(Z1)
	S16_STORE(Z2)
	S16_STORE(Z3)
	S16_STORE(Z4)
	S16_STORE(Z5)
	S16_STORE(Z6)
	S16_STORE(Z7)

done:
	VZEROUPPER
	RET
