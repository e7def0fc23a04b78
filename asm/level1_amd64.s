//go:build !purego

#include "textflag.h"
#include "args_amd64.h"
#include "avx512_amd64.h"

// Level-1 kernels, each twice: AVX2 on YMM registers (W = 32 bytes, 8 floats) and
// AVX-512F on ZMM registers (W = 64 bytes, 16 floats). Both walk CX = n floats with
// VLOOPS: STEP4 (four vectors) while n ≥ N4, then STEP1 (one vector) while n ≥ N1,
// then fall into their own tail: AVX2 one float at a time, AVX-512F one masked step
// (K1 holds the live lanes; masked loads and stores touch no memory in the other
// lanes, so nothing past len is read). A step is one line of instructions, written
// once for both widths with W and the registers as arguments, that advances its own
// pointers. The AVX-512F kernels use the AVX2 kernels' instructions and operand
// order, so the element-wise results (NaN payloads included) agree bit for bit.
// Each routine's body is one macro too, written once for both widths and
// instantiated by its AVX2 and its AVX-512F TEXT; what differs (the tail, the
// reduction) comes in as a macro argument. The bodies name no argument: each TEXT
// writes its x_base+0(FP) … operands out, alone or as macro arguments, where go
// vet's asmdecl checks them against the stub. Labels are local to each TEXT, so VLOOPS and the bodies serve each
// routine once.
#define VLOOPS(N4, N1, STEP4, STEP1) \
	CMPQ CX, $N4        \
	JB   loop1          \
loop4:                  \
	STEP4               \
	SUBQ $N4, CX        \
	CMPQ CX, $N4        \
	JAE  loop4          \
loop1:                  \
	CMPQ CX, $N1        \
	JB   tail           \
	STEP1               \
	SUBQ $N1, CX        \
	JMP  loop1          \
tail:

// ZERO4(OP, a0, a1, a2, a3) clears a0-a3 (OP is VXORPS or VPXORD).
#define ZERO4(OP, a0, a1, a2, a3) OP a0, a0, a0; OP a1, a1, a1; OP a2, a2, a2; OP a3, a3, a3

// Dot: a0-a3 += x·y, x through t0-t3 (SI = x, DI = y).
#define DOT4(W, a0, a1, a2, a3, t0, t1, t2, t3) VMOVUPS (SI), t0; VMOVUPS W(SI), t1; VMOVUPS 2*W(SI), t2; VMOVUPS 3*W(SI), t3; VFMADD231PS (DI), t0, a0; VFMADD231PS W(DI), t1, a1; VFMADD231PS 2*W(DI), t2, a2; VFMADD231PS 3*W(DI), t3, a3; ADDQ $(4*W), SI; ADDQ $(4*W), DI
#define DOT1(W, a0, t0) VMOVUPS (SI), t0; VFMADD231PS (DI), t0, a0; ADDQ $W, SI; ADDQ $W, DI

// Axpy: y = fma(alpha, x, y), alpha in a (SI = x, DI = y).
#define AXPY4(W, a, v0, v1, v2, v3) VMOVUPS (DI), v0; VMOVUPS W(DI), v1; VMOVUPS 2*W(DI), v2; VMOVUPS 3*W(DI), v3; VFMADD231PS (SI), a, v0; VFMADD231PS W(SI), a, v1; VFMADD231PS 2*W(SI), a, v2; VFMADD231PS 3*W(SI), a, v3; VMOVUPS v0, (DI); VMOVUPS v1, W(DI); VMOVUPS v2, 2*W(DI); VMOVUPS v3, 3*W(DI); ADDQ $(4*W), SI; ADDQ $(4*W), DI
#define AXPY1(W, a, v0) VMOVUPS (DI), v0; VFMADD231PS (SI), a, v0; VMOVUPS v0, (DI); ADDQ $W, SI; ADDQ $W, DI

