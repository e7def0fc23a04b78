//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// The 8×12 single-precision GEMM micro-kernel; the reference loop is in
// sgemm_arm64.go.
//
// Register plan (all 32 vector registers):
//
//	V0, V1    A[0..3, p], A[4..7, p]              (one packed A column)
//	V2-V4     B[p, 0..3], B[p, 4..7], B[p, 8..11]  (one packed B row)
//	V6        alpha in every lane (epilogue)
//	V7        beta in every lane (epilogue)
//	V0-V5     rows of C being read (epilogue, beta != 0)
//	V8-V31    C accumulators: row i, columns 4j..4j+3 in V(8+3i+j)
//
//	R0, R1    packed A and B panels (post-incremented by each k step)
//	R2        C row i; R4 = ldc·4, the row stride in bytes
//	R3        k; R5 the double-step count; R6, R7 C prefetch addresses
//
// Each k step is 24 FMLA by element: V(8+3i+j) += B vector j · A[i, p], where
// A[i, p] is lane i of V0 (i < 4) or lane i-4 of V1. Go's arm64 assembler has no
// by-element FMLA and no vector FMUL, so both come from the parameterized WORD macros
// of neon_arm64.h (FMLA4S_S0..S3, FMUL4S), which scripts/check-arm64-words checks
// against GNU as.
//
// Cache plan: the driver keeps one packed B micro-panel (kc×12) in L1 while it walks
// the A micro-panels (kc×8) of an mc×kc block held in L2; see simd/dispatch_arm64.go.

// FMLA_BLOCK(j): column block j of the eight C rows += B vector V(2+j) · A[i], that
// is V(8+3i+j) += V(2+j) · lane i of V0 (i < 4) or lane i-4 of V1 (FMLA by element,
// neon_arm64.h).
#define FMLA_BLOCK(j) \
	FMLA4S_S0(8+(j), 2+(j), 0)  \
	FMLA4S_S1(11+(j), 2+(j), 0) \
	FMLA4S_S2(14+(j), 2+(j), 0) \
	FMLA4S_S3(17+(j), 2+(j), 0) \
	FMLA4S_S0(20+(j), 2+(j), 1) \
	FMLA4S_S1(23+(j), 2+(j), 1) \
	FMLA4S_S2(26+(j), 2+(j), 1) \
	FMLA4S_S3(29+(j), 2+(j), 1)

// SCALE_ROW(i): C row i's three accumulators V(8+3i)..V(10+3i) times alpha (V6).
#define SCALE_ROW(i) \
	FMUL4S(8+3*(i), 8+3*(i), 6)   \
	FMUL4S(9+3*(i), 9+3*(i), 6)   \
	FMUL4S(10+3*(i), 10+3*(i), 6)

// BETA_ROW(L0, L1, L2, C0, C1, C2): loads the C row at R2 into L0-L2, C0-C2 +=
// beta (V7) · it with one rounding each, stores C0-C2 there and steps R2 to the next
// row.
#define BETA_ROW(L0, L1, L2, C0, C1, C2) \
	VLD1   (R2), [L0, L1, L2]        \
	VFMLA  V7.S4, L0, C0             \
	VFMLA  V7.S4, L1, C1             \
	VFMLA  V7.S4, L2, C2             \
	VST1.P [C0, C1, C2], (R2)(R4)

// KSTEP consumes one k step: A column p (8 floats) and B row p (12 floats), both
// post-incremented, then 24 FMLAs ordered by B block so that the first eight need
// only the first B vector. The next step's loads reuse V0-V4 at once: out-of-order
// cores (Neoverse, Cortex-A7x/X, Apple) rename them, so the loads run ahead of the
// FMLAs. Each accumulator is written once per 24 FMLAs, far more than the FMLA
// latency (4 cycles) times the FMA pipes (2-4) requires.
#define KSTEP \
	VLD1.P 32(R0), [V0.S4, V1.S4] \
	VLD1.P 48(R1), [V2.S4, V3.S4, V4.S4] \
	FMLA_BLOCK(0) \
	FMLA_BLOCK(1) \
	FMLA_BLOCK(2)

