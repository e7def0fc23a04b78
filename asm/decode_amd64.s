//go:build !purego

#include "textflag.h"
#include "avx512_amd64.h"

// AXPYROWS_ARGS: SI = p, DX = len(p), DI = v, R8 = ldv in bytes, R9 = o.
#define AXPYROWS_ARGS \
	MOVQ p_base+0(FP), SI \
	MOVQ p_len+8(FP), DX \
	MOVQ v_base+24(FP), DI \
	MOVQ ldv+48(FP), R8 \
	SHLQ $2, R8 \
	MOVQ o_base+56(FP), R9

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

// Scores of one chunk for the four keys at R13, R15, R12, DX against q at SI, at byte
// offset AX, into Z0..Z3.
#define DOT4_CHUNK \
	VMOVUPS     (SI)(AX*1), Z4 \
	VFMADD231PS (R13)(AX*1), Z4, Z0 \
	VFMADD231PS (R15)(AX*1), Z4, Z1 \
	VFMADD231PS (R12)(AX*1), Z4, Z2 \
	VFMADD231PS (DX)(AX*1), Z4, Z3

#define DIST4_CHUNK \
	VMOVUPS     (SI)(AX*1), Z4 \
	VSUBPS      (R13)(AX*1), Z4, Z5 \
	VSUBPS      (R15)(AX*1), Z4, Z6 \
	VSUBPS      (R12)(AX*1), Z4, Z7 \
	VSUBPS      (DX)(AX*1), Z4, Z8 \
	VFMADD231PS Z5, Z5, Z0 \
	VFMADD231PS Z6, Z6, Z1 \
	VFMADD231PS Z7, Z7, Z2 \
	VFMADD231PS Z8, Z8, Z3

// The last chunk (lanes K1) of q into Z4 and of the four keys into Z5..Z8.
#define LAST4_LOAD \
	VMOVUPS.Z (SI)(AX*1), K1, Z4 \
	VMOVUPS.Z (R13)(AX*1), K1, Z5 \
	VMOVUPS.Z (R15)(AX*1), K1, Z6 \
	VMOVUPS.Z (R12)(AX*1), K1, Z7 \
	VMOVUPS.Z (DX)(AX*1), K1, Z8

// func dotRowsAVX512(q, k []float32, ldk int, s []float32, dist int)
//
// Keys go four at a time (rows R13, R15, R12, DX) sharing the loads of q, and their
// four accumulators are reduced together (halves, two rounds of VHADDPS, halves) into
// X0 = the four scores. A group of 1..3 last keys repeats its last row and stores only
// its own scores.
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

dotrows_group:
	TESTQ R10, R10
	JZ    dotrows_done
	MOVQ  R13, R15
	MOVQ  R13, R12
	MOVQ  R13, DX
	CMPQ  R10, $2
	JB    dotrows_start
	LEAQ  (R13)(R8*1), R15
	MOVQ  R15, R12
	MOVQ  R15, DX
	CMPQ  R10, $3
	JB    dotrows_start
	LEAQ  (R15)(R8*1), R12
	MOVQ  R12, DX
	CMPQ  R10, $4
	JB    dotrows_start
	LEAQ  (R12)(R8*1), DX

dotrows_start:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	XORQ   AX, AX
	MOVQ   R11, R14
	TESTQ  BX, BX
	JNZ    dotrows_dist
	TESTQ  R14, R14
	JZ     dotrows_dotlast

dotrows_dot:
	DOT4_CHUNK
	ADDQ $64, AX
	DECQ R14
	JNZ  dotrows_dot

dotrows_dotlast:
	LAST4_LOAD
	VFMADD231PS Z5, Z4, Z0
	VFMADD231PS Z6, Z4, Z1
	VFMADD231PS Z7, Z4, Z2
	VFMADD231PS Z8, Z4, Z3
	JMP         dotrows_reduce

dotrows_dist:
	TESTQ R14, R14
	JZ    dotrows_distlast

dotrows_distloop:
	DIST4_CHUNK
	ADDQ $64, AX
	DECQ R14
	JNZ  dotrows_distloop

dotrows_distlast:
	LAST4_LOAD
	VSUBPS      Z4, Z5, Z5
	VSUBPS      Z4, Z6, Z6
	VSUBPS      Z4, Z7, Z7
	VSUBPS      Z4, Z8, Z8
	VFMADD231PS Z5, Z5, Z0
	VFMADD231PS Z6, Z6, Z1
	VFMADD231PS Z7, Z7, Z2
	VFMADD231PS Z8, Z8, Z3

