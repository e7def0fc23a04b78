//go:build !purego

#include "textflag.h"
#include "avx512_amd64.h"

// DECODE_LAST_MASK: CX = d ≥ 1 → R11 = the number of 16-wide chunks before the last,
// K1 = the live lanes of the last chunk (1..16 of them). Clobbers AX, CX.
#define DECODE_LAST_MASK \
	MOVQ  CX, R11 \
	DECQ  R11 \
	SHRQ  $4, R11 \
	MOVQ  R11, AX \
	SHLQ  $4, AX \
	SUBQ  AX, CX \
	TAIL_MASK16

// func DotRowsAVX512(q, k []float32, ldk int, s []float32)
TEXT ·DotRowsAVX512(SB), NOSPLIT, $0-80
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), CX
	MOVQ k_base+24(FP), DI
	MOVQ ldk+48(FP), R8
	SHLQ $2, R8
	MOVQ s_base+56(FP), R9
	MOVQ s_len+64(FP), R10
	DECODE_LAST_MASK

dotrows_key:
	TESTQ  R10, R10
	JZ     dotrows_done
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	MOVQ   SI, R12
	MOVQ   DI, R13
	MOVQ   R11, R14

dotrows_chunk:
	TESTQ       R14, R14
	JZ          dotrows_last
	VMOVUPS     (R13), Z2
	VFMADD231PS (R12), Z2, Z0
	ADDQ        $64, R12
	ADDQ        $64, R13
	DECQ        R14
	JZ          dotrows_last
	VMOVUPS     (R13), Z3
	VFMADD231PS (R12), Z3, Z1
	ADDQ        $64, R12
	ADDQ        $64, R13
	DECQ        R14
	JMP         dotrows_chunk

dotrows_last:
	VMOVUPS.Z   (R13), K1, Z2
	VMOVUPS.Z   (R12), K1, Z3
	VFMADD231PS Z3, Z2, Z1
	VADDPS      Z1, Z0, Z0
	L1_512_HSUM_Z0
	VMOVSS      X0, (R9)
	ADDQ        $4, R9
	ADDQ        R8, DI
	DECQ        R10
	JMP         dotrows_key

dotrows_done:
	VZEROUPPER
	RET

// func AxpyRowsAVX512(p, v []float32, ldv int, o []float32)
TEXT ·AxpyRowsAVX512(SB), NOSPLIT, $0-80
	MOVQ   p_base+0(FP), SI
	MOVQ   p_len+8(FP), DX
	MOVQ   v_base+24(FP), DI
	MOVQ   ldv+48(FP), R8
	SHLQ   $2, R8
	MOVQ   o_base+56(FP), R9
	MOVQ   o_len+64(FP), CX
	DECODE_LAST_MASK
	INCQ   R11            // chunks, the last one included
	KXNORW K2, K2, K2     // the full chunks' mask

axpyrows_chunk:
	KMOVW     K2, K3
	CMPQ      R11, $1
	JNE       axpyrows_load
	KMOVW     K1, K3

axpyrows_load:
	VMOVUPS.Z (R9), K3, Z0
	VPXORD    Z1, Z1, Z1
	VPXORD    Z2, Z2, Z2
	VPXORD    Z3, Z3, Z3
	MOVQ      SI, R12
	MOVQ      DI, R13
	MOVQ      DX, R14

axpyrows_key4:
	CMPQ         R14, $4
	JB           axpyrows_key1
	LEAQ         (R13)(R8*2), R15
	VBROADCASTSS (R12), Z4
	VMOVUPS.Z    (R13), K3, Z5
	VFMADD231PS  Z5, Z4, Z0
	VBROADCASTSS 4(R12), Z6
	VMOVUPS.Z    (R13)(R8*1), K3, Z7
	VFMADD231PS  Z7, Z6, Z1
	VBROADCASTSS 8(R12), Z8
	VMOVUPS.Z    (R15), K3, Z9
	VFMADD231PS  Z9, Z8, Z2
	VBROADCASTSS 12(R12), Z10
	VMOVUPS.Z    (R15)(R8*1), K3, Z11
	VFMADD231PS  Z11, Z10, Z3
	ADDQ         $16, R12
	LEAQ         (R15)(R8*2), R13
	SUBQ         $4, R14
	JMP          axpyrows_key4

axpyrows_key1:
	TESTQ        R14, R14
	JZ           axpyrows_store
	VBROADCASTSS (R12), Z4
	VMOVUPS.Z    (R13), K3, Z5
	VFMADD231PS  Z5, Z4, Z0
	ADDQ         $4, R12
	ADDQ         R8, R13
	DECQ         R14
	JMP          axpyrows_key1

axpyrows_store:
	VADDPS  Z1, Z0, Z0
	VADDPS  Z3, Z2, Z2
	VADDPS  Z2, Z0, Z0
	VMOVUPS Z0, K3, (R9)
	ADDQ    $64, R9
	ADDQ    $64, DI
	DECQ    R11
	JNZ     axpyrows_chunk
	VZEROUPPER
	RET
