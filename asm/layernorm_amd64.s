//go:build !purego

#include "textflag.h"
#include "args_amd64.h"
#include "avx512_amd64.h"

// The layer-norm row kernels on AVX-512F, 16 lanes per step with a masked tail (K1).
// The sums keep one vector accumulator (16 partial sums, added up by L1_512_HSUM_Z0)
// and add squares with FMA; every element-wise result is rounded as the Go twin's.

// LN_TAIL: CX = the remaining count (0..15) → K1 for it; jumps to done when it is 0.
#define LN_TAIL(done) \
	TESTQ CX, CX \
	JZ    done \
	TAIL_MASK16

// LN_LOOP16(loop, tail, BODY): BODY for every full 16-lane step of the row (DX
// elements), BX the element index; at tail, CX holds the 0..15 left.
#define LN_LOOP16(loop, tail, BODY) \
	XORQ BX, BX \
	MOVQ DX, CX \
loop: \
	CMPQ CX, $16 \
	JB   tail \
	BODY \
	ADDQ $16, BX \
	SUBQ $16, CX \
	JMP  loop \
tail:

#define LNF_SUM VADDPS (SI)(BX*4), Z0, Z0
#define LNF_SQ VMOVUPS (SI)(BX*4), Z1; VSUBPS Z16, Z1, Z1; VMOVUPS Z1, (DI)(BX*4); VFMADD231PS Z1, Z1, Z0
#define LNF_OUT VMOVUPS (DI)(BX*4), Z1; VMULPS Z17, Z1, Z1; VMULPS (R8)(BX*4), Z1, Z1; VADDPS (R9)(BX*4), Z1, Z1; VMOVUPS Z1, (DI)(BX*4)

// func LayerNormRowAVX512(dst, x, w, b []float32, eps float64) (mean, rstd float32)
TEXT ·LayerNormRowAVX512(SB), NOSPLIT, $0-112
	SLICES4_ARGS(dst_base+0(FP), x_base+24(FP), w_base+48(FP), b_base+72(FP))
	MOVQ x_len+32(FP), DX

	// pass 1: Σ x
	VPXORD Z0, Z0, Z0
	LN_LOOP16(lnf_sum16, lnf_sumtail, LNF_SUM)
	LN_TAIL(lnf_sumdone)
	VMOVUPS.Z (SI)(BX*4), K1, Z1
	VADDPS    Z1, Z0, Z0

lnf_sumdone:
	L1_512_HSUM_Z0
	VCVTSI2SSQ   DX, X2, X2 // c
	VDIVSS       X2, X0, X0 // mean
	VMOVSS       X0, mean+104(FP)
	VBROADCASTSS X0, Z16

	// pass 2: dst = x − mean, Σ dst²
	VPXORD Z0, Z0, Z0
	LN_LOOP16(lnf_sq16, lnf_sqtail, LNF_SQ)
	LN_TAIL(lnf_sqdone)
	VMOVUPS.Z   (SI)(BX*4), K1, Z1
	VSUBPS.Z    Z16, Z1, K1, Z1
	VMOVUPS     Z1, K1, (DI)(BX*4)
	VFMADD231PS Z1, Z1, Z0

lnf_sqdone:
	L1_512_HSUM_Z0
	VCVTSI2SSQ   DX, X2, X2
	VDIVSS       X2, X0, X0 // var
	VCVTSS2SD    X0, X0, X0
	VADDSD       eps+96(FP), X0, X0
	VSQRTSD      X0, X0, X0
	MOVQ         $0x3ff0000000000000, AX // 1.0
	VMOVQ        AX, X3
	VDIVSD       X0, X3, X3
	VCVTSD2SS    X3, X3, X3 // rstd
	VMOVSS       X3, rstd+108(FP)
	VBROADCASTSS X3, Z17

	// pass 3: dst = dst·rstd·w + b
	LN_LOOP16(lnf_out16, lnf_outtail, LNF_OUT)
	LN_TAIL(lnf_done)
	VMOVUPS.Z (DI)(BX*4), K1, Z1
	VMOVUPS.Z (R8)(BX*4), K1, Z2
	VMOVUPS.Z (R9)(BX*4), K1, Z3
	VMULPS    Z17, Z1, Z1
	VMULPS    Z2, Z1, Z1
	VADDPS    Z3, Z1, Z1
	VMOVUPS   Z1, K1, (DI)(BX*4)

lnf_done:
	VZEROUPPER
	RET

// LNB_TERM(mask): Z3 = a = dy·w, Z4 = x̂ = (x − mean)·rstd for the lanes at BX
// (mask: K2 for all lanes, K1 with zeroing loads for the tail).
#define LNB_TERM(mask) \
	VMOVUPS.Z (SI)(BX*4), mask, Z3 \
	VMOVUPS.Z (R9)(BX*4), mask, Z5 \
	VMULPS    Z5, Z3, Z3 \
	VMOVUPS.Z (R8)(BX*4), mask, Z4 \
	VSUBPS.Z  Z16, Z4, mask, Z4 \
	VMULPS    Z17, Z4, Z4

// LNB_OUT(mask): Z3 = rstd·(a − gm − x̂·gx) from LNB_TERM's Z3, Z4.
#define LNB_OUT(mask) \
	LNB_TERM(mask) \
	VSUBPS Z18, Z3, Z3 \
	VMULPS Z19, Z4, Z4 \
	VSUBPS Z4, Z3, Z3 \
	VMULPS Z17, Z3, Z3

