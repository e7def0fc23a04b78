//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"

// Level-1 NEON kernels; the reference loops are in level1_arm64.go.
//
// Go's arm64 assembler has no vector forms of FADD, FMUL, FMAX, FADDP or FMAXV;
// those come from the WORD macros of neon_arm64.h (arguments are register numbers,
// destination first: FMUL4S(0, 0, 16) is FMUL V0.4S, V0.4S, V16.4S). Registers:
// V0-V3 accumulate or hold x, V4-V7 hold the second stream, V16 holds the broadcast
// scalar.
//
// Every kernel walks its R1 = len floats with the same two loops: BLOCKS_NEON runs
// STEP16 once per 16 floats, then STEP4 once per 4 of the rest; SINGLES_NEON runs
// STEP1 once per float of the last len mod 4. R3 counts. A step is one line of
// instructions separated by semicolons that advances its own pointers. Labels are
// local to each TEXT, so each macro serves a routine once.
#define BLOCKS_NEON(STEP16, STEP4) \
	LSR  $4, R1, R3      \
	CBZ  R3, blocks4     \
loop16:                  \
	STEP16               \
	SUBS $1, R3          \
	BNE  loop16          \
blocks4:                 \
	UBFX $2, R1, $2, R3  \
	CBZ  R3, blocksdone  \
loop4:                   \
	STEP4                \
	SUBS $1, R3          \
	BNE  loop4           \
blocksdone:

#define SINGLES_NEON(STEP1) \
	ANDS $3, R1, R3      \
	BEQ  singlesdone     \
loop1:                   \
	STEP1                \
	SUBS $1, R3          \
	BNE  loop1           \
singlesdone:

// REDUCE_ADD_V0_V3 folds the four accumulators V0-V3 into F0 (the low lane of V0):
// (V0+V1) + (V2+V3), then two pairwise additions across the lanes.
#define REDUCE_ADD_V0_V3 \
	FADD4S(0, 0, 1)  \
	FADD4S(2, 2, 3)  \
	FADD4S(0, 0, 2)  \
	FADDP4S(0, 0, 0) \
	FADDPS(0, 0)

// SUM_NEON(STEP16, STEP4, STEP1) sums into F0: the steps add into the accumulators
// V0-V3 (STEP1 into F0), reduced after the blocks.
#define SUM_NEON(STEP16, STEP4, STEP1) \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	BLOCKS_NEON(STEP16, STEP4)  \
	REDUCE_ADD_V0_V3            \
	SINGLES_NEON(STEP1)

// ELEMENTWISE2_NEON(VOP, SOP, DST, DSTLEN, X, Y) is the body of func(dst, x, y
// []float32) computing dst[i] = x[i] op y[i]: VOP the 4-lane instruction (a
// neon_arm64.h macro taking register numbers), SOP the scalar one for the len mod 4
// tail (R0 = dst, R1 = len(dst), R2 = x, R4 = y). DST, DSTLEN, X and Y are the
// arguments' operands, written at the call site, where go vet checks their offsets.
#define EW16(VOP) VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]; VLD1.P 64(R4), [V4.S4, V5.S4, V6.S4, V7.S4]; VOP(0, 0, 4); VOP(1, 1, 5); VOP(2, 2, 6); VOP(3, 3, 7); VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
#define EW4(VOP)  VLD1.P 16(R2), [V0.S4]; VLD1.P 16(R4), [V4.S4]; VOP(0, 0, 4); VST1.P [V0.S4], 16(R0)
#define EW1(SOP)  FMOVS.P 4(R2), F0; FMOVS.P 4(R4), F4; SOP F4, F0, F0; FMOVS.P F0, 4(R0)
#define ELEMENTWISE2_NEON(VOP, SOP, DST, DSTLEN, X, Y) \
	MOVD DST, R0                     \
	MOVD DSTLEN, R1                  \
	MOVD X, R2                       \
	MOVD Y, R4                       \
	BLOCKS_NEON(EW16(VOP), EW4(VOP)) \
	SINGLES_NEON(EW1(SOP))           \
	RET

