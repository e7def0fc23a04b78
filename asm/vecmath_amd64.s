//go:build !purego

#include "textflag.h"
#include "args_amd64.h"
#include "avx512_amd64.h"
#include "vecmath_consts_amd64.h"
#include "exp_amd64.h"

// AVX2+FMA vector math: exp, log, tanh and the fused softmax passes, 8 lanes per
// step. Each kernel is its twin in vecmath_generic.go, lane by lane: same constants
// (the bit patterns below), same operations in the same order, one rounding per
// VFMADD, so results agree bit for bit (the sums of ExpSub/ExpSum differ only by
// summation order). Tails (n mod 8) use VMASKMOVPS loads and stores, which touch no
// memory in the masked-off lanes.
//
// Go's operand order is reversed from Intel's: "VSUBPS a, b, c" is c = b − a, and
// "VMINPS x, k, d" returns x (the r/m operand) when either input is NaN, which is
// how the clamps let NaN through.

// EXP_CORE_R: EXP_CORE_K with every constant in memory.
#define EXP_CORE_R(x, z, t2, t3, t4, t5) EXP_CORE_K(x, z, t2, t3, t4, t5, expShifter<>(SB), exp8Log2e<>(SB), exp8Ln2Hi<>(SB), exp8Ln2Lo<>(SB), expC1<>(SB), expC2<>(SB), vmHalf<>(SB), expTabHi<>(SB), expTabLo<>(SB))

#define EXP_CORE EXP_CORE_R(Y0, Y1, Y2, Y3, Y4, Y5)

// EXP_FAST_R(x, z, t2, t3, t4, t5): x with |x| ≤ 87 → x = e^x, constants in memory.
#define EXP_FAST_R(x, z, t2, t3, t4, t5) \
	EXP_CORE_R(x, z, t2, t3, t4, t5) \
	EXP_SCALE_FAST(x, z, VPAND, expExpMask<>(SB))

#define EXP_FAST EXP_FAST_R(Y0, Y1, Y2, Y3, Y4, Y5)

// EXP_FAST_REG(x, z, t2, t3, t4, t5): EXP_FAST_R with shifter, 8·log2e, ln2hi/8,
// ln2lo/8 and C1 held in Y15, Y14, Y13, Y12, Y11 (EXP_CONSTS32).
#define EXP_FAST_REG(x, z, t2, t3, t4, t5) \
	EXP_CORE_K(x, z, t2, t3, t4, t5, Y15, Y14, Y13, Y12, Y11, expC2<>(SB), vmHalf<>(SB), expTabHi<>(SB), expTabLo<>(SB)) \
	EXP_SCALE_FAST(x, z, VPAND, expExpMask<>(SB))

// EXP_FAST_SOFT(x, z, t2, t3, t4, t5): EXP_FAST_R for the softmax kernels, with
// shifter, 8·log2e, ln2hi/8, ln2lo/8 held in Y13, Y11, Y10, Y5 (SOFT_SETUP4).
#define EXP_FAST_SOFT(x, z, t2, t3, t4, t5) \
	EXP_CORE_K(x, z, t2, t3, t4, t5, Y13, Y11, Y10, Y5, expC1<>(SB), expC2<>(SB), vmHalf<>(SB), expTabHi<>(SB), expTabLo<>(SB)) \
	EXP_SCALE_FAST(x, z, VPAND, expExpMask<>(SB))

// CHECK4(abs): flags NZ (JNZ taken) if any lane of Y6–Y9 has |x| > 87 or NaN, the
// lanes whose e^x may not be a normal number (as integers, |x|'s bits exceed bits(87)
// for those, NaN included); abs is the register holding the abs mask (it may be Y3,
// overwritten last). Clobbers Y0–Y3, AX.
#define CHECK4(abs) \
	VPAND     abs, Y6, Y0 \
	VPAND     abs, Y7, Y1 \
	VPAND     abs, Y8, Y2 \
	VPAND     abs, Y9, Y3 \
	VPMAXUD   Y1, Y0, Y0 \
	VPMAXUD   Y3, Y2, Y2 \
	VPMAXUD   Y2, Y0, Y0 \
	VPCMPGTD  expFastMax<>(SB), Y0, Y0 \
	VMOVMSKPS Y0, AX \
	TESTL     AX, AX

// SOFT_CHECK4: CHECK4 for the softmax kernels, the abs mask loaded into Y3.
#define SOFT_CHECK4 \
	VMOVUPS vmAbsMask<>(SB), Y3 \
	CHECK4(Y3)

// EXP_FAST_SOFT4: Y6–Y9 ← e^Y6–Y9 on the fast path (constants of SOFT_SETUP4).
// Clobbers Y0–Y4.
#define EXP_FAST_SOFT4 \
	EXP_FAST_SOFT(Y6, Y0, Y1, Y2, Y3, Y4) \
	EXP_FAST_SOFT(Y7, Y0, Y1, Y2, Y3, Y4) \
	EXP_FAST_SOFT(Y8, Y0, Y1, Y2, Y3, Y4) \
	EXP_FAST_SOFT(Y9, Y0, Y1, Y2, Y3, Y4)

// SOFT_LOAD4: Y6–Y9 = src[0:32] − m (m in Y14).
#define SOFT_LOAD4 \
	VMOVUPS (SI), Y6 \
	VMOVUPS 32(SI), Y7 \
	VMOVUPS 64(SI), Y8 \
	VMOVUPS 96(SI), Y9 \
	VSUBPS  Y14, Y6, Y6 \
	VSUBPS  Y14, Y7, Y7 \
	VSUBPS  Y14, Y8, Y8 \
	VSUBPS  Y14, Y9, Y9

// SOFT_SETUP4: the constants of EXP_FAST_SOFT.
#define SOFT_SETUP4 EXP_RANGE_CONSTS(VMOVUPS, Y13, Y11, Y10, Y5)

// SOFT_SLOW1(off, acc): Y0 = e^(src[off/4] − m) via EXP_SLOW, added to acc.
#define SOFT_SLOW1(off, acc) \
	VMOVUPS off(SI), Y0 \
	VSUBPS  Y14, Y0, Y0 \
	EXP_SLOW \
	VADDPS  Y0, acc, acc

// EXP_CHECK: Y0 = x → flags NZ if any lane has |x| > 87 or NaN, the lanes whose
// result may not be a normal number (as integers, |x|'s bits exceed bits(87) for
// those, NaN included). Clobbers Y2, AX.
#define EXP_CHECK \
	VPAND     vmAbsMask<>(SB), Y0, Y2 \
	VPCMPGTD  expFastMax<>(SB), Y2, Y2 \
	VMOVMSKPS Y2, AX \
	TESTL     AX, AX

// EXP_CHECK2: the same for Y0 and Y6 together (unsigned max of the two). Clobbers
// Y2, Y3, AX.
#define EXP_CHECK2 \
	VPAND     vmAbsMask<>(SB), Y0, Y2 \
	VPAND     vmAbsMask<>(SB), Y6, Y3 \
	VPMAXUD   Y3, Y2, Y2 \
	VPCMPGTD  expFastMax<>(SB), Y2, Y2 \
	VMOVMSKPS Y2, AX \
	TESTL     AX, AX

// EXP_SLOW: Y0 = x, any value → Y0 = e^x: clamp to [−104, 88.8] (NaN passes: x is
// the operand VMINPS/VMAXPS return when either is NaN), EXP_CORE, EXP_SCALE_SLOW.
// Clobbers Y1–Y5.
#define EXP_SLOW \
	VMOVUPS expMax<>(SB), Y2 \
	VMINPS  Y0, Y2, Y0 \
	VMOVUPS expMin<>(SB), Y2 \
	VMAXPS  Y0, Y2, Y0 \
	EXP_CORE \
	EXP_SCALE_SLOW(Y0, Y1, Y2, expShifter<>(SB), vmBias127<>(SB))

// EXP_SLOW2: EXP_SLOW on Y0 and on Y6. Clobbers Y1–Y5, Y7.
#define EXP_SLOW2 \
	EXP_SLOW \
	VMOVUPS Y0, Y7 \
	VMOVUPS Y6, Y0 \
	EXP_SLOW \
	VMOVUPS Y0, Y6 \
	VMOVUPS Y7, Y0