#define LNB_SUM(mask) LNB_TERM(mask); VADDPS Z3, Z0, Z0; VFMADD231PS Z4, Z3, Z2
#define LNB_RES LNB_OUT(K2); VADDPS (R10)(BX*4), Z3, Z3; VMOVUPS Z3, (DI)(BX*4)
#define LNB_SET LNB_OUT(K2); VMOVUPS Z3, (DI)(BX*4)

// func LayerNormBackwardRowAVX512(dx, dy, x, w, res []float32, mean, rstd float32)
TEXT ·LayerNormBackwardRowAVX512(SB), NOSPLIT, $0-128
	SLICES4_ARGS(dx_base+0(FP), dy_base+24(FP), x_base+48(FP), w_base+72(FP))
	MOVQ         x_len+56(FP), DX
	MOVQ         res_base+96(FP), R10
	MOVQ         res_len+104(FP), R11
	VBROADCASTSS mean+120(FP), Z16
	VBROADCASTSS rstd+124(FP), Z17
	KXNORW       K0, K0, K2

	// pass 1: Σ a, Σ a·x̂
	VPXORD Z0, Z0, Z0
	VPXORD Z2, Z2, Z2
	LN_LOOP16(lnb_sum16, lnb_sumtail, LNB_SUM(K2))
	LN_TAIL(lnb_sumdone)
	LNB_SUM(K1)

lnb_sumdone:
	L1_512_HSUM_Z0
	VCVTSI2SSQ   DX, X6, X6 // c
	VDIVSS       X6, X0, X0
	VBROADCASTSS X0, Z18    // gm
	VMOVAPS      Z2, Z0
	L1_512_HSUM_Z0
	VDIVSS       X6, X0, X0
	VBROADCASTSS X0, Z19    // gx

	// pass 2: dx = [res +] rstd·(a − gm − x̂·gx)
	TESTQ R11, R11
	JZ    lnb_set
	LN_LOOP16(lnb_res16, lnb_restail, LNB_RES)
	LN_TAIL(lnb_done)
	LNB_OUT(K1)
	VMOVUPS.Z (R10)(BX*4), K1, Z5
	VADDPS    Z5, Z3, Z3
	VMOVUPS   Z3, K1, (DI)(BX*4)
	JMP       lnb_done

lnb_set:
	LN_LOOP16(lnb_set16, lnb_settail, LNB_SET)
	LN_TAIL(lnb_done)
	LNB_OUT(K1)
	VMOVUPS Z3, K1, (DI)(BX*4)

lnb_done:
	VZEROUPPER
	RET

// LNP_ROWS(mask): adds the rows of one 16-column block (at R8 in dy, R9 in x) into
// Z0 (dw) and Z1 (db), loaded from and stored back to DI and SI under mask.
#define LNP_ROWS(mask, loop, done) \
	VMOVUPS.Z    (DI), mask, Z0 \
	VMOVUPS.Z    (SI), mask, Z1 \
	MOVQ         R8, AX \
	MOVQ         R9, CX \
	XORQ         R12, R12 \
loop: \
	CMPQ         R12, R13 \
	JAE          done \
	VMOVUPS.Z    (AX), mask, Z2 \
	VADDPS       Z2, Z1, Z1 \
	VBROADCASTSS (R10)(R12*4), Z3 \
	VMOVUPS.Z    (CX), mask, Z4 \
	VSUBPS       Z3, Z4, Z4 \
	VMULPS       Z4, Z2, Z4 \
	VBROADCASTSS (R11)(R12*4), Z5 \
	VMULPS       Z5, Z4, Z4 \
	VADDPS       Z4, Z0, Z0 \
	ADDQ         DX, AX \
	ADDQ         DX, CX \
	INCQ         R12 \
	JMP          loop \
done: \
	VMOVUPS      Z0, mask, (DI) \
	VMOVUPS      Z1, mask, (SI)

// func LayerNormParamsAVX512(dw, db, dy, x []float32, ld int, mean, rstd []float32)
TEXT ·LayerNormParamsAVX512(SB), NOSPLIT, $0-152
	MOVQ   dw_len+8(FP), BX
	MOVQ   BX, CX
	ANDQ   $15, CX
	JZ     lnp_masked
	TAIL_MASK16 // K1: the last block's columns

lnp_masked:
	KXNORW K0, K0, K2
	SHRQ   $4, BX // full blocks
	MOVQ   ld+96(FP), DX
	SHLQ   $2, DX // row stride in bytes
	SLICES4_ARGS(dw_base+0(FP), db_base+24(FP), dy_base+48(FP), x_base+72(FP))
	MOVQ   mean_base+104(FP), R10
	MOVQ   mean_len+112(FP), R13
	MOVQ   rstd_base+128(FP), R11

lnp_block:
	TESTQ BX, BX
	JZ    lnp_tail
	LNP_ROWS(K2, lnp_row, lnp_rowsdone)
	ADDQ  $64, DI
	ADDQ  $64, SI
	ADDQ  $64, R8
	ADDQ  $64, R9
	DECQ  BX
	JMP   lnp_block

lnp_tail:
	MOVQ  dw_len+8(FP), CX
	ANDQ  $15, CX
	JZ    lnp_done
	LNP_ROWS(K1, lnp_trow, lnp_trowsdone)

lnp_done:
	VZEROUPPER
	RET