dotrows_reduce:
	VEXTRACTF64X4 $1, Z0, Y8
	VADDPS        Y8, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y9
	VADDPS        Y9, Y1, Y1
	VEXTRACTF64X4 $1, Z2, Y10
	VADDPS        Y10, Y2, Y2
	VEXTRACTF64X4 $1, Z3, Y11
	VADDPS        Y11, Y3, Y3
	VHADDPS       Y1, Y0, Y0
	VHADDPS       Y3, Y2, Y2
	VHADDPS       Y2, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	CMPQ          R10, $4
	JB            dotrows_partial
	VMOVUPS       X0, (R9)
	ADDQ          $16, R9
	LEAQ          (DX)(R8*1), R13
	SUBQ          $4, R10
	JMP           dotrows_group

dotrows_partial:
	VMOVSS     X0, (R9)
	CMPQ       R10, $2
	JB         dotrows_done
	VEXTRACTPS $1, X0, 4(R9)
	CMPQ       R10, $3
	JB         dotrows_done
	VEXTRACTPS $2, X0, 8(R9)

dotrows_done:
	VZEROUPPER
	RET

// func axpyRowsAVX512(p, v []float32, ldv int, o []float32)
TEXT ·axpyRowsAVX512(SB), NOSPLIT, $0-80
	AXPYROWS_ARGS
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

// a0..a3 += bcast · the four chunks (lanes K4..K7) of the row at reg.
#define AXPY64_ROW(bcast, reg, a0, a1, a2, a3) \
	VFMADD231PS (reg), bcast, K4, a0 \
	VFMADD231PS 64(reg), bcast, K5, a1 \
	VFMADD231PS 128(reg), bcast, K6, a2 \
	VFMADD231PS 192(reg), bcast, K7, a3

// func axpyRows64AVX512(p, v []float32, ldv int, o []float32, masks uint64)
//
// o (up to 64 floats: four ZMM registers, the lanes of chunk c in bits 16c..16c+15 of
// masks) stays in registers while the rows stream by once, even rows into Z0..Z3 and
// odd rows into Z8..Z11. Masked-out lanes are neither loaded nor stored.
TEXT ·axpyRows64AVX512(SB), NOSPLIT, $0-88
	AXPYROWS_ARGS
	MOVQ      masks+80(FP), AX
	KMOVW     AX, K4
	SHRQ      $16, AX
	KMOVW     AX, K5
	SHRQ      $16, AX
	KMOVW     AX, K6
	SHRQ      $16, AX
	KMOVW     AX, K7
	VMOVUPS.Z (R9), K4, Z0
	VMOVUPS.Z 64(R9), K5, Z1
	VMOVUPS.Z 128(R9), K6, Z2
	VMOVUPS.Z 192(R9), K7, Z3
	VPXORD    Z8, Z8, Z8
	VPXORD    Z9, Z9, Z9
	VPXORD    Z10, Z10, Z10
	VPXORD    Z11, Z11, Z11

axpyrows64_pair:
	CMPQ         DX, $2
	JB           axpyrows64_one
	VBROADCASTSS (SI), Z4
	VBROADCASTSS 4(SI), Z5
	LEAQ         (DI)(R8*1), R10
	AXPY64_ROW(Z4, DI, Z0, Z1, Z2, Z3)
	AXPY64_ROW(Z5, R10, Z8, Z9, Z10, Z11)
	ADDQ         $8, SI
	LEAQ         (DI)(R8*2), DI
	SUBQ         $2, DX
	JMP          axpyrows64_pair

axpyrows64_one:
	TESTQ        DX, DX
	JZ           axpyrows64_store
	VBROADCASTSS (SI), Z4
	AXPY64_ROW(Z4, DI, Z0, Z1, Z2, Z3)

axpyrows64_store:
	VADDPS  Z8, Z0, Z0
	VADDPS  Z9, Z1, Z1
	VADDPS  Z10, Z2, Z2
	VADDPS  Z11, Z3, Z3
	VMOVUPS Z0, K4, (R9)
	VMOVUPS Z1, K5, 64(R9)
	VMOVUPS Z2, K6, 128(R9)
	VMOVUPS Z3, K7, 192(R9)
	VZEROUPPER
	RET
