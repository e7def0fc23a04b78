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

// FMA_PEAK is the body of a throughput function: clear R0 with ZERO (the xor of
// that register width), copy it to R1–R13, then run FMA_CHAINS with R12 and R13 as
// the factors iters+0(FP) times.
#define FMA_PEAK(ZERO, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13) \
	MOVQ iters+0(FP), CX \
	ZERO R0, R0, R0      \
	VMOVAPS R0, R1     \
	VMOVAPS R0, R2     \
	VMOVAPS R0, R3     \
	VMOVAPS R0, R4     \
	VMOVAPS R0, R5     \
	VMOVAPS R0, R6     \
	VMOVAPS R0, R7     \
	VMOVAPS R0, R8     \
	VMOVAPS R0, R9     \
	VMOVAPS R0, R10    \
	VMOVAPS R0, R11    \
	VMOVAPS R0, R12    \
	VMOVAPS R0, R13    \
loop:                        \
	FMA_CHAINS(R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13) \
	DECQ CX                    \
	JNZ  loop                  \
	VZEROUPPER                 \
	RET

// func fmaThroughput512(iters int)
TEXT ·fmaThroughput512(SB), NOSPLIT, $0-8
	FMA_PEAK(VPXORD, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13)

// func fmaThroughput256(iters int)
TEXT ·fmaThroughput256(SB), NOSPLIT, $0-8
	FMA_PEAK(VXORPS, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13)

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