// Scale: x *= alpha, alpha in a (DI = x).
#define SCALE4(W, a, v0, v1, v2, v3) VMULPS (DI), a, v0; VMULPS W(DI), a, v1; VMULPS 2*W(DI), a, v2; VMULPS 3*W(DI), a, v3; VMOVUPS v0, (DI); VMOVUPS v1, W(DI); VMOVUPS v2, 2*W(DI); VMOVUPS v3, 3*W(DI); ADDQ $(4*W), DI
#define SCALE1(W, a, v0) VMULPS (DI), a, v0; VMOVUPS v0, (DI); ADDQ $W, DI

// Element-wise dst = x OP y (DI = dst, SI = x, DX = y).
#define EW4(OP, W, v0, v1, v2, v3) VMOVUPS (SI), v0; VMOVUPS W(SI), v1; VMOVUPS 2*W(SI), v2; VMOVUPS 3*W(SI), v3; OP (DX), v0, v0; OP W(DX), v1, v1; OP 2*W(DX), v2, v2; OP 3*W(DX), v3, v3; VMOVUPS v0, (DI); VMOVUPS v1, W(DI); VMOVUPS v2, 2*W(DI); VMOVUPS v3, 3*W(DI); ADDQ $(4*W), SI; ADDQ $(4*W), DX; ADDQ $(4*W), DI
#define EW1(OP, W, v0) VMOVUPS (SI), v0; OP (DX), v0, v0; VMOVUPS v0, (DI); ADDQ $W, SI; ADDQ $W, DX; ADDQ $W, DI

// ReLU: dst = max(x, 0) as Go's max (DI = dst, SI = x, z = +0 in every lane). VMAXPS
// m, z, v gives z > m ? z : m, so m (x) when either is a NaN; −0 comes out as −0,
// which adding +0 turns into +0 (and nothing else changes: x + 0 = x).
#define RELU4(W, z, v0, v1, v2, v3) VMAXPS (SI), z, v0; VMAXPS W(SI), z, v1; VMAXPS 2*W(SI), z, v2; VMAXPS 3*W(SI), z, v3; VADDPS z, v0, v0; VADDPS z, v1, v1; VADDPS z, v2, v2; VADDPS z, v3, v3; VMOVUPS v0, (DI); VMOVUPS v1, W(DI); VMOVUPS v2, 2*W(DI); VMOVUPS v3, 3*W(DI); ADDQ $(4*W), SI; ADDQ $(4*W), DI
#define RELU1(W, z, v0) VMAXPS (SI), z, v0; VADDPS z, v0, v0; VMOVUPS v0, (DI); ADDQ $W, SI; ADDQ $W, DI

// Sum: a0-a3 += x (SI = x).
#define SUM4(W, a0, a1, a2, a3) VADDPS (SI), a0, a0; VADDPS W(SI), a1, a1; VADDPS 2*W(SI), a2, a2; VADDPS 3*W(SI), a3, a3; ADDQ $(4*W), SI
#define SUM1(W, a0) VADDPS (SI), a0, a0; ADDQ $W, SI

// Max: the four blocks of x into t0-t3, then the running maxima a0-a3.
#define LOAD4(W, t0, t1, t2, t3) VMOVUPS (SI), t0; VMOVUPS W(SI), t1; VMOVUPS 2*W(SI), t2; VMOVUPS 3*W(SI), t3
#define MAX4(a0, a1, a2, a3, t0, t1, t2, t3) VMAXPS t0, a0, a0; VMAXPS t1, a1, a1; VMAXPS t2, a2, a2; VMAXPS t3, a3, a3

// OP_TREE4(OP, a0, a1, a2, a3): a0 = (a0 OP a1) OP (a2 OP a3).
#define OP_TREE4(OP, a0, a1, a2, a3) OP a1, a0, a0; OP a3, a2, a2; OP a2, a0, a0

