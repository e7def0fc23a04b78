//go:build !purego

#include "textflag.h"
#include "neon_arm64.h"
#include "vecmath_consts_arm64.h"

// NEON vector math: exp, log, tanh and the fused softmax passes, 4 lanes per step.
// Each kernel is its twin in vecmath_generic.go lane by lane (same constants, same
// operations in the same order, one rounding per FMLA/FMLS), so results agree bit
// for bit; the sums of ExpSub/ExpSum differ only by summation order. Tails (n mod 4)
// are moved lane by lane into a vector, computed, and moved back.
//
// What Go's arm64 assembler lacks (vector floating-point arithmetic, compares,
// conversions, signed shifts) comes from the WORD macros of neon_arm64.h, whose
// arguments are register numbers: FADD4S(1, 2, 3) is FADD V1.4S, V2.4S, V3.4S.

// VCONST: Vv.4S = bits (via R9).
#define VCONST(bits, v) MOVW $bits, R9; VDUP R9, v.S4

// HORNER(c, x, p, t): t = c + x·p, one FMLA (c, x, p, t are registers V0–V31): the
// step of every polynomial here, evaluated by Horner's rule.
#define HORNER(c, x, p, t) VMOV c.B16, t.B16; VFMLA x.S4, p.S4, t.S4

// EXP_CONSTS: V12–V13 table 2^(j/8) hi, V14–V15 lo, V16 expMax 88.8,
// V17 expMin −104, V18 8·log2 e, V19 shifter 0x1.8p23, V20 ln2hi/8, V21 ln2lo/8,
// V22 1/6, V23 1/24, V24 ½, V25 int32 7, V26 0x04040404, V27 0x03020100
// (byte offsets of a float32), V28 int32 127.
#define EXP_CONSTS \
	MOVD   $expTabNEON<>(SB), R9 \
	VLD1   (R9), [V12.S4, V13.S4, V14.S4, V15.S4] \
	VCONST(expMax, V16) \
	VCONST(expMin, V17) \
	VCONST(exp8Log2e, V18) \
	VCONST(expShifter, V19) \
	VCONST(exp8Ln2Hi, V20) \
	VCONST(exp8Ln2Lo, V21) \
	VCONST(expC1, V22) \
	VCONST(expC2, V23) \
	VCONST(vmHalf, V24) \
	VCONST(expIndexMask, V25) \
	VCONST(expByteSpread, V26) \
	VCONST(expByteOffsets, V27) \
	VCONST(vmBias127, V28)

// EXP_CORE: V0 = x (|x| ≤ 104 or NaN) → V0 = p = T·e^r, V1 = bits(z) with
// z = 8x·log2e + shifter (low bits hold k). Clobbers V2–V7. As expParts:
// kf = z − shifter; r = (x − kf·ln2hi/8) − kf·ln2lo/8; q = (c2·r + c1)·r + ½;
// u = q·r² + r; T = table[k & 7] by TBL with byte indices 4j..4j+3;
// p = Thi + (Thi·u + Tlo).
#define EXP_CORE \
	VMOV   V19.B16, V1.B16 \
	VFMLA  V18.S4, V0.S4, V1.S4 \
	FSUB4S(2, 1, 19) \
	VFMLS  V20.S4, V2.S4, V0.S4 \
	VFMLS  V21.S4, V2.S4, V0.S4 \
	FMUL4S(2, 0, 0) \
	HORNER(V22, V0, V23, V3) \
	HORNER(V24, V0, V3, V4) \
	HORNER(V0, V2, V4, V3) \
	VAND   V25.B16, V1.B16, V5.B16 \
	MUL4S(5, 5, 26) \
	VADD   V27.S4, V5.S4, V5.S4 \
	VTBL   V5.B16, [V12.B16, V13.B16], V6.B16 \
	VTBL   V5.B16, [V14.B16, V15.B16], V7.B16 \
	VFMLA  V3.S4, V6.S4, V7.S4 \
	FADD4S(0, 6, 7)

// EXP4: V0 = x → V0 = e^x: clamp to [−104, 88.8] (NaN passes), EXP_CORE, then
// n = k >> 3 and 2^n in two factors 2^(n>>1)·2^(n − n>>1), the last multiply
// rounding once (exact when the result is normal).
#define EXP4 \
	FMIN4S(0, 0, 16) \
	FMAX4S(0, 0, 17) \
	EXP_CORE \
	VSUB   V19.S4, V1.S4, V1.S4 \
	SSHR4S_3(1, 1) \
	SSHR4S_1(2, 1) \
	VSUB   V2.S4, V1.S4, V1.S4 \
	VADD   V28.S4, V2.S4, V2.S4 \
	VADD   V28.S4, V1.S4, V1.S4 \
	VSHL   $23, V2.S4, V2.S4 \
	VSHL   $23, V1.S4, V1.S4 \
	FMUL4S(0, 0, 2) \
	FMUL4S(0, 0, 1)

