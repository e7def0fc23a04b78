//go:build !purego

#include "textflag.h"

// FMA_CHAINS issues one VFMADD231PS into each of twelve independent accumulators:
// twelve chains cover the FMA latency (4 cycles) times two FMA ports with room.
#define FMA_CHAINS(R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, A, B) \
	VFMADD231PS A, B, R0  \
	VFMADD231PS A, B, R1  \
	VFMADD231PS A, B, R2  \
	VFMADD231PS A, B, R3  \
	VFMADD231PS A, B, R4  \
	VFMADD231PS A, B, R5  \
	VFMADD231PS A, B, R6  \
	VFMADD231PS A, B, R7  \
	VFMADD231PS A, B, R8  \
	VFMADD231PS A, B, R9  \
	VFMADD231PS A, B, R10 \
	VFMADD231PS A, B, R11

// func fmaThroughput512(iters int)
TEXT ·fmaThroughput512(SB), NOSPLIT, $0-8
	MOVQ iters+0(FP), CX
	VPXORD Z0, Z0, Z0
	VMOVAPS Z0, Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z0, Z11
	VMOVAPS Z0, Z12
	VMOVAPS Z0, Z13

loop512:
	FMA_CHAINS(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13)
	DECQ CX
	JNZ  loop512
	VZEROUPPER
	RET

// func fmaThroughput256(iters int)
TEXT ·fmaThroughput256(SB), NOSPLIT, $0-8
	MOVQ   iters+0(FP), CX
	VXORPS Y0, Y0, Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y7
	VMOVAPS Y0, Y8
	VMOVAPS Y0, Y9
	VMOVAPS Y0, Y10
	VMOVAPS Y0, Y11
	VMOVAPS Y0, Y12
	VMOVAPS Y0, Y13

loop256:
	FMA_CHAINS(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13)
	DECQ CX
	JNZ  loop256
	VZEROUPPER
	RET

// func fmaLatency256(iters int)
// Four FMAs per iteration on one dependent chain: the time per FMA is the latency.
TEXT ·fmaLatency256(SB), NOSPLIT, $0-8
	MOVQ   iters+0(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

looplat:
	VFMADD231PS Y1, Y1, Y0
	VFMADD231PS Y1, Y1, Y0
	VFMADD231PS Y1, Y1, Y0
	VFMADD231PS Y1, Y1, Y0
	DECQ CX
	JNZ  looplat
	VZEROUPPER
	RET
