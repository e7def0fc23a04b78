//go:build !purego

#include "textflag.h"

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
// by-element FMLA and no vector FMUL, so both are emitted with WORD inside the macros
// below, named after their operands in ARM order (destination first), each commented
// with its exact mnemonic; scripts/check-arm64-words re-assembles every comment with
// GNU as and compares the words.
//
// Cache plan: the driver keeps one packed B micro-panel (kc×12) in L1 while it walks
// the A micro-panels (kc×8) of an mc×kc block held in L2; see simd/dispatch_arm64.go.

// fmla v(8+3i+j).4s, v(2+j).4s, v(i/4).s[i%4]: C row i, column block j += B block j · A[i].
#define FMLA_V8_V2_V0S0  WORD $0x4f801048 // fmla v8.4s, v2.4s, v0.s[0]
#define FMLA_V11_V2_V0S1 WORD $0x4fa0104b // fmla v11.4s, v2.4s, v0.s[1]
#define FMLA_V14_V2_V0S2 WORD $0x4f80184e // fmla v14.4s, v2.4s, v0.s[2]
#define FMLA_V17_V2_V0S3 WORD $0x4fa01851 // fmla v17.4s, v2.4s, v0.s[3]
#define FMLA_V20_V2_V1S0 WORD $0x4f811054 // fmla v20.4s, v2.4s, v1.s[0]
#define FMLA_V23_V2_V1S1 WORD $0x4fa11057 // fmla v23.4s, v2.4s, v1.s[1]
#define FMLA_V26_V2_V1S2 WORD $0x4f81185a // fmla v26.4s, v2.4s, v1.s[2]
#define FMLA_V29_V2_V1S3 WORD $0x4fa1185d // fmla v29.4s, v2.4s, v1.s[3]
#define FMLA_V9_V3_V0S0  WORD $0x4f801069 // fmla v9.4s, v3.4s, v0.s[0]
#define FMLA_V12_V3_V0S1 WORD $0x4fa0106c // fmla v12.4s, v3.4s, v0.s[1]
#define FMLA_V15_V3_V0S2 WORD $0x4f80186f // fmla v15.4s, v3.4s, v0.s[2]
#define FMLA_V18_V3_V0S3 WORD $0x4fa01872 // fmla v18.4s, v3.4s, v0.s[3]
#define FMLA_V21_V3_V1S0 WORD $0x4f811075 // fmla v21.4s, v3.4s, v1.s[0]
#define FMLA_V24_V3_V1S1 WORD $0x4fa11078 // fmla v24.4s, v3.4s, v1.s[1]
#define FMLA_V27_V3_V1S2 WORD $0x4f81187b // fmla v27.4s, v3.4s, v1.s[2]
#define FMLA_V30_V3_V1S3 WORD $0x4fa1187e // fmla v30.4s, v3.4s, v1.s[3]
#define FMLA_V10_V4_V0S0 WORD $0x4f80108a // fmla v10.4s, v4.4s, v0.s[0]
#define FMLA_V13_V4_V0S1 WORD $0x4fa0108d // fmla v13.4s, v4.4s, v0.s[1]
#define FMLA_V16_V4_V0S2 WORD $0x4f801890 // fmla v16.4s, v4.4s, v0.s[2]
#define FMLA_V19_V4_V0S3 WORD $0x4fa01893 // fmla v19.4s, v4.4s, v0.s[3]
#define FMLA_V22_V4_V1S0 WORD $0x4f811096 // fmla v22.4s, v4.4s, v1.s[0]
#define FMLA_V25_V4_V1S1 WORD $0x4fa11099 // fmla v25.4s, v4.4s, v1.s[1]
#define FMLA_V28_V4_V1S2 WORD $0x4f81189c // fmla v28.4s, v4.4s, v1.s[2]
#define FMLA_V31_V4_V1S3 WORD $0x4fa1189f // fmla v31.4s, v4.4s, v1.s[3]