// TAIL_LOAD: R2 = r in 1..3 remaining elements at (R1) → lanes 0..r−1 of V0
// (the other lanes hold 0). Clobbers R3.
#define TAIL_LOAD \
	VEOR  V0.B16, V0.B16, V0.B16 \
	MOVWU (R1), R3 \
	VMOV  R3, V0.S[0] \
	CMP   $2, R2 \
	BLT   3(PC) \
	MOVWU 4(R1), R3 \
	VMOV  R3, V0.S[1] \
	CMP   $3, R2 \
	BLT   3(PC) \
	MOVWU 8(R1), R3 \
	VMOV  R3, V0.S[2]

// TAIL_STORE: lanes 0..r−1 of V0 → (R0), r = R2 in 1..3. Clobbers R3.
#define TAIL_STORE \
	VMOV V0.S[0], R3 \
	MOVW R3, (R0) \
	CMP  $2, R2 \
	BLT  7(PC) \
	VMOV V0.S[1], R3 \
	MOVW R3, 4(R0) \
	CMP  $3, R2 \
	BLT  3(PC) \
	VMOV V0.S[2], R3 \
	MOVW R3, 8(R0)

// TAIL_MASK: V31 = all ones in lanes 0..r−1, r = R2 in 1..3. Clobbers R3.
#define TAIL_MASK \
	VEOR V31.B16, V31.B16, V31.B16 \
	MOVW $-1, R3 \
	VMOV R3, V31.S[0] \
	CMP  $2, R2 \
	BLT  5(PC) \
	VMOV R3, V31.S[1] \
	CMP  $3, R2 \
	BLT  2(PC) \
	VMOV R3, V31.S[2]

// LOOP4_NEON(STEP4, TAIL) walks R2 = n elements: STEP4 once per 4 (advancing its own
// pointers), then TAIL once if 1..3 are left (TAIL_LOAD, TAIL_STORE, TAIL_MASK see
// r = R2). A step is one line of instructions separated by semicolons. Labels are
// local to each TEXT, so the macro serves each routine once.
#define LOOP4_NEON(STEP4, TAIL) \
loop4:           \
	CMP $4, R2   \
	BLT tail     \
	STEP4        \
	SUB $4, R2   \
	B   loop4    \
tail:            \
	CBZ R2, done \
	TAIL         \
done:

// DST_SRC_ARGS(DST, DSTLEN, SRC) loads the arguments of func(dst, src []float32) from
// their operands, written at the call site, where go vet checks their offsets: R0 =
// dst, R1 = src, R2 = len(dst).
#define DST_SRC_ARGS(DST, DSTLEN, SRC) MOVD DST, R0; MOVD DSTLEN, R2; MOVD SRC, R1

// UNARY4_NEON(OP) is the loop of dst = OP(src) (R0 = dst, R1 = src, R2 = n), OP a
// macro on V0.
#define UNARY4_STEP(OP) VLD1.P 16(R1), [V0.S4]; OP; VST1.P [V0.S4], 16(R0)
#define UNARY4_TAIL(OP) TAIL_LOAD; OP; TAIL_STORE
#define UNARY4_NEON(OP) LOOP4_NEON(UNARY4_STEP(OP), UNARY4_TAIL(OP))

// UNARY_NEON(CONSTS, OP) is the body of func(dst, src []float32) computing
// dst[i] = OP(src[i]) after DST_SRC_ARGS: CONSTS (the constants OP needs), the loop.
#define UNARY_NEON(CONSTS, OP) \
	CONSTS           \
	UNARY4_NEON(OP)  \
	RET