// ADD_ACROSS_Y0, MAX_ACROSS_Y0: X0 ← the sum (maximum) of the 8 lanes of Y0.
// Clobber X1.
#define ACROSS_Y0(PS, SS) VEXTRACTF128 $1, Y0, X1; PS X1, X0, X0; VMOVHLPS X0, X1, X1; PS X1, X0, X0; VMOVSHDUP X0, X1; SS X1, X0, X0
#define ADD_ACROSS_Y0 ACROSS_Y0(VADDPS, VADDSS)
#define MAX_ACROSS_Y0 ACROSS_Y0(VMAXPS, VMAXSS)

// LOOPS_RET(W, STEP4, STEP1, TAIL) is the loop of the routines without a result:
// VLOOPS over STEP4 and STEP1 (four vectors are W floats), TAIL once floats are left
// (AVX2: one float, then back to VLOOPS's tail; AVX-512F: one masked step), return.
#define LOOPS_RET(W, STEP4, STEP1, TAIL) \
	VLOOPS(W, (W/4), STEP4, STEP1) \
	TESTQ CX, CX \
	JEQ   done   \
	TAIL         \
done:            \
	VZEROUPPER   \
	RET

// SUM_RET(BEFORE, TAIL, AFTER, OUT) follows VLOOPS in Dot and Sum: BEFORE, TAIL once
// floats are left (AVX2: one float into X0, then back to sum_tail; AVX-512F: one
// masked step), AFTER, then X0 returned at OUT. AVX2 sums the lanes before its tail
// (BEFORE), AVX-512F after it (AFTER).
#define SUM_RET(BEFORE, TAIL, AFTER, OUT) \
	BEFORE          \
sum_tail:           \
	TESTQ CX, CX    \
	JEQ   sum_done  \
	TAIL            \
sum_done:           \
	AFTER           \
	VMOVSS X0, OUT  \
	VZEROUPPER      \
	RET

#define NOTHING

// YSUM_ACROSS, ZSUM_ACROSS: X0 ← the sum of the four accumulators' lanes.
#define YSUM_ACROSS OP_TREE4(VADDPS, Y0, Y1, Y2, Y3); ADD_ACROSS_Y0
#define ZSUM_ACROSS OP_TREE4(VADDPS, Z0, Z1, Z2, Z3); L1_512_HSUM_Z0

// X_ARGS(X, XLEN): SI = x, CX = n; XY_ARGS(X, XLEN, Y) and DI = y. The operands
// (x_base+0(FP) …) are written out at each TEXT's call, where go vet checks them.
#define X_ARGS(X, XLEN) \
	MOVQ X, SI    \
	MOVQ XLEN, CX
#define XY_ARGS(X, XLEN, Y) \
	X_ARGS(X, XLEN) \
	MOVQ Y, DI

// DOT(W, ZERO, a0, a1, a2, a3, t0, t1, t2, t3): after XY_ARGS (SI = x, CX = n,
// DI = y), a0-a3 cleared, VLOOPS over DOT4 and DOT1 (four vectors are W floats).
#define DOT(W, ZERO, a0, a1, a2, a3, t0, t1, t2, t3) \
	ZERO4(ZERO, a0, a1, a2, a3)  \
	VLOOPS(W, (W/4), DOT4(W, a0, a1, a2, a3, t0, t1, t2, t3), DOT1(W, a0, t0))

#define DOT_TAIL1 VMOVSS (SI), X4; VMULSS (DI), X4, X4; VADDSS X4, X0, X0; ADDQ $4, SI; ADDQ $4, DI; DECQ CX; JMP sum_tail
#define DOT_TAIL16 TAIL_MASK16; VMOVUPS.Z (SI), K1, Z4; VMOVUPS.Z (DI), K1, Z5; VFMADD231PS Z5, Z4, K1, Z1 // only the r live lanes

// AXPY(W, a, v0, v1, v2, v3, TAIL): Axpy, after alpha is broadcast into a and
// XY_ARGS (SI = x, CX = n, DI = y).
#define AXPY(W, a, v0, v1, v2, v3, TAIL) \
	LOOPS_RET(W, AXPY4(W, a, v0, v1, v2, v3), AXPY1(W, a, v0), TAIL)

