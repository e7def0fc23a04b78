//go:build !purego

#include "textflag.h"
#include "args_amd64.h"
#include "avx512_amd64.h"

// ADAMW_STEP16(mask): one 16-lane AdamW step at DI (p), SI (g), R8 (m), R9 (v) under
// mask (K2 = all lanes; the tail's K1 with zeroing loads and masked stores). Z20–Z28
// hold the broadcast arguments, Z19 the watch sum. Z0 = gi, Z1 = mi, Z3 = vi,
// Z5 = denom, Z6 = pi.
#define ADAMW_STEP16(mask) \
	VMOVUPS.Z (SI), mask, Z0 \
	VMOVUPS.Z (R8), mask, Z1 \
	VMOVUPS.Z (R9), mask, Z3 \
	VMULPS    Z20, Z0, Z0 \
	VMOVUPS   Z0, mask, (SI) \
	VMULPS    Z21, Z1, Z1 \
	VMULPS    Z22, Z0, Z2 \
	VADDPS    Z2, Z1, Z1 \
	VMULPS    Z23, Z3, Z3 \
	VMULPS    Z24, Z0, Z4 \
	VMULPS    Z0, Z4, Z4 \
	VADDPS    Z4, Z3, Z3 \
	VMOVUPS   Z1, mask, (R8) \
	VMOVUPS   Z3, mask, (R9) \
	VSQRTPS   Z3, Z5 \
	VMULPS    Z26, Z5, Z5 \
	VADDPS    Z25, Z5, Z5 \
	VMOVUPS.Z (DI), mask, Z6 \
	VMULPS    Z27, Z6, Z6 \
	VMULPS    Z28, Z1, Z7 \
	VDIVPS    Z5, Z7, Z7 \
	VSUBPS    Z7, Z6, Z6 \
	VMOVUPS   Z6, mask, (DI) \
	VSUBPS    Z6, Z6, Z8 \
	VSUBPS    Z1, Z1, Z9 \
	VADDPS    Z9, Z8, Z8 \
	VSUBPS    Z3, Z3, Z9 \
	VADDPS    Z9, Z8, Z8 \
	VADDPS    Z8, Z19, mask, Z19

// func AdamWAVX512(p, g, m, v []float32, a *AdamWArgs) float32
TEXT ·AdamWAVX512(SB), NOSPLIT, $0-108
	SLICES4_ARGS(p_base+0(FP), g_base+24(FP), m_base+48(FP), v_base+72(FP))
	MOVQ         p_len+8(FP), CX
	MOVQ         a+96(FP), AX
	VBROADCASTSS 0(AX), Z20  // GradScale
	VBROADCASTSS 4(AX), Z21  // Beta1
	VBROADCASTSS 8(AX), Z22  // OneMinusB1
	VBROADCASTSS 12(AX), Z23 // Beta2
	VBROADCASTSS 16(AX), Z24 // OneMinusB2
	VBROADCASTSS 20(AX), Z25 // Eps
	VBROADCASTSS 24(AX), Z26 // RBC2
	VBROADCASTSS 28(AX), Z27 // Shrink
	VBROADCASTSS 32(AX), Z28 // StepSize
	VPXORD       Z19, Z19, Z19
	KXNORW       K0, K0, K2 // all 16 lanes

adamw512_loop16:
	CMPQ CX, $16
	JB   adamw512_tail
	ADAMW_STEP16(K2)
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JMP  adamw512_loop16

adamw512_tail:
	TESTQ CX, CX
	JZ    adamw512_done
	TAIL_MASK16
	ADAMW_STEP16(K1)

adamw512_done:
	VMOVAPS Z19, Z0
	L1_512_HSUM_Z0
	VMOVSS  X0, ret+104(FP)
	VZEROUPPER
	RET