// EXPSUM_NEON(STEP4, TAIL, RESULT) is the body of ExpSub and ExpSum once R3 = bits of m:
// V29 = m, V30 = Σ e^(x−m) over the steps, its lanes summed into RESULT. The tail
// masks the lanes past n (TAIL_MASK) out of the sum.
#define EXPSUB_STEP VLD1.P 16(R1), [V0.S4]; FSUB4S(0, 0, 29); EXP4; VST1.P [V0.S4], 16(R0); FADD4S(30, 30, 0)
#define EXPSUB_TAIL TAIL_LOAD; FSUB4S(0, 0, 29); EXP4; TAIL_STORE; TAIL_MASK; VAND V31.B16, V0.B16, V0.B16; FADD4S(30, 30, 0)
#define EXPSUM_STEP VLD1.P 16(R1), [V0.S4]; FSUB4S(0, 0, 29); EXP4; FADD4S(30, 30, 0)
#define EXPSUM_TAIL TAIL_LOAD; FSUB4S(0, 0, 29); EXP4; TAIL_MASK; VAND V31.B16, V0.B16, V0.B16; FADD4S(30, 30, 0)
#define EXPSUM_NEON(STEP4, TAIL, RESULT) \
	VDUP  R3, V29.S4                   \
	VEOR  V30.B16, V30.B16, V30.B16    \
	EXP_CONSTS                         \
	LOOP4_NEON(STEP4, TAIL)            \
	FADDP4S(30, 30, 30)                \
	FADDPS(0, 30)                      \
	FMOVS F0, RESULT                   \
	RET

// func ExpNEON(dst, src []float32)
TEXT ·ExpNEON(SB), NOSPLIT, $0-48
	DST_SRC_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	UNARY_NEON(EXP_CONSTS, EXP4)

// func ExpSubNEON(dst, src []float32, m float32) float32
TEXT ·ExpSubNEON(SB), NOSPLIT, $0-60
	DST_SRC_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	MOVWU m+48(FP), R3
	EXPSUM_NEON(EXPSUB_STEP, EXPSUB_TAIL, ret+56(FP))

// func ExpSumNEON(x []float32, m float32) float32
TEXT ·ExpSumNEON(SB), NOSPLIT, $0-36
	MOVD  x_base+0(FP), R1
	MOVD  x_len+8(FP), R2
	MOVWU m+24(FP), R3
	EXPSUM_NEON(EXPSUM_STEP, EXPSUM_TAIL, ret+32(FP))

// LOG_CONSTS: V11 bits(√½), V12 mantissa mask, V13 1.0, V14–V22 C0–C8, V23 ln2hi,
// V24 ln2lo, V25 zero, V26 bits of the smallest normal, V27 2^23, V28 int32 −23,
// V29 bits(+Inf), V30 quiet NaN, V31 −Inf.
#define LOG_CONSTS \
	VCONST(logSqrtHalf, V11) \
	VCONST(logMant, V12) \
	VCONST(vmOne, V13) \
	VCONST(logC0, V14) \
	VCONST(logC1, V15) \
	VCONST(logC2, V16) \
	VCONST(logC3, V17) \
	VCONST(logC4, V18) \
	VCONST(logC5, V19) \
	VCONST(logC6, V20) \
	VCONST(logC7, V21) \
	VCONST(logC8, V22) \
	VCONST(logLn2Hi, V23) \
	VCONST(logLn2Lo, V24) \
	VEOR   V25.B16, V25.B16, V25.B16 \
	VCONST(logMinNormal, V26) \
	VCONST(logTwo23, V27) \
	VCONST(logMinus23, V28) \
	VCONST(logInfBits, V29) \
	VCONST(logNaN, V30) \
	VCONST(logNegInf, V31)

// LOG4: V0 = x → V0 = log x, branch-free (Log32 lane by lane). Clobbers V1–V10.
// Positive subnormals (0 < bits < bits(2^−126)) are scaled by 2^23 and e lowered
// by 23. Split: ix = bits − bits(√½), e = ix >> 23, m = ix & mant + bits(√½),
// f = m − 1. Then hi = e·ln2hi, s = hi + f, err = f − (s − hi),
// d = err + e·ln2lo, c = d + f·(f·Q), y = s + c. Lanes that are not positive
// finite numbers take x (NaN, +Inf), NaN (x < 0) or −Inf (x = ±0).
#define LOG4 \
	VMOV   V0.B16, V7.B16 \
	CMGT4S(9, 0, 25) \
	CMGT4S(10, 26, 0) \
	VAND   V10.B16, V9.B16, V9.B16 \
	FMUL4S(10, 0, 27) \
	VBIT   V9.B16, V10.B16, V0.B16 \
	VAND   V28.B16, V9.B16, V9.B16 \
	VSUB   V11.S4, V0.S4, V1.S4 \
	SSHR4S_23(2, 1) \
	VAND   V12.B16, V1.B16, V1.B16 \
	VADD   V11.S4, V1.S4, V1.S4 \
	FSUB4S(1, 1, 13) \
	VADD   V9.S4, V2.S4, V2.S4 \
	SCVTF4S(2, 2) \
	HORNER(V21, V1, V22, V3) \
	HORNER(V20, V1, V3, V4) \
	HORNER(V19, V1, V4, V3) \
	HORNER(V18, V1, V3, V4) \
	HORNER(V17, V1, V4, V3) \
	HORNER(V16, V1, V3, V4) \
	HORNER(V15, V1, V4, V3) \
	HORNER(V14, V1, V3, V4) \
	FMUL4S(5, 2, 23) \
	FADD4S(6, 5, 1) \
	FSUB4S(8, 6, 5) \
	FSUB4S(8, 1, 8) \
	VFMLA  V24.S4, V2.S4, V8.S4 \
	FMUL4S(4, 1, 4) \
	VFMLA  V4.S4, V1.S4, V8.S4 \
	FADD4S(0, 6, 8) \
	CMGT4S(9, 7, 25) \
	CMGT4S(10, 29, 7) \
	VAND   V10.B16, V9.B16, V9.B16 \
	FCMGT4S(10, 25, 7) \
	VBIT   V10.B16, V30.B16, V7.B16 \
	FCMEQ4S(10, 7, 25) \
	VBIT   V10.B16, V31.B16, V7.B16 \
	VBIF   V9.B16, V7.B16, V0.B16