#define AXPY_TAIL1 VMOVSS (DI), X0; VFMADD231SS (SI), X15, X0; VMOVSS X0, (DI); ADDQ $4, SI; ADDQ $4, DI; DECQ CX; JMP tail
#define AXPY_TAIL16 TAIL_MASK16; VMOVUPS.Z (DI), K1, Z0; VMOVUPS.Z (SI), K1, Z1; VFMADD231PS Z1, Z15, Z0; VMOVUPS Z0, K1, (DI)

// SCALE(W, a, v0, v1, v2, v3, TAIL): Scale, after alpha is broadcast into a and
// DI = x, CX = n.
#define SCALE(W, a, v0, v1, v2, v3, TAIL) \
	LOOPS_RET(W, SCALE4(W, a, v0, v1, v2, v3), SCALE1(W, a, v0), TAIL)

#define SCALE_TAIL1 VMULSS (DI), X15, X0; VMOVSS X0, (DI); ADDQ $4, DI; DECQ CX; JMP tail
#define SCALE_TAIL16 TAIL_MASK16; VMOVUPS.Z (DI), K1, Z0; VMULPS Z0, Z15, Z0; VMOVUPS Z0, K1, (DI)

// ELEMENTWISE(PACKED, W, v0, v1, v2, v3, TAIL) is the body of func(dst, x, y
// []float32) computing dst[i] = x[i] OP y[i] after SLICES3_ARGS, PACKED the packed
// instruction of OP.
// ELEMENTWISE2(PACKED, SCALAR) is it on AVX2 (SCALAR the scalar instruction, for
// the tail), ELEMENTWISE2_512(PACKED) on AVX-512F.
#define ELEMENTWISE(PACKED, W, v0, v1, v2, v3, TAIL) \
	LOOPS_RET(W, EW4(PACKED, W, v0, v1, v2, v3), EW1(PACKED, W, v0), TAIL)

#define EW_TAIL1(SCALAR) VMOVSS (SI), X0; SCALAR (DX), X0, X0; VMOVSS X0, (DI); ADDQ $4, SI; ADDQ $4, DX; ADDQ $4, DI; DECQ CX; JMP tail
#define EW_TAIL16(PACKED) TAIL_MASK16; VMOVUPS.Z (SI), K1, Z0; VMOVUPS.Z (DX), K1, Z1; PACKED Z1, Z0, Z0; VMOVUPS Z0, K1, (DI)
#define ELEMENTWISE2(PACKED, SCALAR) ELEMENTWISE(PACKED, 32, Y0, Y1, Y2, Y3, EW_TAIL1(SCALAR))
#define ELEMENTWISE2_512(PACKED) ELEMENTWISE(PACKED, 64, Z0, Z1, Z2, Z3, EW_TAIL16(PACKED))

// RELU(W, z, v0, v1, v2, v3, TAIL): ReLU, after z is cleared, DI = dst, SI = x and
// CX = n.
#define RELU(W, z, v0, v1, v2, v3, TAIL) \
	LOOPS_RET(W, RELU4(W, z, v0, v1, v2, v3), RELU1(W, z, v0), TAIL)

#define RELU_TAIL1 VMAXSS (SI), X15, X0; VADDSS X15, X0, X0; VMOVSS X0, (DI); ADDQ $4, SI; ADDQ $4, DI; DECQ CX; JMP tail
#define RELU_TAIL16 TAIL_MASK16; VMOVUPS.Z (SI), K1, Z1; VMAXPS Z1, Z15, Z0; VADDPS Z15, Z0, Z0; VMOVUPS Z0, K1, (DI)