// func DotNEON(x, y []float32) float32
//
// V0 += V8·V4 per lane (VFMLA), F0 += F8·F4 in the tail (FMADDS).
#define DOT16 VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]; VLD1.P 64(R2), [V8.S4, V9.S4, V10.S4, V11.S4]; VFMLA V4.S4, V8.S4, V0.S4; VFMLA V5.S4, V9.S4, V1.S4; VFMLA V6.S4, V10.S4, V2.S4; VFMLA V7.S4, V11.S4, V3.S4
#define DOT4  VLD1.P 16(R0), [V4.S4]; VLD1.P 16(R2), [V8.S4]; VFMLA V4.S4, V8.S4, V0.S4
#define DOT1  FMOVS.P 4(R0), F4; FMOVS.P 4(R2), F8; FMADDS F4, F0, F8, F0
TEXT ·DotNEON(SB), NOSPLIT, $0-52
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R1
	MOVD y_base+24(FP), R2
	SUM_NEON(DOT16, DOT4, DOT1)
	FMOVS F0, ret+48(FP)
	RET

// func AxpyNEON(alpha float32, x, y []float32)
//
// y += x·alpha with one rounding: VFMLA, FMADDS in the tail.
#define AXPY16 VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]; VLD1 (R2), [V4.S4, V5.S4, V6.S4, V7.S4]; VFMLA V16.S4, V0.S4, V4.S4; VFMLA V16.S4, V1.S4, V5.S4; VFMLA V16.S4, V2.S4, V6.S4; VFMLA V16.S4, V3.S4, V7.S4; VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R2)
#define AXPY4  VLD1.P 16(R0), [V0.S4]; VLD1 (R2), [V4.S4]; VFMLA V16.S4, V0.S4, V4.S4; VST1.P [V4.S4], 16(R2)
#define AXPY1  FMOVS.P 4(R0), F0; FMOVS (R2), F4; FMADDS F16, F4, F0, F4; FMOVS.P F4, 4(R2)
TEXT ·AxpyNEON(SB), NOSPLIT, $0-56
	FMOVS alpha+0(FP), F16
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R1
	MOVD  y_base+32(FP), R2
	VDUP  V16.S[0], V16.S4 // alpha in every lane
	BLOCKS_NEON(AXPY16, AXPY4)
	SINGLES_NEON(AXPY1)
	RET

// func ScaleNEON(alpha float32, x []float32)
#define SCALE16 VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]; FMUL4S(0, 0, 16); FMUL4S(1, 1, 16); FMUL4S(2, 2, 16); FMUL4S(3, 3, 16); VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
#define SCALE4  VLD1 (R0), [V0.S4]; FMUL4S(0, 0, 16); VST1.P [V0.S4], 16(R0)
#define SCALE1  FMOVS (R0), F0; FMULS F16, F0, F0; FMOVS.P F0, 4(R0)
TEXT ·ScaleNEON(SB), NOSPLIT, $0-32
	FMOVS alpha+0(FP), F16
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R1
	VDUP  V16.S[0], V16.S4
	BLOCKS_NEON(SCALE16, SCALE4)
	SINGLES_NEON(SCALE1)
	RET

// func AddNEON(dst, x, y []float32)
TEXT ·AddNEON(SB), NOSPLIT, $0-72
	ELEMENTWISE2_NEON(FADD4S, FADDS, dst_base+0(FP), dst_len+8(FP), x_base+24(FP), y_base+48(FP))

// func MulNEON(dst, x, y []float32)
TEXT ·MulNEON(SB), NOSPLIT, $0-72
	ELEMENTWISE2_NEON(FMUL4S, FMULS, dst_base+0(FP), dst_len+8(FP), x_base+24(FP), y_base+48(FP))

// FOLD_LOOPS_NEON(VOP) folds x (R0, R1 = len(x)) into the accumulators V0-V3 with
// the 4-lane VOP (a neon_arm64.h macro), leaving R0 at the last len mod 4 floats;
// FOLD_TAIL_NEON(SOP) folds those into F0 with the scalar SOP.
#define FOLD16(VOP) VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]; VOP(0, 0, 4); VOP(1, 1, 5); VOP(2, 2, 6); VOP(3, 3, 7)
#define FOLD4(VOP)  VLD1.P 16(R0), [V4.S4]; VOP(0, 0, 4)
#define FOLD1(SOP)  FMOVS.P 4(R0), F4; SOP F4, F0, F0
#define FOLD_LOOPS_NEON(VOP) BLOCKS_NEON(FOLD16(VOP), FOLD4(VOP))
#define FOLD_TAIL_NEON(SOP) SINGLES_NEON(FOLD1(SOP))