// func LogNEON(dst, src []float32)
TEXT ·LogNEON(SB), NOSPLIT, $0-48
	DST_SRC_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	UNARY_NEON(LOG_CONSTS, LOG4)

// TANH_CONSTS: the EXP_CORE constants V12–V15, V18–V27, and V16 C2, V17 C1,
// V28 1.0, V29 0.5625, V30 C0, V31 10.0 (C3, C4 are loaded in the loop).
#define TANH_CONSTS \
	EXP_CONSTS \
	VCONST(tanhC2, V16) \
	VCONST(tanhC1, V17) \
	VCONST(vmOne, V28) \
	VCONST(tanhSmall, V29) \
	VCONST(tanhC0, V30) \
	VCONST(tanhMax, V31)

// EXP_SCALE_ONE: after EXP_CORE, with the result normal, V0 = p·2^n: 2^n built as
// (n<<23) + bits(1) and multiplied, so that a NaN p stays NaN. Needs V28 = 1.0.
#define EXP_SCALE_ONE \
	VUSHR  $3, V1.S4, V1.S4 \
	VSHL   $23, V1.S4, V1.S4 \
	VADD   V28.S4, V1.S4, V1.S4 \
	FMUL4S(0, 0, 1)

// TANH4: V0 = x → V0 = tanh x (Tanh32 lane by lane). a = |x|; small path
// a + (a·a²)·P(a²); large path 1 − 2/(e^{2·min(a, 10)} + 1) with e^{2a} = p·2^n,
// 2^n built as (n<<23) + bits(1) and multiplied so that NaN stays NaN; blend on
// a < 0.5625, then the sign of x. Clobbers V1–V11, R9.
#define TANH4 \
	FABS4S(8, 0) \
	VEOR   V8.B16, V0.B16, V9.B16 \
	FCMGT4S(10, 29, 8) \
	FMUL4S(2, 8, 8) \
	VCONST(tanhC3, V3) \
	VCONST(tanhC4, V4) \
	VFMLA  V2.S4, V4.S4, V3.S4 \
	HORNER(V16, V2, V3, V4) \
	HORNER(V17, V2, V4, V3) \
	HORNER(V30, V2, V3, V4) \
	FMUL4S(2, 8, 2) \
	HORNER(V8, V4, V2, V11) \
	FMIN4S(0, 8, 31) \
	FADD4S(0, 0, 0) \
	EXP_CORE \
	EXP_SCALE_ONE \
	FADD4S(0, 0, 28) \
	FADD4S(2, 28, 28) \
	FDIV4S(1, 2, 0) \
	FSUB4S(0, 28, 1) \
	VBIT   V10.B16, V11.B16, V0.B16 \
	VORR   V9.B16, V0.B16, V0.B16

// func TanhNEON(dst, src []float32)
TEXT ·TanhNEON(SB), NOSPLIT, $0-48
	DST_SRC_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	UNARY_NEON(TANH_CONSTS, TANH4)