// ReLU backward, dx += dy where 0 < x, LOOPS_RET over the steps below after
// SLICES3_ARGS (DI = dx, SI = x, DX = dy, CX = n) and the zero register cleared.
// VCMPPS $0x11 (LT_OQ) of the zero register and x is 0 < x, false for NaN. AVX2
// blends dx + dy into dx under that mask (VBLENDVPS; Y0-Y3 dx, Y4-Y7 the masks,
// Y8-Y11 the sums, Y15 zero); AVX-512F adds dy into dx under the mask in K2-K5
// (Z0-Z3 dx, Z15 zero). A lane outside the mask stores dx's own bits back: −0 stays
// −0, a NaN keeps its payload, and dy is never added there.
#define RBWD4_AVX2 VMOVUPS (DI), Y0; VMOVUPS 32(DI), Y1; VMOVUPS 64(DI), Y2; VMOVUPS 96(DI), Y3; VCMPPS $0x11, (SI), Y15, Y4; VCMPPS $0x11, 32(SI), Y15, Y5; VCMPPS $0x11, 64(SI), Y15, Y6; VCMPPS $0x11, 96(SI), Y15, Y7; VADDPS (DX), Y0, Y8; VADDPS 32(DX), Y1, Y9; VADDPS 64(DX), Y2, Y10; VADDPS 96(DX), Y3, Y11; VBLENDVPS Y4, Y8, Y0, Y0; VBLENDVPS Y5, Y9, Y1, Y1; VBLENDVPS Y6, Y10, Y2, Y2; VBLENDVPS Y7, Y11, Y3, Y3; VMOVUPS Y0, (DI); VMOVUPS Y1, 32(DI); VMOVUPS Y2, 64(DI); VMOVUPS Y3, 96(DI); ADDQ $128, SI; ADDQ $128, DX; ADDQ $128, DI
#define RBWD1_AVX2 VMOVUPS (DI), Y0; VCMPPS $0x11, (SI), Y15, Y4; VADDPS (DX), Y0, Y8; VBLENDVPS Y4, Y8, Y0, Y0; VMOVUPS Y0, (DI); ADDQ $32, SI; ADDQ $32, DX; ADDQ $32, DI
#define RBWD_TAIL1 VMOVSS (DI), X0; VCMPSS $0x11, (SI), X15, X4; VADDSS (DX), X0, X8; VBLENDVPS X4, X8, X0, X0; VMOVSS X0, (DI); ADDQ $4, SI; ADDQ $4, DX; ADDQ $4, DI; DECQ CX; JMP tail

#define RBWD4_AVX512 VMOVUPS (DI), Z0; VMOVUPS 64(DI), Z1; VMOVUPS 128(DI), Z2; VMOVUPS 192(DI), Z3; VCMPPS $0x11, (SI), Z15, K2; VCMPPS $0x11, 64(SI), Z15, K3; VCMPPS $0x11, 128(SI), Z15, K4; VCMPPS $0x11, 192(SI), Z15, K5; VADDPS (DX), Z0, K2, Z0; VADDPS 64(DX), Z1, K3, Z1; VADDPS 128(DX), Z2, K4, Z2; VADDPS 192(DX), Z3, K5, Z3; VMOVUPS Z0, (DI); VMOVUPS Z1, 64(DI); VMOVUPS Z2, 128(DI); VMOVUPS Z3, 192(DI); ADDQ $256, SI; ADDQ $256, DX; ADDQ $256, DI
#define RBWD1_AVX512 VMOVUPS (DI), Z0; VCMPPS $0x11, (SI), Z15, K2; VADDPS (DX), Z0, K2, Z0; VMOVUPS Z0, (DI); ADDQ $64, SI; ADDQ $64, DX; ADDQ $64, DI
// The dead lanes of the masked loads are +0 in x: 0 < 0 is false, so K2 ⊆ K1.
#define RBWD_TAIL16 TAIL_MASK16; VMOVUPS.Z (SI), K1, Z1; VMOVUPS.Z (DI), K1, Z0; VMOVUPS.Z (DX), K1, Z2; VCMPPS $0x11, Z1, Z15, K2; VADDPS Z2, Z0, K2, Z0; VMOVUPS Z0, K1, (DI)