// TAIL_MASK: CX = remaining count r in 1..7 → Y13 = mask of the first r lanes.
#define TAIL_MASK \
	LEAQ    vmTailMask<>+32(SB), AX \
	SHLQ    $2, CX \
	SUBQ    CX, AX \
	VMOVUPS (AX), Y13

// UNARY_TAIL8(OP, IN) ends the AVX2 kernels dst = f(src): OP (f from IN to Y0) on
// the CX = 0..7 floats left, loaded and stored through the mask TAIL_MASK builds in
// Y13, then return.
#define UNARY_TAIL8(OP, IN) \
	TESTQ      CX, CX \
	JZ         unary_done \
	TAIL_MASK \
	VMASKMOVPS (SI), Y13, IN \
	OP \
	VMASKMOVPS Y0, Y13, (DI) \
unary_done: \
	VZEROUPPER \
	RET

// UNARY_TAIL16(OP, IN, OUT) is UNARY_TAIL8 of the AVX-512F kernels: OP (f from IN to
// OUT) on the CX = 0..15 floats left, one masked step (TAIL_MASK16), then return.
#define UNARY_TAIL16(OP, IN, OUT) \
	TESTQ     CX, CX \
	JZ        unary_done \
	TAIL_MASK16 \
	VMOVUPS.Z (SI), K1, IN \
	OP \
	VMOVUPS   OUT, K1, (DI) \
unary_done: \
	VZEROUPPER \
	RET

// EXP_CONSTS32 loads the constants of EXP_LOAD32 and EXP_FAST32 into Y10–Y15.
#define EXP_CONSTS32 \
	EXP_RANGE_CONSTS(VMOVUPS, Y15, Y14, Y13, Y12) \
	VMOVUPS expC1<>(SB), Y11 \
	VMOVUPS vmAbsMask<>(SB), Y10

// EXP_STORE32 stores Y6–Y9 to the 32 floats at DI.
#define EXP_STORE32 \
	VMOVUPS Y6, (DI) \
	VMOVUPS Y7, 32(DI) \
	VMOVUPS Y8, 64(DI) \
	VMOVUPS Y9, 96(DI)

// EXP_LOAD32: Y6–Y9 ← the 32 floats at SI, and ZF clear (JNZ taken) if any of them
// needs EXP_SLOW (CHECK4, the abs mask in Y10). Clobbers Y0–Y3 and AX.
#define EXP_LOAD32 \
	VMOVUPS (SI), Y6   \
	VMOVUPS 32(SI), Y7 \
	VMOVUPS 64(SI), Y8 \
	VMOVUPS 96(SI), Y9 \
	CHECK4(Y10)

// EXP_FAST32: Y6–Y9 ← e^Y6–Y9 on the fast path, constants in Y11–Y15. Clobbers Y0–Y4.
#define EXP_FAST32 \
	EXP_FAST_REG(Y6, Y0, Y1, Y2, Y3, Y4) \
	EXP_FAST_REG(Y7, Y0, Y1, Y2, Y3, Y4) \
	EXP_FAST_REG(Y8, Y0, Y1, Y2, Y3, Y4) \
	EXP_FAST_REG(Y9, Y0, Y1, Y2, Y3, Y4)

// EXP_SLOW32: Y6–Y9 ← e^Y6–Y9 for any inputs. Clobbers Y0–Y5.
#define EXP_SLOW32 \
	VMOVUPS Y6, Y0 \
	EXP_SLOW \
	VMOVUPS Y0, Y6 \
	VMOVUPS Y7, Y0 \
	EXP_SLOW \
	VMOVUPS Y0, Y7 \
	VMOVUPS Y8, Y0 \
	EXP_SLOW \
	VMOVUPS Y0, Y8 \
	VMOVUPS Y9, Y0 \
	EXP_SLOW \
	VMOVUPS Y0, Y9

// func ExpAVX2(dst, src []float32)
TEXT ·ExpAVX2(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))

	// 32 elements per step in four independent chains, the hot constants kept in
	// Y10–Y15 (EXP_SLOW clobbers only Y0–Y5): one range check per group.
	CMPQ         CX, $32
	JB           exp_loop16
	EXP_CONSTS32

exp_loop32:
	EXP_LOAD32
	JNZ exp_slow32
	EXP_FAST32

exp_store32:
	EXP_STORE32
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     exp_loop32
	JMP     exp_loop16

exp_slow32:
	EXP_SLOW32
	JMP exp_store32

exp_loop16:
	CMPQ       CX, $16
	JB         exp_loop8
	VMOVUPS    (SI), Y0
	VMOVUPS    32(SI), Y6
	EXP_CHECK2
	JNZ        exp_slow16
	EXP_FAST
	EXP_FAST_R(Y6, Y7, Y8, Y9, Y10, Y11)

exp_store16:
	VMOVUPS Y0, (DI)
	VMOVUPS Y6, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     exp_loop16

exp_slow16:
	EXP_SLOW2
	JMP exp_store16

exp_loop8:
	CMPQ      CX, $8
	JB        exp_tail
	VMOVUPS   (SI), Y0
	EXP_CHECK
	JNZ       exp_slow8
	EXP_FAST

exp_store8:
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     exp_loop8

exp_slow8:
	EXP_SLOW
	JMP exp_store8

exp_tail:
	UNARY_TAIL8(EXP_SLOW, Y0)