// GELU_CONSTS: EXP_CONSTS, then V16 k1, V17 3·k1, V28 1.0, V29 −2k0, V30 −10,
// V31 10 (EXP_CORE needs neither expMax nor expMin, whose registers V16 and V17 take).
#define GELU_CONSTS \
	EXP_CONSTS \
	VCONST(geluK1, V16) \
	VCONST(geluK1x3, V17) \
	VCONST(vmOne, V28) \
	VCONST(geluM2K0, V29) \
	VCONST(geluBwdMin, V30) \
	VCONST(tanhMax, V31)

// GELU4_EXP: V0 = x → V8 = c = x clamped to [−10, 10] (NaN passes: FMIN and FMAX
// return NaN when either operand is), V9 = c·c, V0 = e^{−2u} (geluExp lane by lane):
// −2u = ((c·c·c)·k1 + c)·(−2k0), EXP_CORE, 2^n built as (n<<23) + bits(1) and
// multiplied. Needs GELU_CONSTS. Clobbers V1–V7.
#define GELU4_EXP \
	FMIN4S(8, 0, 31) \
	FMAX4S(8, 8, 30) \
	FMUL4S(9, 8, 8) \
	FMUL4S(0, 8, 9) \
	HORNER(V8, V0, V16, V2) \
	FMUL4S(0, 2, 29) \
	EXP_CORE \
	EXP_SCALE_ONE

// GELU4: V0 = x → V0 = gelu(x) = max(x, −10)/(1 + e^{−2u}) (GeluGeneric lane by
// lane); x is kept in V10. Clobbers V1–V10.
#define GELU4 \
	VMOV   V0.B16, V10.B16 \
	GELU4_EXP \
	FADD4S(0, 0, 28) \
	FMAX4S(10, 10, 30) \
	FDIV4S(0, 10, 0)

// func GeluNEON(dst, src []float32)
TEXT ·GeluNEON(SB), NOSPLIT, $0-48
	DST_SRC_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	UNARY_NEON(GELU_CONSTS, GELU4)

// GELUBWD4: V0 = x → V0 = gelu'(x) (GeluBackwardGeneric lane by lane): GELU4_EXP,
// r = c·((1 + c²·3k1)·(−2k0)), s = 1/(1 + e), es = e·s, g = s·(1 − r·es) with one
// FMLS, then g = 0 where c = −10 (NaN lanes keep g). Clobbers V1–V10.
#define GELUBWD4 \
	GELU4_EXP \
	VMOV   V28.B16, V2.B16 \
	VFMLA  V9.S4, V17.S4, V2.S4 \
	FMUL4S(2, 2, 29) \
	FMUL4S(2, 8, 2) \
	FADD4S(3, 0, 28) \
	FDIV4S(3, 28, 3) \
	FMUL4S(0, 0, 3) \
	VMOV   V28.B16, V4.B16 \
	VFMLS  V2.S4, V0.S4, V4.S4 \
	FMUL4S(0, 3, 4) \
	FCMEQ4S(5, 8, 30) \
	VEOR   V6.B16, V6.B16, V6.B16 \
	VBIT   V5.B16, V6.B16, V0.B16

// GELUBWD4_ACC: V0 = g → dx[0:4] += g·dy[0:4] (R0 = dx, R4 = dy, each advanced by 16
// bytes): the product rounded, then added, as in the twin. Clobbers V1.
#define GELUBWD4_ACC \
	VLD1.P 16(R4), [V1.S4] \
	FMUL4S(0, 0, 1) \
	VLD1   (R0), [V1.S4] \
	FADD4S(0, 1, 0) \
	VST1.P [V0.S4], 16(R0)

// func GeluBackwardNEON(dx, x, dy []float32)
// dx += gelu'(x)·dy: GELUBWD4, then the product g·dy rounded and added to dx (two
// roundings, as in the twin). The tail runs TAIL_LOAD on x, dy and dx in turn (R1
// pointed at each), g kept in V11 meanwhile.
#define GELUBWD_STEP VLD1.P 16(R1), [V0.S4]; GELUBWD4; GELUBWD4_ACC
#define GELUBWD_TAIL TAIL_LOAD; GELUBWD4; VMOV V0.B16, V11.B16; MOVD R4, R1; TAIL_LOAD; FMUL4S(11, 11, 0); MOVD R0, R1; TAIL_LOAD; FADD4S(0, 0, 11); TAIL_STORE
TEXT ·GeluBackwardNEON(SB), NOSPLIT, $0-72
	MOVD dx_base+0(FP), R0
	MOVD dx_len+8(FP), R2
	MOVD x_base+24(FP), R1
	MOVD dy_base+48(FP), R4
	GELU_CONSTS
	LOOP4_NEON(GELUBWD_STEP, GELUBWD_TAIL)
	RET