// SUM(W, ZERO, a0, a1, a2, a3): after X_ARGS (SI = x, CX = n), a0-a3 cleared,
// VLOOPS over SUM4 and SUM1.
#define SUM(W, ZERO, a0, a1, a2, a3) \
	ZERO4(ZERO, a0, a1, a2, a3)  \
	VLOOPS(W, (W/4), SUM4(W, a0, a1, a2, a3), SUM1(W, a0))

#define SUM_TAIL1 VADDSS (SI), X0, X0; ADDQ $4, SI; DECQ CX; JMP sum_tail
#define SUM_TAIL16 TAIL_MASK16; VMOVUPS.Z (SI), K1, Z4; VADDPS Z4, Z1, K1, Z1 // only the r live lanes

// MAX_ARGS(X, XLEN): SI = x, CX = n, AX = bits of −Inf (the maxima's start).
#define MAX_ARGS(X, XLEN) \
	X_ARGS(X, XLEN) \
	MOVL $0xff800000, AX

// MAX_END returns X0, the maximum, unless it is ±0, whose sign depends on which zero
// came first: then, and from any jump to max_exact, Max's reference loop runs
// element by element from the start of x (max_exact), returning the first NaN as is
// (max_ret_x1) or the first of the largest. X, XLEN and RESULT are the operands of x's
// base, x's length and the result.
#define MAX_END(X, XLEN, RESULT) \
	VXORPS   X1, X1, X1       \
	VUCOMISS X1, X0           \
	JEQ      max_exact        \
	VMOVSS   X0, RESULT       \
	VZEROUPPER                \
	RET                       \
max_exact:                    \
	MAX_ARGS(X, XLEN)         \
	MOVL AX, X0               \
max_exact_loop:               \
	TESTQ    CX, CX           \
	JEQ      max_exact_done   \
	VMOVSS   (SI), X1         \
	VUCOMISS X1, X1           \
	JPS      max_ret_x1       \
	VUCOMISS X0, X1           \
	JLS      max_exact_next   \
	VMOVAPS  X1, X0           \
max_exact_next:               \
	ADDQ $4, SI               \
	DECQ CX                   \
	JMP  max_exact_loop       \
max_exact_done:               \
	VMOVSS X0, RESULT         \
	VZEROUPPER                \
	RET                       \
max_ret_x1:                   \
	VMOVSS X1, RESULT         \
	VZEROUPPER                \
	RET