// fmul v(r).4s, v(r).4s, v6.4s: scale accumulator r by alpha.
#define FMUL_V8_V8_V6    WORD $0x6e26dd08 // fmul v8.4s, v8.4s, v6.4s
#define FMUL_V9_V9_V6    WORD $0x6e26dd29 // fmul v9.4s, v9.4s, v6.4s
#define FMUL_V10_V10_V6  WORD $0x6e26dd4a // fmul v10.4s, v10.4s, v6.4s
#define FMUL_V11_V11_V6  WORD $0x6e26dd6b // fmul v11.4s, v11.4s, v6.4s
#define FMUL_V12_V12_V6  WORD $0x6e26dd8c // fmul v12.4s, v12.4s, v6.4s
#define FMUL_V13_V13_V6  WORD $0x6e26ddad // fmul v13.4s, v13.4s, v6.4s
#define FMUL_V14_V14_V6  WORD $0x6e26ddce // fmul v14.4s, v14.4s, v6.4s
#define FMUL_V15_V15_V6  WORD $0x6e26ddef // fmul v15.4s, v15.4s, v6.4s
#define FMUL_V16_V16_V6  WORD $0x6e26de10 // fmul v16.4s, v16.4s, v6.4s
#define FMUL_V17_V17_V6  WORD $0x6e26de31 // fmul v17.4s, v17.4s, v6.4s
#define FMUL_V18_V18_V6  WORD $0x6e26de52 // fmul v18.4s, v18.4s, v6.4s
#define FMUL_V19_V19_V6  WORD $0x6e26de73 // fmul v19.4s, v19.4s, v6.4s
#define FMUL_V20_V20_V6  WORD $0x6e26de94 // fmul v20.4s, v20.4s, v6.4s
#define FMUL_V21_V21_V6  WORD $0x6e26deb5 // fmul v21.4s, v21.4s, v6.4s
#define FMUL_V22_V22_V6  WORD $0x6e26ded6 // fmul v22.4s, v22.4s, v6.4s
#define FMUL_V23_V23_V6  WORD $0x6e26def7 // fmul v23.4s, v23.4s, v6.4s
#define FMUL_V24_V24_V6  WORD $0x6e26df18 // fmul v24.4s, v24.4s, v6.4s
#define FMUL_V25_V25_V6  WORD $0x6e26df39 // fmul v25.4s, v25.4s, v6.4s
#define FMUL_V26_V26_V6  WORD $0x6e26df5a // fmul v26.4s, v26.4s, v6.4s
#define FMUL_V27_V27_V6  WORD $0x6e26df7b // fmul v27.4s, v27.4s, v6.4s
#define FMUL_V28_V28_V6  WORD $0x6e26df9c // fmul v28.4s, v28.4s, v6.4s
#define FMUL_V29_V29_V6  WORD $0x6e26dfbd // fmul v29.4s, v29.4s, v6.4s
#define FMUL_V30_V30_V6  WORD $0x6e26dfde // fmul v30.4s, v30.4s, v6.4s
#define FMUL_V31_V31_V6  WORD $0x6e26dfff // fmul v31.4s, v31.4s, v6.4s