// func SumNEON(x []float32) float32
TEXT ·SumNEON(SB), NOSPLIT, $0-28
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R1
	SUM_NEON(FOLD16(FADD4S), FOLD4(FADD4S), FOLD1(FADDS))
	FMOVS F0, ret+24(FP)
	RET

// func MaxNEON(x []float32) float32
TEXT ·MaxNEON(SB), NOSPLIT, $0-28
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R1
	MOVD R0, R5               // start of x, for the NaN and zero passes
	MOVW $0xff800000, R4      // -Inf, the maximum of nothing
	VDUP R4, V0.S4
	VMOV V0.B16, V1.B16
	VMOV V0.B16, V2.B16
	VMOV V0.B16, V3.B16
	FOLD_LOOPS_NEON(FMAX4S)
	FMAX4S(0, 0, 1)
	FMAX4S(2, 2, 3)
	FMAX4S(0, 0, 2)
	FMAXVS(0, 0)
	FOLD_TAIL_NEON(FMAXS)

maxcheck:
	FCMPS F0, F0
	BVS   maxfirstnan // unordered: x holds a NaN
	FCMPS $(0.0), F0
	BEQ   maxfirstzero
	FMOVS F0, ret+24(FP)
	RET

	// FMAX returns some NaN of x, quieted; the loop returns the first one as is.
	// One exists, so the scan stops inside x.
maxfirstnan:
	FMOVS.P 4(R5), F0
	FCMPS   F0, F0
	BVC     maxfirstnan
	FMOVS   F0, ret+24(FP)
	RET

	// The maximum is a zero, but FMAX prefers +0 to -0 while the loop keeps the
	// first zero it meets (later zeros are not greater). One exists, so the scan
	// stops inside x.
maxfirstzero:
	FMOVS.P 4(R5), F0
	FCMPS   $(0.0), F0
	BNE     maxfirstzero
	FMOVS   F0, ret+24(FP)
	RET

// func ReluBackwardNEON(dx, x, dy []float32)
//
// R0 = dx, R2 = x, R4 = dy; V31 = +0. Per 4 lanes: V0 = x > 0 (FCMGT, false for
// NaN), V8 = dx + dy (FADD), then BIT inserts V8 into dx (V4) where V0 is set; the
// other lanes store dx's own bits back. The singles run the same instructions on a
// lane loaded by FMOVS (which clears the rest of the register).
#define RBWD16 VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]; VLD1 (R0), [V4.S4, V5.S4, V6.S4, V7.S4]; VLD1.P 64(R4), [V8.S4, V9.S4, V10.S4, V11.S4]; FCMGT4S(0, 0, 31); FCMGT4S(1, 1, 31); FCMGT4S(2, 2, 31); FCMGT4S(3, 3, 31); FADD4S(8, 4, 8); FADD4S(9, 5, 9); FADD4S(10, 6, 10); FADD4S(11, 7, 11); VBIT V0.B16, V8.B16, V4.B16; VBIT V1.B16, V9.B16, V5.B16; VBIT V2.B16, V10.B16, V6.B16; VBIT V3.B16, V11.B16, V7.B16; VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
#define RBWD_SELECT FCMGT4S(0, 0, 31); FADD4S(8, 4, 8); VBIT V0.B16, V8.B16, V4.B16
#define RBWD4  VLD1.P 16(R2), [V0.S4]; VLD1 (R0), [V4.S4]; VLD1.P 16(R4), [V8.S4]; RBWD_SELECT; VST1.P [V4.S4], 16(R0)
#define RBWD1  FMOVS.P 4(R2), F0; FMOVS (R0), F4; FMOVS.P 4(R4), F8; RBWD_SELECT; FMOVS.P F4, 4(R0)
TEXT ·ReluBackwardNEON(SB), NOSPLIT, $0-72
	MOVD dx_base+0(FP), R0
	MOVD dx_len+8(FP), R1
	MOVD x_base+24(FP), R2
	MOVD dy_base+48(FP), R4
	VEOR V31.B16, V31.B16, V31.B16
	BLOCKS_NEON(RBWD16, RBWD4)
	SINGLES_NEON(RBWD1)
	RET