// func DotAVX2(x, y []float32) float32
TEXT ·DotAVX2(SB), NOSPLIT, $0-52
	XY_ARGS(x_base+0(FP), x_len+8(FP), y_base+24(FP))
	DOT(32, VXORPS, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	SUM_RET(YSUM_ACROSS, DOT_TAIL1, NOTHING, ret+48(FP))

// func DotAVX512(x, y []float32) float32
TEXT ·DotAVX512(SB), NOSPLIT, $0-52
	XY_ARGS(x_base+0(FP), x_len+8(FP), y_base+24(FP))
	DOT(64, VPXORD, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	SUM_RET(NOTHING, DOT_TAIL16, ZSUM_ACROSS, ret+48(FP))

// func AxpyAVX2(alpha float32, x, y []float32)
TEXT ·AxpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y15
	XY_ARGS(x_base+8(FP), x_len+16(FP), y_base+32(FP))
	AXPY(32, Y15, Y0, Y1, Y2, Y3, AXPY_TAIL1)

// func AxpyAVX512(alpha float32, x, y []float32)
TEXT ·AxpyAVX512(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Z15
	XY_ARGS(x_base+8(FP), x_len+16(FP), y_base+32(FP))
	AXPY(64, Z15, Z0, Z1, Z2, Z3, AXPY_TAIL16)

// func ScaleAVX2(alpha float32, x []float32)
TEXT ·ScaleAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y15
	MOVQ x_base+8(FP), DI
	MOVQ x_len+16(FP), CX
	SCALE(32, Y15, Y0, Y1, Y2, Y3, SCALE_TAIL1)

// func ScaleAVX512(alpha float32, x []float32)
TEXT ·ScaleAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z15
	MOVQ x_base+8(FP), DI
	MOVQ x_len+16(FP), CX
	SCALE(64, Z15, Z0, Z1, Z2, Z3, SCALE_TAIL16)

// func AddAVX2(dst, x, y []float32)
TEXT ·AddAVX2(SB), NOSPLIT, $0-72
	SLICES3_ARGS(dst_base+0(FP), dst_len+8(FP), x_base+24(FP), y_base+48(FP))
	ELEMENTWISE2(VADDPS, VADDSS)

// func MulAVX2(dst, x, y []float32)
TEXT ·MulAVX2(SB), NOSPLIT, $0-72
	SLICES3_ARGS(dst_base+0(FP), dst_len+8(FP), x_base+24(FP), y_base+48(FP))
	ELEMENTWISE2(VMULPS, VMULSS)

// func AddAVX512(dst, x, y []float32)
TEXT ·AddAVX512(SB), NOSPLIT, $0-72
	SLICES3_ARGS(dst_base+0(FP), dst_len+8(FP), x_base+24(FP), y_base+48(FP))
	ELEMENTWISE2_512(VADDPS)

// func MulAVX512(dst, x, y []float32)
TEXT ·MulAVX512(SB), NOSPLIT, $0-72
	SLICES3_ARGS(dst_base+0(FP), dst_len+8(FP), x_base+24(FP), y_base+48(FP))
	ELEMENTWISE2_512(VMULPS)

// func SumAVX2(x []float32) float32
TEXT ·SumAVX2(SB), NOSPLIT, $0-28
	X_ARGS(x_base+0(FP), x_len+8(FP))
	SUM(32, VXORPS, Y0, Y1, Y2, Y3)
	SUM_RET(YSUM_ACROSS, SUM_TAIL1, NOTHING, ret+24(FP))

// func SumAVX512(x []float32) float32
TEXT ·SumAVX512(SB), NOSPLIT, $0-28
	X_ARGS(x_base+0(FP), x_len+8(FP))
	SUM(64, VPXORD, Z0, Z1, Z2, Z3)
	SUM_RET(NOTHING, SUM_TAIL16, ZSUM_ACROSS, ret+24(FP))

// func MaxAVX2(x []float32) float32
//
// The vector pass keeps four running maxima and ORs an unordered-compare mask of every
// block into Y8 (VCMPPS $3: a NaN in either); a NaN or a ±0 result sends it to the
// exact scalar loop (max_exact).
#define MAX4_AVX2 LOAD4(32, Y4, Y5, Y6, Y7); VCMPPS $3, Y5, Y4, Y9; VCMPPS $3, Y7, Y6, Y10; VORPS Y9, Y8, Y8; VORPS Y10, Y8, Y8; MAX4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); ADDQ $128, SI
#define MAX1_AVX2 VMOVUPS (SI), Y4; VCMPPS $3, Y4, Y4, Y9; VORPS Y9, Y8, Y8; VMAXPS Y4, Y0, Y0; ADDQ $32, SI
TEXT ·MaxAVX2(SB), NOSPLIT, $0-28
	MAX_ARGS(x_base+0(FP), x_len+8(FP))
	MOVL AX, X0
	VBROADCASTSS X0, Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VXORPS  Y8, Y8, Y8
	VLOOPS(32, 8, MAX4_AVX2, MAX1_AVX2)
	VMOVMSKPS Y8, AX
	TESTL AX, AX
	JNE   max_exact
	OP_TREE4(VMAXPS, Y0, Y1, Y2, Y3)
	MAX_ACROSS_Y0

max_tail:
	TESTQ CX, CX
	JEQ   max_end
	VMOVSS (SI), X1
	VUCOMISS X1, X1
	JPS   max_ret_x1 // the first NaN: the vector pass saw none
	VMAXSS X0, X1, X0 // X0 = X1 > X0 ? X1 : X0
	ADDQ $4, SI
	DECQ CX
	JMP  max_tail

max_end:
	MAX_END(x_base+0(FP), x_len+8(FP), ret+24(FP))

// func MaxAVX512(x []float32) float32
//
// The vector pass keeps four running maxima; every block is tested for NaN with
// unordered compares into K2/K3, and a NaN, or a ±0 result (whose sign depends on
// which zero came first), sends it to the exact scalar loop (max_exact). Without
// NaN and with a nonzero maximum, every lane equal to the maximum has its bits, so
// the order in which VMAXPS met them does not matter.
#define MAX4_AVX512 LOAD4(64, Z4, Z5, Z6, Z7); VCMPPS $3, Z5, Z4, K2; VCMPPS $3, Z7, Z6, K3; KORTESTW K2, K3; JNZ max_exact; MAX4(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7); ADDQ $256, SI
#define MAX1_AVX512 VMOVUPS (SI), Z4; VCMPPS $3, Z4, Z4, K2; KORTESTW K2, K2; JNZ max_exact; VMAXPS Z4, Z0, Z0; ADDQ $64, SI
TEXT ·MaxAVX512(SB), NOSPLIT, $0-28
	MAX_ARGS(x_base+0(FP), x_len+8(FP))
	VPBROADCASTD AX, Z16
	VMOVAPS      Z16, Z0
	VMOVAPS      Z16, Z1
	VMOVAPS      Z16, Z2
	VMOVAPS      Z16, Z3
	VLOOPS(64, 16, MAX4_AVX512, MAX1_AVX512)
	TESTQ    CX, CX
	JZ       max512_reduce
	TAIL_MASK16
	VMOVAPS  Z16, Z4
	VMOVUPS  (SI), K1, Z4 // the dead lanes keep -Inf
	VCMPPS   $3, Z4, Z4, K2
	KORTESTW K2, K2
	JNZ      max_exact
	VMAXPS   Z4, Z1, Z1

max512_reduce:
	OP_TREE4(VMAXPS, Z0, Z1, Z2, Z3)
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	MAX_ACROSS_Y0
	MAX_END(x_base+0(FP), x_len+8(FP), ret+24(FP))

// func ReluAVX2(dst, x []float32)
TEXT ·ReluAVX2(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), x_base+24(FP))
	VXORPS Y15, Y15, Y15
	RELU(32, Y15, Y0, Y1, Y2, Y3, RELU_TAIL1)

// func ReluAVX512(dst, x []float32)
TEXT ·ReluAVX512(SB), NOSPLIT, $0-48
	SLICES2_ARGS(dst_base+0(FP), dst_len+8(FP), x_base+24(FP))
	VPXORD Z15, Z15, Z15
	RELU(64, Z15, Z0, Z1, Z2, Z3, RELU_TAIL16)

// func ReluBackwardAVX2(dx, x, dy []float32)
TEXT ·ReluBackwardAVX2(SB), NOSPLIT, $0-72
	SLICES3_ARGS(dx_base+0(FP), dx_len+8(FP), x_base+24(FP), dy_base+48(FP))
	VXORPS Y15, Y15, Y15
	LOOPS_RET(32, RBWD4_AVX2, RBWD1_AVX2, RBWD_TAIL1)

// func ReluBackwardAVX512(dx, x, dy []float32)
TEXT ·ReluBackwardAVX512(SB), NOSPLIT, $0-72
	SLICES3_ARGS(dx_base+0(FP), dx_len+8(FP), x_base+24(FP), dy_base+48(FP))
	VPXORD Z15, Z15, Z15
	LOOPS_RET(64, RBWD4_AVX512, RBWD1_AVX512, RBWD_TAIL16)