// PREFETCH_C_ROW asks for the C row at R6 (48 bytes, which may straddle two 64-byte
// lines: its first and last words are prefetched) in L1 for writing, then steps R6 to
// the next row. Issued before the k loop, the lines arrive while the FMLAs run
// instead of stalling the epilogue. (The last word goes through R7 because PRFM's
// immediate offset must be a multiple of 8, and Go's assembler silently rounds
// 44(R6) down to 40(R6).)
#define PREFETCH_C_ROW \
	PRFM (R6), PSTL1KEEP \
	ADD  $44, R6, R7     \
	PRFM (R7), PSTL1KEEP \
	ADD  R4, R6

// func SgemmKernel8x12NEON(k int, a, b, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmKernel8x12NEON(SB), NOSPLIT, $0-96
	MOVD k+0(FP), R3
	MOVD a_base+8(FP), R0
	MOVD b_base+32(FP), R1
	MOVD c_base+56(FP), R2
	MOVD ldc+80(FP), R4
	LSL  $2, R4 // row stride in bytes

	MOVD R2, R6
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW

	// Zero the 24 accumulators.
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16

	LSR $1, R3, R5 // k/2 double steps
	CBZ R5, kodd

kloop:
	KSTEP
	KSTEP
	SUBS $1, R5
	BNE  kloop

kodd:
	TBZ $0, R3, epilogue
	KSTEP

epilogue:
	// Scale by alpha first: the twin rounds alpha·acc before it adds beta·C.
	FMOVS alpha+88(FP), F6
	VDUP  V6.S[0], V6.S4
	SCALE_ROW(0)
	SCALE_ROW(1)
	SCALE_ROW(2)
	SCALE_ROW(3)
	SCALE_ROW(4)
	SCALE_ROW(5)
	SCALE_ROW(6)
	SCALE_ROW(7)

	FMOVS beta+92(FP), F7
	FCMPS $(0.0), F7
	BEQ   storeonly // beta = ±0: C is write-only, a NaN in it must not leak
	VDUP  V7.S[0], V7.S4

	// C row i = fma(beta, C row i, alpha·acc), one rounding per element. Rows alternate
	// between V0-V2 and V3-V5 so that a row's load need not wait for the previous FMLAs.
	BETA_ROW(V0.S4, V1.S4, V2.S4, V8.S4, V9.S4, V10.S4) // row 0
	BETA_ROW(V3.S4, V4.S4, V5.S4, V11.S4, V12.S4, V13.S4) // row 1
	BETA_ROW(V0.S4, V1.S4, V2.S4, V14.S4, V15.S4, V16.S4) // row 2
	BETA_ROW(V3.S4, V4.S4, V5.S4, V17.S4, V18.S4, V19.S4) // row 3
	BETA_ROW(V0.S4, V1.S4, V2.S4, V20.S4, V21.S4, V22.S4) // row 4
	BETA_ROW(V3.S4, V4.S4, V5.S4, V23.S4, V24.S4, V25.S4) // row 5
	BETA_ROW(V0.S4, V1.S4, V2.S4, V26.S4, V27.S4, V28.S4) // row 6
	BETA_ROW(V3.S4, V4.S4, V5.S4, V29.S4, V30.S4, V31.S4) // row 7
	RET

storeonly: // C row i = alpha·acc
	VST1.P [V8.S4, V9.S4, V10.S4], (R2)(R4)
	VST1.P [V11.S4, V12.S4, V13.S4], (R2)(R4)
	VST1.P [V14.S4, V15.S4, V16.S4], (R2)(R4)
	VST1.P [V17.S4, V18.S4, V19.S4], (R2)(R4)
	VST1.P [V20.S4, V21.S4, V22.S4], (R2)(R4)
	VST1.P [V23.S4, V24.S4, V25.S4], (R2)(R4)
	VST1.P [V26.S4, V27.S4, V28.S4], (R2)(R4)
	VST1.P [V29.S4, V30.S4, V31.S4], (R2)(R4)
	RET