// KSTEP consumes one k step: A column p (8 floats) and B row p (12 floats), both
// post-incremented, then 24 FMLAs ordered by B block so that the first eight need
// only the first B vector. The next step's loads reuse V0-V4 at once: out-of-order
// cores (Neoverse, Cortex-A7x/X, Apple) rename them, so the loads run ahead of the
// FMLAs. Each accumulator is written once per 24 FMLAs, far more than the FMLA
// latency (4 cycles) times the FMA pipes (2-4) requires.
#define KSTEP \
	VLD1.P 32(R0), [V0.S4, V1.S4] \
	VLD1.P 48(R1), [V2.S4, V3.S4, V4.S4] \
	FMLA_V8_V2_V0S0 \
	FMLA_V11_V2_V0S1 \
	FMLA_V14_V2_V0S2 \
	FMLA_V17_V2_V0S3 \
	FMLA_V20_V2_V1S0 \
	FMLA_V23_V2_V1S1 \
	FMLA_V26_V2_V1S2 \
	FMLA_V29_V2_V1S3 \
	FMLA_V9_V3_V0S0 \
	FMLA_V12_V3_V0S1 \
	FMLA_V15_V3_V0S2 \
	FMLA_V18_V3_V0S3 \
	FMLA_V21_V3_V1S0 \
	FMLA_V24_V3_V1S1 \
	FMLA_V27_V3_V1S2 \
	FMLA_V30_V3_V1S3 \
	FMLA_V10_V4_V0S0 \
	FMLA_V13_V4_V0S1 \
	FMLA_V16_V4_V0S2 \
	FMLA_V19_V4_V0S3 \
	FMLA_V22_V4_V1S0 \
	FMLA_V25_V4_V1S1 \
	FMLA_V28_V4_V1S2 \
	FMLA_V31_V4_V1S3

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
	FMUL_V8_V8_V6
	FMUL_V9_V9_V6
	FMUL_V10_V10_V6
	FMUL_V11_V11_V6
	FMUL_V12_V12_V6
	FMUL_V13_V13_V6
	FMUL_V14_V14_V6
	FMUL_V15_V15_V6
	FMUL_V16_V16_V6
	FMUL_V17_V17_V6
	FMUL_V18_V18_V6
	FMUL_V19_V19_V6
	FMUL_V20_V20_V6
	FMUL_V21_V21_V6
	FMUL_V22_V22_V6
	FMUL_V23_V23_V6
	FMUL_V24_V24_V6
	FMUL_V25_V25_V6
	FMUL_V26_V26_V6
	FMUL_V27_V27_V6
	FMUL_V28_V28_V6
	FMUL_V29_V29_V6
	FMUL_V30_V30_V6
	FMUL_V31_V31_V6

	FMOVS beta+92(FP), F7
	FCMPS $(0.0), F7
	BEQ   storeonly // beta = ±0: C is write-only, a NaN in it must not leak
	VDUP  V7.S[0], V7.S4

	// C row i = fma(beta, C row i, alpha·acc), one rounding per element. Rows alternate
	// between V0-V2 and V3-V5 so that a row's load need not wait for the previous FMLAs.
	VLD1   (R2), [V0.S4, V1.S4, V2.S4] // row 0
	VFMLA  V7.S4, V0.S4, V8.S4
	VFMLA  V7.S4, V1.S4, V9.S4
	VFMLA  V7.S4, V2.S4, V10.S4
	VST1.P [V8.S4, V9.S4, V10.S4], (R2)(R4)
	VLD1   (R2), [V3.S4, V4.S4, V5.S4] // row 1
	VFMLA  V7.S4, V3.S4, V11.S4
	VFMLA  V7.S4, V4.S4, V12.S4
	VFMLA  V7.S4, V5.S4, V13.S4
	VST1.P [V11.S4, V12.S4, V13.S4], (R2)(R4)
	VLD1   (R2), [V0.S4, V1.S4, V2.S4] // row 2
	VFMLA  V7.S4, V0.S4, V14.S4
	VFMLA  V7.S4, V1.S4, V15.S4
	VFMLA  V7.S4, V2.S4, V16.S4
	VST1.P [V14.S4, V15.S4, V16.S4], (R2)(R4)
	VLD1   (R2), [V3.S4, V4.S4, V5.S4] // row 3
	VFMLA  V7.S4, V3.S4, V17.S4
	VFMLA  V7.S4, V4.S4, V18.S4
	VFMLA  V7.S4, V5.S4, V19.S4
	VST1.P [V17.S4, V18.S4, V19.S4], (R2)(R4)
	VLD1   (R2), [V0.S4, V1.S4, V2.S4] // row 4
	VFMLA  V7.S4, V0.S4, V20.S4
	VFMLA  V7.S4, V1.S4, V21.S4
	VFMLA  V7.S4, V2.S4, V22.S4
	VST1.P [V20.S4, V21.S4, V22.S4], (R2)(R4)
	VLD1   (R2), [V3.S4, V4.S4, V5.S4] // row 5
	VFMLA  V7.S4, V3.S4, V23.S4
	VFMLA  V7.S4, V4.S4, V24.S4
	VFMLA  V7.S4, V5.S4, V25.S4
	VST1.P [V23.S4, V24.S4, V25.S4], (R2)(R4)
	VLD1   (R2), [V0.S4, V1.S4, V2.S4] // row 6
	VFMLA  V7.S4, V0.S4, V26.S4
	VFMLA  V7.S4, V1.S4, V27.S4
	VFMLA  V7.S4, V2.S4, V28.S4
	VST1.P [V26.S4, V27.S4, V28.S4], (R2)(R4)
	VLD1   (R2), [V3.S4, V4.S4, V5.S4] // row 7
	VFMLA  V7.S4, V3.S4, V29.S4
	VFMLA  V7.S4, V4.S4, V30.S4
	VFMLA  V7.S4, V5.S4, V31.S4
	VST1.P [V29.S4, V30.S4, V31.S4], (R2)(R4)
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
