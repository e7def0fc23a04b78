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

// Scores of one chunk (lanes K of the masked forms) for the key pair at R13, R15
// against q at SI, at byte offset AX, into Z0 and Z1.
#define DOT_PAIR_CHUNK \
	VMOVUPS     (SI)(AX*1), Z3 \
	VFMADD231PS (R13)(AX*1), Z3, Z0 \
	VFMADD231PS (R15)(AX*1), Z3, Z1

#define DIST_PAIR_CHUNK \
	VMOVUPS     (SI)(AX*1), Z3 \
	VSUBPS      (R13)(AX*1), Z3, Z4 \
	VSUBPS      (R15)(AX*1), Z3, Z5 \
	VFMADD231PS Z4, Z4, Z0 \
	VFMADD231PS Z5, Z5, Z1

#define PAIR_LAST_LOAD \
	VMOVUPS.Z (SI)(AX*1), K1, Z3 \
	VMOVUPS.Z (R13)(AX*1), K1, Z4 \
	VMOVUPS.Z (R15)(AX*1), K1, Z5

// func dotRowsAVX512(q, k []float32, ldk int, s []float32, dist int)
//
// Keys go in pairs (rows R13 and R15 = R13 + ldk) sharing the loads of q; an odd
// last key is paired with itself and stored once.
TEXT ·dotRowsAVX512(SB), NOSPLIT, $0-88
	MOVQ dist+80(FP), BX
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), CX
	MOVQ k_base+24(FP), R13
	MOVQ ldk+48(FP), R8
	SHLQ $2, R8
	MOVQ s_base+56(FP), R9
	MOVQ s_len+64(FP), R10
	DECODE_LAST_MASK

dotrows_pair:
	TESTQ  R10, R10
	JZ     dotrows_done
	LEAQ   (R13)(R8*1), R15
	CMPQ   R10, $1
	JNE    dotrows_start
	MOVQ   R13, R15

dotrows_start:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	XORQ   AX, AX
	MOVQ   R11, R14
	TESTQ  BX, BX
	JNZ    dotrows_dist
	TESTQ  R14, R14
	JZ     dotrows_dotlast

dotrows_dot:
	DOT_PAIR_CHUNK
	ADDQ $64, AX
	DECQ R14
	JNZ  dotrows_dot

dotrows_dotlast:
	PAIR_LAST_LOAD
	VFMADD231PS Z4, Z3, Z0
	VFMADD231PS Z5, Z3, Z1
	JMP         dotrows_store

dotrows_dist:
	TESTQ R14, R14
	JZ    dotrows_distlast

dotrows_distloop:
	DIST_PAIR_CHUNK
	ADDQ $64, AX
	DECQ R14
	JNZ  dotrows_distloop

dotrows_distlast:
	PAIR_LAST_LOAD
	VSUBPS      Z3, Z4, Z4
	VSUBPS      Z3, Z5, Z5
	VFMADD231PS Z4, Z4, Z0
	VFMADD231PS Z5, Z5, Z1

dotrows_store:
	VMOVAPS Z1, Z6
	L1_512_HSUM_Z0
	VMOVSS  X0, (R9)
	CMPQ    R10, $1
	JEQ     dotrows_done
	VMOVAPS Z6, Z0
	L1_512_HSUM_Z0
	VMOVSS  X0, 4(R9)
	ADDQ    $8, R9
	LEAQ    (R15)(R8*1), R13
	SUBQ    $2, R10
	JMP     dotrows_pair

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
