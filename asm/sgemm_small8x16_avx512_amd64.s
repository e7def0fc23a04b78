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

// S16_STORE8 writes eight rows (accumulators A0..A7) with S16_STORE.
#define S16_STORE8(A0, A1, A2, A3, A4, A5, A6, A7) \
	S16_STORE(A0) \
	S16_STORE(A1) \
	S16_STORE(A2) \
	S16_STORE(A3) \
	S16_STORE(A4) \
	S16_STORE(A5) \
	S16_STORE(A6) \
	S16_STORE(A7)

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
	FMA8_BCST(SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ADDQ DX, SI
	ADDQ DI, BX
	DECQ CX
	JNZ  loop

scale:
	SKIP_ALPHA_ONE(store)
	VBROADCASTSS alpha+128(FP), Z17
	SCALE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
store:
	VBROADCASTSS beta+132(FP), Z18
	SMALL_STORE_REGS
	S16_STORE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

done:
	VZEROUPPER
	RET

// Register use of SgemmSmall16x16AVX512: as SgemmSmall8x16AVX512, plus R14 = op(A) at
// step p, row 8 (rows 8..15 at R14 plus the same offsets R8..R13, AX, unclamped:
// rows = 16); Z8..Z15 the accumulators of rows 8..15.

// func SgemmSmall16x16AVX512(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32)
TEXT ·SgemmSmall16x16AVX512(SB), NOSPLIT, $0-136
	MOVQ  cols+120(FP), CX
	MOVL  $-1, DX
	BZHIL CX, DX, DX
	KMOVW DX, K1
	SMALL_PREFETCH_C8(0)
	MOVQ rsA+32(FP), DX
	SHLQ $2, DX
	MOVQ DX, R8
	LEAQ (DX)(DX*1), R9
	LEAQ (DX)(DX*2), R10
	LEAQ (R9)(R9*1), R11
	LEAQ (DX)(DX*4), R12
	LEAQ (R10)(R10*1), R13
	LEAQ (R12)(DX*2), AX
	MOVQ a_base+8(FP), SI
	LEAQ (SI)(DX*8), R14
	MOVQ csA+40(FP), DX
	SHLQ $2, DX
	MOVQ b_base+48(FP), BX
	MOVQ ldb+72(FP), DI
	SHLQ $2, DI
	MOVQ k+0(FP), CX
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ZERO8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	TESTQ CX, CX
	JZ    scale

loop:
	PREFETCHT0 (BX)(DI*8)
	VMOVUPS.Z (BX), K1, Z16
	FMA8_BCST(SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	FMA8_BCST(R14, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	ADDQ DX, SI
	ADDQ DX, R14
	ADDQ DI, BX
	DECQ CX
	JNZ  loop

scale:
	SKIP_ALPHA_ONE(store)
	VBROADCASTSS alpha+128(FP), Z17
	SCALE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	SCALE8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

store:
	VBROADCASTSS beta+132(FP), Z18
	SMALL_STORE_REGS
	S16_STORE8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	S16_STORE8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

done:
	VZEROUPPER
	RET