// func ExpLargeAVX2(dst, src []float32)
//
// ExpAVX2's 32-lane loop with a software prefetch 2 KiB ahead of src, for arrays
// larger than L2: there the loop waits on L3 and the hardware prefetcher alone does
// not run far enough ahead. On cached arrays the two extra loads per iteration cost
// more than they bring, hence a separate routine. len(dst) is a multiple of 32.
// (Non-temporal stores and PREFETCHW on dst were tried and measured no gain.)
TEXT ·ExpLargeAVX2(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	SHRQ    $5, CX
	JZ      explg_done
	EXP_CONSTS32

explg_loop:
	PREFETCHT0 2048(SI) // prefetches never fault, so running past the end is harmless
	PREFETCHT0 2112(SI)
	EXP_LOAD32
	JNZ        explg_slow
	EXP_FAST32

explg_store:
	EXP_STORE32
	ADDQ    $128, SI
	ADDQ    $128, DI
	DECQ    CX
	JNZ     explg_loop

explg_done:
	VZEROUPPER
	RET

explg_slow:
	EXP_SLOW32
	JMP explg_store

// HSUM: X12 ← horizontal sum of Y12 in its low lane. Clobbers Y0, Y1.
#define HSUM \
	VEXTRACTF128 $1, Y12, X0 \
	VADDPS       X0, X12, X12 \
	VMOVHLPS     X12, X12, X1 \
	VADDPS       X1, X12, X12 \
	VMOVSHDUP    X12, X1 \
	VADDSS       X1, X12, X12

// EXPSUM_LOOPS(OUT32, OUTAT, OUT16, OUT8, OUTTAIL, DI) is the body of ExpSubAVX2 and
// ExpSumAVX2 (SI = src, CX = n, m in Y14, Y12 = Y15 = 0): e^(src[i] − m) 32 elements
// per step in four independent chains (SOFT_SETUP4's constants, one range check per
// group, the sums going into Y12, Y15, Y12, Y15 in turn, as in the 16-element loop),
// then 16, 8 and the masked tail; the sum is left in X12. The arguments are what
// ExpSub does besides: OUT32, OUTAT(off) (a slow lane group, in Y0), OUT16, OUT8 and
// OUTTAIL store the values at DI, DI(n) advances DI by n bytes (for ExpSum they expand
// to nothing). Labels are local to each TEXT, so the macro serves one routine each.
#define EXPSUM_LOOPS(OUT32, OUTAT, OUT16, OUT8, OUTTAIL, DI) \
	CMPQ CX, $32                     \
	JB   loop16                      \
	SOFT_SETUP4                      \
loop32:                              \
	SOFT_LOAD4                       \
	SOFT_CHECK4                      \
	JNZ  slow32                      \
	EXP_FAST_SOFT4                   \
	OUT32                            \
	VADDPS   Y6, Y12, Y12            \
	VADDPS   Y7, Y15, Y15            \
	VADDPS   Y8, Y12, Y12            \
	VADDPS   Y9, Y15, Y15            \
next32:                              \
	ADDQ $128, SI                    \
	DI(128)                          \
	SUBQ $32, CX                     \
	CMPQ CX, $32                     \
	JAE  loop32                      \
	JMP  loop16                      \
slow32:                              \
	SOFT_SLOW1(0, Y12)               \
	OUTAT(0)                         \
	SOFT_SLOW1(32, Y15)              \
	OUTAT(32)                        \
	SOFT_SLOW1(64, Y12)              \
	OUTAT(64)                        \
	SOFT_SLOW1(96, Y15)              \
	OUTAT(96)                        \
	VMOVUPS exp8Ln2Lo<>(SB), Y5      \
	JMP     next32                   \
loop16:                              \
	CMPQ       CX, $16               \
	JB         loop8                 \
	VMOVUPS    (SI), Y0              \
	VMOVUPS    32(SI), Y6            \
	VSUBPS     Y14, Y0, Y0           \
	VSUBPS     Y14, Y6, Y6           \
	EXP_CHECK2                       \
	JNZ        slow16                \
	EXP_FAST                         \
	EXP_FAST_R(Y6, Y7, Y8, Y9, Y10, Y11) \
acc16:                               \
	OUT16                            \
	VADDPS  Y0, Y12, Y12             \
	VADDPS  Y6, Y15, Y15             \
	ADDQ    $64, SI                  \
	DI(64)                           \
	SUBQ    $16, CX                  \
	JMP     loop16                   \
slow16:                              \
	EXP_SLOW2                        \
	JMP acc16                        \
loop8:                               \
	CMPQ    CX, $8                   \
	JB      tail                     \
	VMOVUPS (SI), Y0                 \
	VSUBPS  Y14, Y0, Y0              \
	EXP_CHECK                        \
	JNZ     slow8                    \
	EXP_FAST                         \
acc8:                                \
	OUT8                             \
	VADDPS  Y0, Y12, Y12             \
	ADDQ    $32, SI                  \
	DI(32)                           \
	SUBQ    $8, CX                   \
	JMP     loop8                    \
slow8:                               \
	EXP_SLOW                         \
	JMP acc8                         \
tail:                                \
	TESTQ      CX, CX                \
	JZ         done                  \
	TAIL_MASK                        \
	VMASKMOVPS (SI), Y13, Y0         \
	VSUBPS     Y14, Y0, Y0           \
	EXP_SLOW                         \
	OUTTAIL                          \
	VANDPS     Y13, Y0, Y0           \
	VADDPS     Y0, Y12, Y12          \
done:                                \
	VADDPS Y15, Y12, Y12             \
	HSUM

// EXPSUM_BODY(M, SUM, OUT32, OUTAT, OUT16, OUT8, OUTTAIL, DI) is ExpSubAVX2 and
// ExpSumAVX2 after their slice loads: m (the argument M) broadcast into Y14, the sums
// cleared, EXPSUM_LOOPS with the other arguments, the sum stored to SUM.
#define EXPSUM_BODY(M, SUM, OUT32, OUTAT, OUT16, OUT8, OUTTAIL, DI) \
	VBROADCASTSS M, Y14                                   \
	VXORPS       Y12, Y12, Y12                            \
	VXORPS       Y15, Y15, Y15                            \
	EXPSUM_LOOPS(OUT32, OUTAT, OUT16, OUT8, OUTTAIL, DI) \
	VMOVSS       X12, SUM                                 \
	VZEROUPPER                                            \
	RET

// What ExpSubAVX2 does besides ExpSumAVX2 (EXPSUM_LOOPS), and nothing (for ExpSum).
#define EXPSUB_OUT32 \
	VMOVUPS Y6, (DI)   \
	VMOVUPS Y7, 32(DI) \
	VMOVUPS Y8, 64(DI) \
	VMOVUPS Y9, 96(DI)
#define EXPSUB_OUTAT(off) VMOVUPS Y0, off(DI)
#define EXPSUB_OUT16      VMOVUPS Y0, (DI); VMOVUPS Y6, 32(DI)
#define EXPSUB_OUT8       VMOVUPS Y0, (DI)
#define EXPSUB_OUTTAIL    VMASKMOVPS Y0, Y13, (DI)
#define EXPSUB_DI(n)      ADDQ $n, DI
#define NOTHING
#define NOTHING1(n)

// func ExpSubAVX2(dst, src []float32, m float32) float32
TEXT ·ExpSubAVX2(SB), NOSPLIT, $0-60
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	EXPSUM_BODY(m+48(FP), ret+56(FP), EXPSUB_OUT32, EXPSUB_OUTAT, EXPSUB_OUT16, EXPSUB_OUT8, EXPSUB_OUTTAIL, EXPSUB_DI)

// func ExpSumAVX2(x []float32, m float32) float32
TEXT ·ExpSumAVX2(SB), NOSPLIT, $0-36
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	EXPSUM_BODY(m+24(FP), ret+32(FP), NOTHING, NOTHING1, NOTHING, NOTHING, NOTHING, NOTHING1)

// AVX-512F exp family: ExpAVX512, ExpLargeAVX512, ExpSubAVX512, ExpSumAVX512. The
// same per-lane operations as the AVX2 kernels above (EXP_CORE_R, EXP_FAST_R,
// EXP_SLOW), in the same order, on 16-lane ZMM registers, so the results equal the
// twins bit for bit. All constants live in Z17–Z31 (AVX-512 has 32 vector
// registers): no memory operands in the loops, which matters because the constant
// tables above are 32 bytes wide. The 8-entry 2^(j/8) tables are broadcast to both
// 256-bit halves, since the 16-lane VPERMPS indexes with the low 4 bits of k, not 3.
// Tails (n mod 16) use masked loads and stores, which touch no memory in the
// masked-off lanes. AVX-512F instructions only.
//
// Registers of every routine:
//	Z31 shifter     Z30 8·log2e     Z29 ln2hi/8    Z28 ln2lo/8    Z27 C1
//	Z26 C2          Z25 ½           Z24 T hi (×2)  Z23 T lo (×2)  Z22 exponent mask
//	Z21 abs mask    Z20 bits(87)    Z19 expMax     Z18 expMin     Z17 127
//	Z0–Z5 scratch   Z6–Z9 the four chains of a 64-lane block

// EXP512_CORE_CONSTS loads Z23–Z31, the constants of EXP512_CORE (shared with the
// tanh and GELU kernels).
#define EXP512_CORE_CONSTS EXP512_CORE_BCAST(Z31, Z30, Z29, Z28, Z27, Z26, Z25, Z24, Z23)

// EXP512_CONSTS loads Z17–Z31.
#define EXP512_CONSTS \
	EXP512_CORE_CONSTS \
	VBROADCASTSS   expExpMask<>(SB), Z22 \
	VBROADCASTSS   vmAbsMask<>(SB), Z21 \
	VBROADCASTSS   expFastMax<>(SB), Z20 \
	VBROADCASTSS   expMax<>(SB), Z19 \
	VBROADCASTSS   expMin<>(SB), Z18 \
	VBROADCASTSS   vmBias127<>(SB), Z17

// EXP512_CORE(x, z, t2, t3, t4, t5): EXP_CORE_K on ZMM, every constant in a
// register (EXP512_CORE_CONSTS).
#define EXP512_CORE(x, z, t2, t3, t4, t5) EXP_CORE_K(x, z, t2, t3, t4, t5, Z31, Z30, Z29, Z28, Z27, Z26, Z25, Z24, Z23)

// EXP512_FAST(x, z, t2, t3, t4, t5): EXP_FAST_R on ZMM: x with |x| ≤ 87 → x = e^x,
// n added to the exponent field of p.
#define EXP512_FAST(x, z, t2, t3, t4, t5) \
	EXP512_CORE(x, z, t2, t3, t4, t5) \
	EXP_SCALE_FAST(x, z, VPANDD, Z22)

// EXP512_SLOW(x): EXP_SLOW on ZMM: x, any value → x = e^x (clamp, NaN passing
// through as in EXP_SLOW; 2^n in two factors). Clobbers Z0–Z5.
#define EXP512_SLOW(x) \
	VMINPS  x, Z19, x \
	VMAXPS  x, Z18, x \
	EXP512_CORE(x, Z1, Z2, Z3, Z4, Z5) \
	EXP_SCALE_SLOW(x, Z1, Z2, Z31, Z17)

// EXP512_CHECK4: ZF clear (JNZ taken) if any lane of Z6–Z9 has |x| > 87 or NaN (the
// test of EXP_LOAD32). Clobbers Z0–Z3, K1.
#define EXP512_CHECK4 \
	VPANDD   Z21, Z6, Z0 \
	VPANDD   Z21, Z7, Z1 \
	VPANDD   Z21, Z8, Z2 \
	VPANDD   Z21, Z9, Z3 \
	VPMAXUD  Z1, Z0, Z0 \
	VPMAXUD  Z3, Z2, Z2 \
	VPMAXUD  Z2, Z0, Z0 \
	VPCMPGTD Z20, Z0, K1 \
	KORTESTW K1, K1

// EXP512_CHECK1(x): the same for one vector. Clobbers Z0, K1.
#define EXP512_CHECK1(x) \
	VPANDD   Z21, x, Z0 \
	VPCMPGTD Z20, Z0, K1 \
	KORTESTW K1, K1

// EXP512_LOAD4: Z6–Z9 ← the 64 floats at SI.
#define EXP512_LOAD4 \
	VMOVUPS (SI), Z6 \
	VMOVUPS 64(SI), Z7 \
	VMOVUPS 128(SI), Z8 \
	VMOVUPS 192(SI), Z9

// EXP512_STORE4 stores Z6–Z9 to the 64 floats at DI.
#define EXP512_STORE4 \
	VMOVUPS Z6, (DI) \
	VMOVUPS Z7, 64(DI) \
	VMOVUPS Z8, 128(DI) \
	VMOVUPS Z9, 192(DI)

// EXP512_FAST4: Z6–Z9 ← e^Z6–Z9 on the fast path. Clobbers Z0–Z4.
#define EXP512_FAST4 \
	EXP512_FAST(Z6, Z0, Z1, Z2, Z3, Z4) \
	EXP512_FAST(Z7, Z0, Z1, Z2, Z3, Z4) \
	EXP512_FAST(Z8, Z0, Z1, Z2, Z3, Z4) \
	EXP512_FAST(Z9, Z0, Z1, Z2, Z3, Z4)

// EXP512_SLOW4: Z6–Z9 ← e^Z6–Z9 for any inputs. Clobbers Z0–Z5.
#define EXP512_SLOW4 \
	EXP512_SLOW(Z6) \
	EXP512_SLOW(Z7) \
	EXP512_SLOW(Z8) \
	EXP512_SLOW(Z9)

// EXP512_SUB4: Z6–Z9 −= m (in Z16).
#define EXP512_SUB4 \
	VSUBPS Z16, Z6, Z6 \
	VSUBPS Z16, Z7, Z7 \
	VSUBPS Z16, Z8, Z8 \
	VSUBPS Z16, Z9, Z9

// EXP512_ACC4: Z14 += Z6 + Z8, Z15 += Z7 + Z9 (two chains of additions).
#define EXP512_ACC4 \
	VADDPS Z6, Z14, Z14 \
	VADDPS Z7, Z15, Z15 \
	VADDPS Z8, Z14, Z14 \
	VADDPS Z9, Z15, Z15

// EXP512_HSUM: X12 ← the sum of the lanes of Z14 and Z15. Clobbers Z0, Z1, Z14.
#define EXP512_HSUM \
	VADDPS        Z15, Z14, Z14 \
	VEXTRACTF64X4 $1, Z14, Y0 \
	VADDPS        Y0, Y14, Y12 \
	HSUM

// func ExpAVX512(dst, src []float32)
TEXT ·ExpAVX512(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	EXP512_CONSTS

	// 64 elements per step in four independent chains, one range check per block.
	CMPQ CX, $64
	JB   exp512_loop16

exp512_loop64:
	EXP512_LOAD4
	EXP512_CHECK4
	JNZ  exp512_slow64
	EXP512_FAST4

exp512_store64:
	EXP512_STORE4
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	CMPQ CX, $64
	JAE  exp512_loop64
	JMP  exp512_loop16

exp512_slow64:
	EXP512_SLOW4
	JMP exp512_store64

exp512_loop16:
	CMPQ    CX, $16
	JB      exp512_tail
	VMOVUPS (SI), Z6
	EXP512_CHECK1(Z6)
	JNZ     exp512_slow16
	EXP512_FAST(Z6, Z0, Z1, Z2, Z3, Z4)

exp512_store16:
	VMOVUPS Z6, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     exp512_loop16

exp512_slow16:
	EXP512_SLOW(Z6)
	JMP exp512_store16

exp512_tail:
	UNARY_TAIL16(EXP512_SLOW(Z6), Z6, Z6)

// func ExpLargeAVX512(dst, src []float32)
//
// ExpAVX512's 64-lane loop with a software prefetch 2 KiB ahead of src, one
// PREFETCHT0 per cache line (as ExpLargeAVX2). len(dst) is a multiple of 64.
TEXT ·ExpLargeAVX512(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	SHRQ $6, CX
	JZ   exp512lg_done
	EXP512_CONSTS

exp512lg_loop:
	PREFETCHT0 2048(SI) // prefetches never fault, so running past the end is harmless
	PREFETCHT0 2112(SI)
	PREFETCHT0 2176(SI)
	PREFETCHT0 2240(SI)
	EXP512_LOAD4
	EXP512_CHECK4
	JNZ        exp512lg_slow
	EXP512_FAST4

exp512lg_store:
	EXP512_STORE4
	ADDQ $256, SI
	ADDQ $256, DI
	DECQ CX
	JNZ  exp512lg_loop

exp512lg_done:
	VZEROUPPER
	RET

exp512lg_slow:
	EXP512_SLOW4
	JMP exp512lg_store

// EXPSUM512_LOOPS(OUT64, DI64, OUT16, DI16, OUTTAIL) is the body of ExpSubAVX512 and
// ExpSumAVX512 (SI = src, CX = n, m in Z16, Z14 = Z15 = 0, EXP512_CONSTS loaded):
// e^(src[i] − m) 64 elements per step (four chains, one range check per block), then
// 16 at a time, then the masked tail, summed into Z14 and Z15 and folded into X12.
// The other arguments are what ExpSub does besides: OUT64, OUT16, OUTTAIL store the
// values at DI, DI64 and DI16 advance DI (for ExpSum they expand to nothing). Labels
// are local to each TEXT, so the macro serves one routine each.
#define EXPSUM512_LOOPS(OUT64, DI64, OUT16, DI16, OUTTAIL) \
	CMPQ CX, $64                \
	JB   loop16                 \
loop64:                         \
	EXP512_LOAD4                \
	EXP512_SUB4                 \
	EXP512_CHECK4               \
	JNZ  slow64                 \
	EXP512_FAST4                \
acc64:                          \
	OUT64                       \
	EXP512_ACC4                 \
	ADDQ $256, SI               \
	DI64                        \
	SUBQ $64, CX                \
	CMPQ CX, $64                \
	JAE  loop64                 \
	JMP  loop16                 \
slow64:                         \
	EXP512_SLOW4                \
	JMP acc64                   \
loop16:                         \
	CMPQ    CX, $16             \
	JB      tail                \
	VMOVUPS (SI), Z6            \
	VSUBPS  Z16, Z6, Z6         \
	EXP512_CHECK1(Z6)           \
	JNZ     slow16              \
	EXP512_FAST(Z6, Z0, Z1, Z2, Z3, Z4) \
acc16:                          \
	OUT16                       \
	VADDPS  Z6, Z14, Z14        \
	ADDQ    $64, SI             \
	DI16                        \
	SUBQ    $16, CX             \
	JMP     loop16              \
slow16:                         \
	EXP512_SLOW(Z6)             \
	JMP acc16                   \
tail:                           \
	TESTQ     CX, CX            \
	JZ        done              \
	TAIL_MASK16                 \
	VMOVUPS.Z (SI), K1, Z6      \
	VSUBPS    Z16, Z6, Z6       \
	EXP512_SLOW(Z6)             \
	OUTTAIL                     \
	VADDPS    Z6, Z14, K1, Z14  \
done:                           \
	EXP512_HSUM

// EXPSUM512_BODY(M, SUM, OUT64, DI64, OUT16, DI16, OUTTAIL) is ExpSubAVX512 and
// ExpSumAVX512 after their slice loads: m (the argument M) broadcast into Z16, the
// sums cleared, EXP512_CONSTS, EXPSUM512_LOOPS with the other arguments, the sum
// stored to SUM.
#define EXPSUM512_BODY(M, SUM, OUT64, DI64, OUT16, DI16, OUTTAIL) \
	VBROADCASTSS M, Z16                                \
	VPXORD       Z14, Z14, Z14                         \
	VPXORD       Z15, Z15, Z15                         \
	EXP512_CONSTS                                      \
	EXPSUM512_LOOPS(OUT64, DI64, OUT16, DI16, OUTTAIL) \
	VMOVSS       X12, SUM                              \
	VZEROUPPER                                         \
	RET

// What ExpSubAVX512 does besides ExpSumAVX512, and nothing (for ExpSum).
#define EXPSUB512_OUT16   VMOVUPS Z6, (DI)
#define EXPSUB512_OUTTAIL VMOVUPS Z6, K1, (DI)
#define EXPSUB512_DI64    ADDQ $256, DI
#define EXPSUB512_DI16    ADDQ $64, DI

// func ExpSubAVX512(dst, src []float32, m float32) float32
TEXT ·ExpSubAVX512(SB), NOSPLIT, $0-60
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	EXPSUM512_BODY(m+48(FP), ret+56(FP), EXP512_STORE4, EXPSUB512_DI64, EXPSUB512_OUT16, EXPSUB512_DI16, EXPSUB512_OUTTAIL)

// func ExpSumAVX512(x []float32, m float32) float32
TEXT ·ExpSumAVX512(SB), NOSPLIT, $0-36
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	EXPSUM512_BODY(m+24(FP), ret+32(FP), NOTHING, NOTHING, NOTHING, NOTHING, NOTHING)

// LOG_SPLIT_K(b, f, e, pand, sqrthalf, mant, one) is the split of every amd64 log
// kernel, AVX2 and AVX-512: b = bits of a positive normal x → f = m − 1, e (int32),
// x = 2^e·m with m in [√½, √2). The last three arguments say where bits(√½), the
// mantissa mask and 1.0 live (register or memory); pand is VPAND on YMM, VPANDD on ZMM.
#define LOG_SPLIT_K(b, f, e, pand, sqrthalf, mant, one) \
	VPSUBD sqrthalf, b, f \
	VPSRAD $23, f, e \
	pand   mant, f, f \
	VPADDD sqrthalf, f, f \
	VSUBPS one, f, f

// LOG_FINISH_K(f, e, q, hi, s, d, y, c8, c7, c6, c5, c4, c3, c2, c1, c0, ln2hi, ln2lo)
// is the rest of every amd64 log kernel: f, e (int32) → y = e·ln2 + log1p(f), with
// q, hi, s, d scratch (d may be hi) and the constants where the arguments say. As in
// Log32: Q(f) by Horner, hi = e·ln2hi (exact), s = hi + f, err = f − (s − hi),
// d = e·ln2lo + err, y = s + (f·(f·Q) + d).
#define LOG_FINISH_K(f, e, q, hi, s, d, y, c8, c7, c6, c5, c4, c3, c2, c1, c0, ln2hi, ln2lo) \
	VCVTDQ2PS   e, e \
	VMOVUPS     c8, q \
	VFMADD213PS c7, f, q \
	VFMADD213PS c6, f, q \
	VFMADD213PS c5, f, q \
	VFMADD213PS c4, f, q \
	VFMADD213PS c3, f, q \
	VFMADD213PS c2, f, q \
	VFMADD213PS c1, f, q \
	VFMADD213PS c0, f, q \
	VMULPS      ln2hi, e, hi \
	VADDPS      f, hi, s \
	VSUBPS      hi, s, d \
	VSUBPS      d, f, d \
	VFMADD231PS ln2lo, e, d \
	VMULPS      f, q, q \
	VFMADD231PS q, f, d \
	VADDPS      d, s, y

// LOG_SPLIT: Y0 = bits of a positive normal x → Y1 = f, Y2 = e, constants in memory.
#define LOG_SPLIT LOG_SPLIT_K(Y0, Y1, Y2, VPAND, logSqrtHalf<>(SB), logMant<>(SB), vmOne<>(SB))

// LOG_FINISH: Y1 = f, Y2 = e (int32) → Y0 = e·ln2 + log1p(f), constants in memory.
// Clobbers Y2–Y6.
#define LOG_FINISH LOG_FINISH_K(Y1, Y2, Y3, Y4, Y5, Y6, Y0, logC8<>(SB), logC7<>(SB), logC6<>(SB), logC5<>(SB), logC4<>(SB), logC3<>(SB), logC2<>(SB), logC1<>(SB), logC0<>(SB), logLn2Hi<>(SB), logLn2Lo<>(SB))

// LOG_SLOW: Y0 = x, any value → Y0 = log x. Positive subnormals are scaled by 2^23
// first (e − 23); ±0 → −Inf, x < 0 → NaN, +Inf and NaN → x. Needs Y15 = bits(+Inf).
// Clobbers Y1–Y10.
#define LOG_SLOW \
	VMOVUPS    Y0, Y7 \
	VPXOR      Y8, Y8, Y8 \
	VPCMPGTD   Y8, Y0, Y9 \
	VMOVUPS    logMinNormal<>(SB), Y10 \
	VPCMPGTD   Y0, Y10, Y10 \
	VPAND      Y10, Y9, Y9 \
	VMULPS     logTwo23<>(SB), Y0, Y10 \
	VBLENDVPS  Y9, Y10, Y0, Y0 \
	VPAND      logMinus23<>(SB), Y9, Y9 \
	LOG_SPLIT \
	VPADDD     Y9, Y2, Y2 \
	LOG_FINISH \
	VPCMPGTD   Y8, Y7, Y9 \
	VPCMPGTD   Y7, Y15, Y10 \
	VPAND      Y10, Y9, Y9 \
	VCMPPS     $0x11, Y8, Y7, Y10 \
	VBLENDVPS  Y10, logNaN<>(SB), Y7, Y7 \
	VCMPPS     $0x00, Y8, Y7, Y10 \
	VBLENDVPS  Y10, logNegInf<>(SB), Y7, Y7 \
	VBLENDVPS  Y9, Y0, Y7, Y0

// LOG_NORMAL_MASK: Y0 = x → AX = 8-bit mask of lanes holding a positive normal
// number (0x7fffff < bits < 0x7f800000 as int32). Needs Y15 = bits(+Inf).
#define LOG_NORMAL_MASK \
	VPCMPGTD  logMant<>(SB), Y0, Y1 \
	VPCMPGTD  Y0, Y15, Y2 \
	VPAND     Y2, Y1, Y1 \
	VMOVMSKPS Y1, AX

// func LogAVX2(dst, src []float32)
TEXT ·LogAVX2(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	VMOVUPS logInfBits<>(SB), Y15

log_loop8:
	CMPQ    CX, $8
	JB      log_tail
	VMOVUPS (SI), Y0
	LOG_NORMAL_MASK
	CMPL    AX, $0xff
	JNE     log_slow8
	LOG_SPLIT
	LOG_FINISH

log_store8:
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     log_loop8

log_slow8:
	LOG_SLOW
	JMP log_store8

log_tail:
	UNARY_TAIL8(LOG_SLOW, Y0)

// TANH_POLY_K(a, t, q, fma, c4, c3, c2, c1, c0) is the small-|x| path of every amd64
// tanh kernel: a = |x| → q = a + (a·a²)·P(a²) by Horner, t scratch (a² then a·a²).
// fma is VFMADD213PS, or VFMADD213PS.BCST when c3–c0 are broadcast from memory into
// ZMM; c4 is a register or a vector in memory.
#define TANH_POLY_K(a, t, q, fma, c4, c3, c2, c1, c0) \
	VMULPS      a, a, t \
	VMOVUPS     c4, q \
	fma         c3, t, q \
	fma         c2, t, q \
	fma         c1, t, q \
	fma         c0, t, q \
	VMULPS      t, a, t \
	VFMADD213PS a, t, q

// TANH_EXP2A_K(x, z, one): after EXP_CORE_K on x = 2a, x = e^{2a} + 1, with 2^n built
// as (n<<23) + bits(1) and multiplied (so that a NaN p stays NaN); one is where 1.0
// lives. Clobbers z.
#define TANH_EXP2A_K(x, z, one) \
	EXP_SCALE_ONE(x, z, one) \
	VADDPS one, x, x

// EXP_SCALE_ONE(x, z, one): after EXP_CORE_K on x, with the result normal, x = p·2^n:
// 2^n built as (n<<23) + bits(1) and multiplied (so that a NaN p stays NaN; n = k>>3
// from the shifter's bits in z). one is where 1.0 lives. Clobbers z.
#define EXP_SCALE_ONE(x, z, one) \
	VPSRLD $3, z, z \
	VPSLLD $23, z, z \
	VPADDD one, z, z \
	VMULPS z, x, x

// TANH8: Y0 = x → Y0 = tanh x. Needs Y14 = tanhMax. Clobbers Y1–Y5, Y8–Y11.
// Small path (|x| < 0.5625): a + (a·a²)·P(a²). Large path: 1 − 2/(e^{2a} + 1) with
// a clamped to 10 (NaN passes); e^{2a} = p·2^n with 2^n built as (n<<23) + bits(1)
// and multiplied, so that a NaN p stays NaN. The small path is blended in, then
// the sign of x.
#define TANH8 \
	VANDPS      vmAbsMask<>(SB), Y0, Y8 \
	VXORPS      Y8, Y0, Y9 \
	TANH_POLY_K(Y8, Y10, Y11, VFMADD213PS, tanhC4<>(SB), tanhC3<>(SB), tanhC2<>(SB), tanhC1<>(SB), tanhC0<>(SB)) \
	VMINPS      Y8, Y14, Y0 \
	VADDPS      Y0, Y0, Y0 \
	EXP_CORE \
	TANH_EXP2A_K(Y0, Y1, vmOne<>(SB)) \
	VMOVUPS     vmTwo<>(SB), Y1 \
	VDIVPS      Y0, Y1, Y1 \
	VMOVUPS     vmOne<>(SB), Y0 \
	VSUBPS      Y1, Y0, Y0 \
	VCMPPS      $0x11, tanhSmall<>(SB), Y8, Y2 \
	VBLENDVPS   Y2, Y11, Y0, Y0 \
	VORPS       Y9, Y0, Y0

// UNARY8_LOOPS(OP, IN) is the body of an element-wise AVX2 routine dst[i] = f(src[i])
// (DI = dst, SI = src, CX = n, constants loaded): OP maps register IN to Y0, 8 lanes
// at a time, then the n mod 8 tail through masked loads and stores. Labels are local
// to each TEXT, so the macro serves one routine each.
#define UNARY8_LOOPS(OP, IN) \
loop8:                          \
	CMPQ       CX, $8           \
	JB         tail             \
	VMOVUPS    (SI), IN         \
	OP                          \
	VMOVUPS    Y0, (DI)         \
	ADDQ       $32, SI          \
	ADDQ       $32, DI          \
	SUBQ       $8, CX           \
	JMP        loop8            \
tail:                           \
	UNARY_TAIL8(OP, IN)

// func TanhAVX2(dst, src []float32)
TEXT ·TanhAVX2(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	VMOVUPS tanhMax<>(SB), Y14
	UNARY8_LOOPS(TANH8, Y0)

// GELU_ARG_K(x, c, x2, w, t, lo, hi, k1, m2k0) starts the GELU and GELU' of every
// amd64 kernel (GeluGeneric and GeluBackwardGeneric lane by lane): c = x clamped to
// [lo, hi] = [−10, 10] (NaN passes: x is the operand VMINPS/VMAXPS return when either
// is NaN; c may be x), x2 = c·c, w = −2u = m2k0·((x2·c)·k1 + c). t scratch. The
// constants are vectors in memory (AVX2) or registers (AVX-512).
#define GELU_ARG_K(x, c, x2, w, t, lo, hi, k1, m2k0) \
	VMINPS      x, hi, c \
	VMAXPS      c, lo, c \
	VMULPS      c, c, x2 \
	VMULPS      c, x2, w \
	VMOVAPS     c, t \
	VFMADD231PS k1, w, t \
	VMULPS      m2k0, t, w

// GELU_K(x, y, c, x2, t, EXP, lo, hi, k1, m2k0, one): x → y = gelu(x) = max(x, lo)/(1 +
// e^{−2u}) (GeluGeneric lane by lane); EXP maps y = −2u to e^{−2u} and leaves x alone.
// c, x2, t scratch.
#define GELU_K(x, y, c, x2, t, EXP, lo, hi, k1, m2k0, one) \
	GELU_ARG_K(x, c, x2, y, t, lo, hi, k1, m2k0) \
	EXP \
	VADDPS      one, y, y \
	VMAXPS      x, lo, t \
	VDIVPS      y, t, y

// GELUBWD_K(x, x2, y, s1, s2, EXP, ZERO, lo, hi, k1, m2k0, k1x3, one): x → y = gelu'(x)
// (GeluBackwardGeneric lane by lane), x clamped in place: e = e^{−2u} (EXP maps y to
// e^y and leaves x, x2 alone), r = x·(m2k0·(x2·3k1 + 1)) (s1), s = 1/(1 + e) (x2),
// es = e·s (y), g = s·(1 − r·es) with one VFNMADD; ZERO sets y = 0 where x = lo.
#define GELUBWD_K(x, x2, y, s1, s2, EXP, ZERO, lo, hi, k1, m2k0, k1x3, one) \
	GELU_ARG_K(x, x, x2, y, s1, lo, hi, k1, m2k0) \
	EXP \
	VMOVUPS      one, s1 \
	VFMADD231PS  k1x3, x2, s1 \
	VMULPS       m2k0, s1, s1 \
	VMULPS       x, s1, s1 \
	VADDPS       one, y, s2 \
	VMOVUPS      one, x2 \
	VDIVPS       s2, x2, x2 \
	VMULPS       x2, y, y \
	VMOVUPS      one, s2 \
	VFNMADD231PS s1, y, s2 \
	VMULPS       s2, x2, y \
	ZERO

// GELU_EXP8: Y0 = −2u → Y0 = e^{−2u}. Clobbers Y1–Y5.
#define GELU_EXP8 \
	EXP_CORE_R(Y0, Y1, Y2, Y3, Y4, Y5) \
	EXP_SCALE_ONE(Y0, Y1, vmOne<>(SB))

// GELU8: Y6 = x → Y0 = gelu(x). Needs Y14 = 10, Y15 = −10. Clobbers Y1–Y5.
#define GELU8 GELU_K(Y6, Y0, Y1, Y2, Y3, GELU_EXP8, Y15, Y14, geluK1<>(SB), geluM2K0<>(SB), vmOne<>(SB))

// func GeluAVX2(dst, src []float32)
// dst = max(x, −10)/(1 + e^{−2u}), −2u = m2k0·((c·c·c)·k1 + c), c = x clamped to
// [−10, 10]; x is kept in Y6.
TEXT ·GeluAVX2(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	VMOVUPS tanhMax<>(SB), Y14
	VMOVUPS geluBwdMin<>(SB), Y15
	UNARY8_LOOPS(GELU8, Y6)

// GELUBWD8_ZERO: Y0 = 0 where Y6 = −10 (Y15); NaN lanes keep Y0. Clobbers Y8.
#define GELUBWD8_ZERO \
	VCMPPS $4, Y15, Y6, Y8 \
	VANDPS Y8, Y0, Y0

// GELUBWD8: Y6 = x → Y0 = gelu'(x), Y6 = x clamped. Needs Y14 = 10, Y15 = −10.
// Clobbers Y1–Y5, Y7–Y9 (not Y13, the tail mask).
#define GELUBWD8 GELUBWD_K(Y6, Y7, Y0, Y8, Y9, GELU_EXP8, GELUBWD8_ZERO, Y15, Y14, geluK1<>(SB), geluM2K0<>(SB), geluK1x3<>(SB), vmOne<>(SB))

// func GeluBackwardAVX2(dx, x, dy []float32)
// dx += gelu'(x)·dy: GELUBWD8, then
// the product g·dy rounded and added to dx (two roundings, as in the twin).
// tanhMax = 10 doubles as the clamp bound.
TEXT ·GeluBackwardAVX2(SB), NOSPLIT, $0-72
	SLICES3_ARGS(dx_base+0(FP), dx_len+8(FP), x_base+24(FP), dy_base+48(FP))
	VMOVUPS tanhMax<>(SB), Y14
	VMOVUPS geluBwdMin<>(SB), Y15

gelubwd_loop8:
	CMPQ    CX, $8
	JB      gelubwd_tail
	VMOVUPS (SI), Y6
	GELUBWD8
	VMULPS  (DX), Y0, Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     gelubwd_loop8

gelubwd_tail:
	TESTQ      CX, CX
	JZ         gelubwd_done
	TAIL_MASK
	VMASKMOVPS (SI), Y13, Y6
	GELUBWD8
	VMASKMOVPS (DX), Y13, Y1
	VMULPS     Y1, Y0, Y0
	VMASKMOVPS (DI), Y13, Y1
	VADDPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y13, (DI)

gelubwd_done:
	VZEROUPPER
	RET

// AVX-512F tanh, GELU, GELU backward and log: TanhAVX512, GeluAVX512,
// GeluBackwardAVX512, LogAVX512. The same per-lane operations as TANH8, GELU8,
// GELUBWD8 and LOG_SPLIT/LOG_FINISH/LOG_SLOW above, in the same order, on
// 16-lane ZMM registers, so the results equal the twins bit for bit. 64 elements per
// step (four 16-lane chains, which the out-of-order core overlaps), then 16-lane steps,
// then a masked tail. Constants live in registers, except the tanh coefficients C0–C3,
// which are broadcast from memory (embedded broadcast) to keep enough scratch registers.
// VBLENDVPS becomes a masked VMOVAPS, the vector compares write K registers.
// AVX-512F instructions only.
//
// Registers of the tanh routine:
//	Z23–Z31 as in the exp family (EXP512_CORE_CONSTS; Z25 = ½)
//	Z22 abs mask    Z21 10 (tanhMax)    Z20 1.0   Z19 2.0   Z18 0.5625   Z17 tanh C4
//	Z1–Z5, Z10–Z12, K2 scratch of TANH512; Z0 the chain being computed
// The GELU routines: GELU512_CONSTS below.

// TANH512_CONSTS loads Z17–Z31.
#define TANH512_CONSTS \
	EXP512_CORE_CONSTS \
	VBROADCASTSS vmAbsMask<>(SB), Z22 \
	VBROADCASTSS tanhMax<>(SB), Z21 \
	VBROADCASTSS vmOne<>(SB), Z20 \
	VBROADCASTSS vmTwo<>(SB), Z19 \
	VBROADCASTSS tanhSmall<>(SB), Z18 \
	VBROADCASTSS tanhC4<>(SB), Z17

// TANH512(x): TANH8 on ZMM: x → x = tanh x. a = |x| (Z10), sign (Z11), small path
// q = a + (a·a²)·P(a²) (Z12, a² in Z2), K2 = a < 0.5625; large path
// 1 − 2/(e^{2·min(a, 10)} + 1) with 2^n = (n<<23) + bits(1) multiplied in; then q
// where K2, then the sign. Clobbers Z1–Z5, Z10–Z12, K2.
#define TANH512(x) \
	VPANDD           Z22, x, Z10 \
	VPXORD           Z10, x, Z11 \
	TANH_POLY_K(Z10, Z2, Z12, VFMADD213PS.BCST, Z17, tanhC3<>(SB), tanhC2<>(SB), tanhC1<>(SB), tanhC0<>(SB)) \
	VCMPPS           $0x11, Z18, Z10, K2 \
	VMINPS           Z10, Z21, x \
	VADDPS           x, x, x \
	EXP512_CORE(x, Z1, Z2, Z3, Z4, Z5) \
	TANH_EXP2A_K(x, Z1, Z20) \
	VDIVPS           x, Z19, Z1 \
	VSUBPS           Z1, Z20, x \
	VMOVAPS          Z12, K2, x \
	VPORD            Z11, x, x

// TANH512_STEP(off): dst[off/4 : off/4+16] = tanh of src's (off a byte offset).
#define TANH512_STEP(off) \
	VMOVUPS off(SI), Z0 \
	TANH512(Z0) \
	VMOVUPS Z0, off(DI)

// GELU512_CONSTS loads the constants of GELU512 and GELUBWD512: EXP512_CORE_CONSTS
// (Z23–Z31), Z21 10, Z20 1.0, Z16 −2k0, Z15 k1, Z14 3·k1, Z13 −10.
#define GELU512_CONSTS \
	EXP512_CORE_CONSTS \
	VBROADCASTSS tanhMax<>(SB), Z21 \
	VBROADCASTSS vmOne<>(SB), Z20 \
	VBROADCASTSS geluM2K0<>(SB), Z16 \
	VBROADCASTSS geluK1<>(SB), Z15 \
	VBROADCASTSS geluK1x3<>(SB), Z14 \
	VBROADCASTSS geluBwdMin<>(SB), Z13

// GELU_EXP512: Z0 = −2u → Z0 = e^{−2u}. Clobbers Z1–Z5.
#define GELU_EXP512 \
	EXP512_CORE(Z0, Z1, Z2, Z3, Z4, Z5) \
	EXP_SCALE_ONE(Z0, Z1, Z20)

// GELU512(c): GELU8 on ZMM: c = x → Z0 = gelu(x). Clobbers Z1–Z5.
#define GELU512(c) GELU_K(c, Z0, Z1, Z2, Z3, GELU_EXP512, Z13, Z21, Z15, Z16, Z20)

// GELU512_STEP(off): dst[off/4 : off/4+16] = gelu of src's.
#define GELU512_STEP(off) \
	VMOVUPS off(SI), Z6 \
	GELU512(Z6) \
	VMOVUPS Z0, off(DI)

// GELUBWD512_ZERO: Z0 = 0 where Z6 = −10 (Z13); NaN lanes keep Z0. Clobbers K2.
#define GELUBWD512_ZERO \
	VCMPPS    $4, Z13, Z6, K2 \
	VMOVAPS.Z Z0, K2, Z0

// GELUBWD512: GELUBWD8 on ZMM: Z6 = x → Z0 = gelu'(x), Z6 = x clamped. Clobbers
// Z1–Z5, Z7–Z9, K2.
#define GELUBWD512 GELUBWD_K(Z6, Z7, Z0, Z8, Z9, GELU_EXP512, GELUBWD512_ZERO, Z13, Z21, Z15, Z16, Z14, Z20)

// GELUBWD512_STEP(off): dx += gelu'(x)·dy for the 16 elements at byte offset off
// (x at SI, dy at DX, dx at DI): the product rounded, then added (as in the twin).
#define GELUBWD512_STEP(off) \
	VMOVUPS off(SI), Z6 \
	GELUBWD512 \
	VMULPS  off(DX), Z0, Z0 \
	VADDPS  off(DI), Z0, Z0 \
	VMOVUPS Z0, off(DI)

// UNARY512_LOOPS(STEP, OP, IN, OUT) is the body of an element-wise AVX-512 routine
// dst[i] = f(src[i]) (DI = dst, SI = src, CX = n, constants loaded): 64 elements per
// step as four STEP(off) calls, then 16 at a time, then the n mod 16 tail through
// OP on register IN (result in OUT) with a masked load and store. Labels are local
// to each TEXT, so the macro serves one routine each.
#define UNARY512_LOOPS(STEP, OP, IN, OUT) \
loop64:                  \
	CMPQ CX, $64         \
	JB   loop16          \
	STEP(0)              \
	STEP(64)             \
	STEP(128)            \
	STEP(192)            \
	ADDQ $256, SI        \
	ADDQ $256, DI        \
	SUBQ $64, CX         \
	JMP  loop64          \
loop16:                  \
	CMPQ CX, $16         \
	JB   tail            \
	STEP(0)              \
	ADDQ $64, SI         \
	ADDQ $64, DI         \
	SUBQ $16, CX         \
	JMP  loop16          \
tail:                    \
	UNARY_TAIL16(OP(IN), IN, OUT)

// func TanhAVX512(dst, src []float32)
TEXT ·TanhAVX512(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	TANH512_CONSTS
	UNARY512_LOOPS(TANH512_STEP, TANH512, Z0, Z0)

// func GeluAVX512(dst, src []float32)
TEXT ·GeluAVX512(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	GELU512_CONSTS
	UNARY512_LOOPS(GELU512_STEP, GELU512, Z6, Z0)

// func GeluBackwardAVX512(dx, x, dy []float32)
TEXT ·GeluBackwardAVX512(SB), NOSPLIT, $0-72
	SLICES3_ARGS(dx_base+0(FP), dx_len+8(FP), x_base+24(FP), dy_base+48(FP))
	GELU512_CONSTS

gelubwd512_loop64:
	CMPQ CX, $64
	JB   gelubwd512_loop16
	GELUBWD512_STEP(0)
	GELUBWD512_STEP(64)
	GELUBWD512_STEP(128)
	GELUBWD512_STEP(192)
	ADDQ $256, SI
	ADDQ $256, DX
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  gelubwd512_loop64

gelubwd512_loop16:
	CMPQ CX, $16
	JB   gelubwd512_tail
	GELUBWD512_STEP(0)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gelubwd512_loop16

gelubwd512_tail:
	TESTQ     CX, CX
	JZ        gelubwd512_done
	TAIL_MASK16
	VMOVUPS.Z (SI), K1, Z6
	GELUBWD512
	VMOVUPS.Z (DX), K1, Z1
	VMULPS    Z1, Z0, Z0
	VMOVUPS.Z (DI), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

gelubwd512_done:
	VZEROUPPER
	RET

// Registers of LogAVX512:
//	Z31 bits(√½)    Z30 mantissa mask   Z29 1.0    Z28–Z20 C8–C0   Z19 ln2hi   Z18 ln2lo
//	Z17 bits(+Inf)  Z16 bits(min normal)  Z15 2^23   Z14 −23 (int32)   Z13 NaN   Z12 −Inf
//	Z11 0x7effffff (LOG512_CHECK)   Z10 zero
//	Z0–Z5 scratch   Z6–Z9 the four chains of a 64-lane block

// LOG512_CONSTS loads Z10–Z31.
#define LOG512_CONSTS \
	VBROADCASTSS logSqrtHalf<>(SB), Z31 \
	VBROADCASTSS logMant<>(SB), Z30 \
	VBROADCASTSS vmOne<>(SB), Z29 \
	VBROADCASTSS logC8<>(SB), Z28 \
	VBROADCASTSS logC7<>(SB), Z27 \
	VBROADCASTSS logC6<>(SB), Z26 \
	VBROADCASTSS logC5<>(SB), Z25 \
	VBROADCASTSS logC4<>(SB), Z24 \
	VBROADCASTSS logC3<>(SB), Z23 \
	VBROADCASTSS logC2<>(SB), Z22 \
	VBROADCASTSS logC1<>(SB), Z21 \
	VBROADCASTSS logC0<>(SB), Z20 \
	VBROADCASTSS logLn2Hi<>(SB), Z19 \
	VBROADCASTSS logLn2Lo<>(SB), Z18 \
	VBROADCASTSS logInfBits<>(SB), Z17 \
	VBROADCASTSS logMinNormal<>(SB), Z16 \
	VBROADCASTSS logTwo23<>(SB), Z15 \
	VBROADCASTSS logMinus23<>(SB), Z14 \
	VBROADCASTSS logNaN<>(SB), Z13 \
	VBROADCASTSS logNegInf<>(SB), Z12 \
	VBROADCASTSS logNormalSpan<>(SB), Z11 \
	VPXORD       Z10, Z10, Z10

// LOG512_SPLIT(b): LOG_SPLIT on ZMM: b = bits of a positive normal x → Z1 = f = m − 1,
// Z2 = e (int32).
#define LOG512_SPLIT(b) LOG_SPLIT_K(b, Z1, Z2, VPANDD, Z31, Z30, Z29)

// LOG512_FINISH(y): LOG_FINISH on ZMM, constants in registers: Z1 = f, Z2 = e (int32)
// → y = e·ln2 + log1p(f). Clobbers Z2–Z5.
#define LOG512_FINISH(y) LOG_FINISH_K(Z1, Z2, Z3, Z4, Z5, Z4, y, Z28, Z27, Z26, Z25, Z24, Z23, Z22, Z21, Z20, Z19, Z18)

// LOG512_FAST(c): c = a positive normal x → c = log x. Clobbers Z1–Z5.
#define LOG512_FAST(c) \
	LOG512_SPLIT(c) \
	LOG512_FINISH(c)

// LOG512_SLOW(c): LOG_SLOW on ZMM: c = x, any value → c = log x. Positive subnormals
// (K3) are scaled by 2^23 first and get e − 23; then lanes not positive and below +Inf
// (K2 clear) take x, with x < 0 → NaN and ±0 → −Inf. Clobbers Z0–Z5, K2, K3.
#define LOG512_SLOW(c) \
	VMOVAPS  c, Z0 \
	VPCMPGTD Z10, c, K2 \
	VPCMPGTD c, Z16, K3 \
	KANDW    K3, K2, K3 \
	VMULPS   Z15, c, K3, c \
	LOG512_SPLIT(c) \
	VPADDD   Z14, Z2, K3, Z2 \
	LOG512_FINISH(c) \
	VPCMPGTD Z0, Z17, K3 \
	KANDW    K3, K2, K2 \
	VCMPPS   $0x11, Z10, Z0, K3 \
	VMOVAPS  Z13, K3, Z0 \
	VCMPPS   $0x00, Z10, Z0, K3 \
	VMOVAPS  Z12, K3, Z0 \
	VMOVAPS  c, K2, Z0 \
	VMOVAPS  Z0, c

// LOG512_CHECK4: ZF clear (JNZ taken) if any lane of Z6–Z9 is not a positive normal
// number (the test of LOG_NORMAL_MASK): bits − bits(min normal), as unsigned, exceeds
// 0x7effffff exactly for those. Clobbers Z0–Z3, K1.
#define LOG512_CHECK4 \
	VPSUBD   Z16, Z6, Z0 \
	VPSUBD   Z16, Z7, Z1 \
	VPSUBD   Z16, Z8, Z2 \
	VPSUBD   Z16, Z9, Z3 \
	VPMAXUD  Z1, Z0, Z0 \
	VPMAXUD  Z3, Z2, Z2 \
	VPMAXUD  Z2, Z0, Z0 \
	VPCMPUD  $6, Z11, Z0, K1 \
	KORTESTW K1, K1

// LOG512_CHECK1(c): the same for one vector. Clobbers Z0, K1.
#define LOG512_CHECK1(c) \
	VPSUBD   Z16, c, Z0 \
	VPCMPUD  $6, Z11, Z0, K1 \
	KORTESTW K1, K1

// func LogAVX512(dst, src []float32)
TEXT ·LogAVX512(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), src_base+24(FP))
	LOG512_CONSTS

	// 64 elements per step in four chains, one range check per block.
	CMPQ CX, $64
	JB   log512_loop16

log512_loop64:
	EXP512_LOAD4
	LOG512_CHECK4
	JNZ  log512_slow64
	LOG512_FAST(Z6)
	LOG512_FAST(Z7)
	LOG512_FAST(Z8)
	LOG512_FAST(Z9)

log512_store64:
	EXP512_STORE4
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	CMPQ CX, $64
	JAE  log512_loop64
	JMP  log512_loop16

log512_slow64:
	LOG512_SLOW(Z6)
	LOG512_SLOW(Z7)
	LOG512_SLOW(Z8)
	LOG512_SLOW(Z9)
	JMP log512_store64

log512_loop16:
	CMPQ    CX, $16
	JB      log512_tail
	VMOVUPS (SI), Z6
	LOG512_CHECK1(Z6)
	JNZ     log512_slow16
	LOG512_FAST(Z6)

log512_store16:
	VMOVUPS Z6, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     log512_loop16

log512_slow16:
	LOG512_SLOW(Z6)
	JMP log512_store16

log512_tail:
	UNARY_TAIL16(LOG512_SLOW(Z6), Z6, Z6)
