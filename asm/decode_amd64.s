//go:build !purego

#include "textflag.h"
#include "avx512_amd64.h"
#include "vecmath_consts_amd64.h"
#include "exp_amd64.h"
#include "decode_attend_amd64.h"
#include "lanes_amd64.h"

// AXPYROWS_ARGS(P, PLEN, V, LDV, O): SI = p, DX = len(p), DI = v, R8 = ldv in bytes,
// R9 = o, from the operands of the arguments (p, v []float32, ldv int, o []float32),
// written at the call site, where go vet checks their offsets.
#define AXPYROWS_ARGS(P, PLEN, V, LDV, O) \
	MOVQ P, SI \
	MOVQ PLEN, DX \
	MOVQ V, DI \
	MOVQ LDV, R8 \
	SHLQ $2, R8 \
	MOVQ O, R9

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
	AXPYROWS_ARGS(p_base+0(FP), p_len+8(FP), v_base+24(FP), ldv+48(FP), o_base+56(FP))
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
	AXPYROWS_ARGS(p_base+0(FP), p_len+8(FP), v_base+24(FP), ldv+48(FP), o_base+56(FP))
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

// ---- AttendHeadsAVX512 (and AttendRowsAVX512, one head in state mode) ----
//
// A call runs a list of heads (AttendHead: query, K and V rows, keys, result), one
// query each. Registers: Z28–Z31 the query of the head being scored (chunks 0–3,
// lanes K1–K4); Z24–Z27 the accumulator, Z19 the running max (every lane), Z18 the
// running sum (per lane, folded at the end) of the head being weighted; Z21 the
// scale c, Z20 the abs mask (l1) or zero (relu-min), Z23 −Inf. SI: the next K row of
// the scored head, R9 its last; CX its keys not yet scored; DI: the next V row of
// the weighted head; R8 = ld in bytes; BX: w (the weights of a group at 64(BX));
// R15 = kind & 7; R14 the keys of the group being scored (lanes K5); DX: the keys of
// the weighted group whose values are still to add (0: none). Z0–Z17 and Z22 are
// scratch: the 16 score accumulators, then the exp constants, then the odd keys'
// partial sums of V (Z4–Z7). Frame: 0(SP) the scored head's descriptor, 8(SP) the
// weighted head's (0: none yet), 16(SP) the end of the list.
//
// The groups are software-pipelined, across heads too: the scores of group g+1 (its
// loads issued early), then the weighted values of group g, whose FMAs would
// otherwise wait for the exp, then the weights of group g+1 (max, exp). When group
// g+1 is a new head's first, head g's result is written between its values and the
// new head's weights, so one head's exp and values overlap the next head's scores
// instead of a call's prologue and epilogue standing between them. The last group
// of a head, 1..15 keys, is scored like a full one, its missing rows reading the last
// row again (their lanes then set to −Inf, weight 0), and its values added one key
// at a time.
//
// The body (HEADS_ATTEND, in decode_attend_amd64.h) is assembled twice, its argument
// operands written in each TEXT where go vet checks them: attendHeadsAVX512 for queries
// of up to 64 floats (four chunks a row), attendHeads32AVX512 for up to 32 (two
// chunks), so that a head of 32 issues no instructions for lanes it does not have.
// Each defines KEYC (a key's score over its chunks), VROW (a weighted V row into the
// accumulator) and VODD_FOLD (the odd keys' partial sums into the accumulator).

// The flags of kind (AttendExp, AttendPrefetch, AttendSquare, attendState).
#define AttendExpFlag 8
#define AttendPrefetchFlag 16
#define AttendSquareFlag 32
#define AttendStateFlag 64

// Scores of one key (row at row) into acc (temporary t), chunk c with lanes Kc+1
// against the query chunk in Z28+c; masked-off lanes are neither read nor counted.
#define KEY_DOT(row, acc, t) KEYC(DOT_FIRST, DOT_NEXT, row, acc, t)
#define KEY_DIST(row, acc, t) KEYC(DIST_FIRST, DIST_NEXT, row, acc, t)
#define KEY_L1(row, acc, t) KEYC(L1_FIRST, L1_NEXT, row, acc, t)
#define KEY_MIN(row, acc, t) KEYC(MIN_FIRST, MIN_NEXT, row, acc, t)
#define KEY_RELUMIN(row, acc, t) KEYC(RELUMIN_FIRST, RELUMIN_NEXT, row, acc, t)

// The chunk steps of each score: q·k; (q − k)²; |q − k| (Z20 the abs mask);
// min(q, k); max(0, min(q, k)) (Z20 zero). FIRST sets acc, NEXT adds to it; each
// takes (the key's chunk in memory, the query chunk, its lanes, acc, t).
#define DOT_FIRST(k, q, m, acc, t) VMULPS.Z k, q, m, acc
#define DOT_NEXT(k, q, m, acc, t) VFMADD231PS k, q, m, acc
#define DIST_FIRST(k, q, m, acc, t) VSUBPS.Z k, q, m, t; VMULPS t, t, acc
#define DIST_NEXT(k, q, m, acc, t) VSUBPS.Z k, q, m, t; VFMADD231PS t, t, acc
#define L1_FIRST(k, q, m, acc, t) VSUBPS.Z k, q, m, t; VPANDD Z20, t, acc
#define L1_NEXT(k, q, m, acc, t) VSUBPS.Z k, q, m, t; VPANDD Z20, t, t; VADDPS t, acc, acc
#define MIN_FIRST(k, q, m, acc, t) VMINPS.Z k, q, m, acc
#define MIN_NEXT(k, q, m, acc, t) VMINPS.Z k, q, m, t; VADDPS t, acc, acc
#define RELUMIN_FIRST(k, q, m, acc, t) VMINPS.Z k, q, m, t; VMAXPS Z20, t, acc
#define RELUMIN_NEXT(k, q, m, acc, t) VMINPS.Z k, q, m, t; VMAXPS Z20, t, t; VADDPS t, acc, acc

// ROWS4(base): R10–R13 ← rows 0–3 at base; base advances four rows.
#define ROWS4(base) \
	MOVQ base, R10 \
	LEAQ (base)(R8*1), R11 \
	LEAQ (base)(R8*2), R12 \
	LEAQ (R11)(R8*2), R13 \
	LEAQ (base)(R8*4), base

// KROWS4: ROWS4(SI), rows past the last K row (R9) replaced by it (the first of a
// group is never past it).
#define KROWS4 \
	ROWS4(SI) \
	CMPQ    R11, R9 \
	CMOVQHI R9, R11 \
	CMPQ    R12, R9 \
	CMOVQHI R9, R12 \
	CMPQ    R13, R9 \
	CMOVQHI R9, R13

// PF_ROW(row, dist): prefetch the four lines of the row dist bytes after row.
#define PF_ROW(row, dist) \
	PREFETCHT0 (row)(dist*1) \
	PREFETCHT0 64(row)(dist*1) \
	PREFETCHT0 128(row)(dist*1) \
	PREFETCHT0 192(row)(dist*1)

// PF_GROUP(base, dist): PF_ROW for the 16 rows from base (clobbers R10, R11), dist =
// 32 rows. AttendRows prefetches K and V so far ahead when kind has AttendPrefetch
// (simd.AttendRows sets it for runs of many keys, whose K and V stream from L3 or
// memory).
#define PF_GROUP(base, dist) \
	MOVQ base, R10 \
	MOVQ R8, dist \
	SHLQ $5, dist \
	MOVQ $16, R11 \
	PF_ROW(R10, dist) \
	ADDQ R8, R10 \
	DECQ R11 \
	JNZ  -6(PC)

// SCORE16(KEY): Z0–Z15 ← the accumulators of the next 16 keys at SI, four rows at a
// time (SCORE4: into a–d).
#define SCORE16(KEY) \
	SCORE4(KEY, Z0, Z1, Z2, Z3) \
	SCORE4(KEY, Z4, Z5, Z6, Z7) \
	SCORE4(KEY, Z8, Z9, Z10, Z11) \
	SCORE4(KEY, Z12, Z13, Z14, Z15)

#define SCORE4(KEY, a, b, c, d) \
	KROWS4 \
	KEY(R10, a, Z16) \
	KEY(R11, b, Z17) \
	KEY(R12, c, Z16) \
	KEY(R13, d, Z17)

// FOLD(imm1, imm2, SHUF, a, b, dst): dst ← SHUF(imm1; a, b) + SHUF(imm2; a, b).
#define FOLD(SHUF, imm1, imm2, a, b, dst) \
	SHUF   $imm1, b, a, Z16 \
	SHUF   $imm2, b, a, Z17 \
	VADDPS Z17, Z16, dst

// REDUCE16: Z0 ← the 16 scores, lane j = the lane sum of accumulator Zj. Four rounds
// halve the vectors: 256-bit halves of pairs (keys 2i, 2i+1 side by side), 128-bit
// blocks (one key per block), then pairs of lanes within blocks twice, which leaves
// key b + 4t in lane 4b + t: the values pass reads the weights in that order
// (VALUES4's offsets, attendLaneKey), so no permute stands between the reduction and
// the exp.
#define REDUCE16 \
	FOLD(VSHUFF32X4, 0x44, 0xEE, Z0, Z1, Z0) \
	FOLD(VSHUFF32X4, 0x44, 0xEE, Z2, Z3, Z1) \
	FOLD(VSHUFF32X4, 0x44, 0xEE, Z4, Z5, Z2) \
	FOLD(VSHUFF32X4, 0x44, 0xEE, Z6, Z7, Z3) \
	FOLD(VSHUFF32X4, 0x44, 0xEE, Z8, Z9, Z4) \
	FOLD(VSHUFF32X4, 0x44, 0xEE, Z10, Z11, Z5) \
	FOLD(VSHUFF32X4, 0x44, 0xEE, Z12, Z13, Z6) \
	FOLD(VSHUFF32X4, 0x44, 0xEE, Z14, Z15, Z7) \
	FOLD(VSHUFF32X4, 0x88, 0xDD, Z0, Z1, Z0) \
	FOLD(VSHUFF32X4, 0x88, 0xDD, Z2, Z3, Z1) \
	FOLD(VSHUFF32X4, 0x88, 0xDD, Z4, Z5, Z2) \
	FOLD(VSHUFF32X4, 0x88, 0xDD, Z6, Z7, Z3) \
	FOLD(VSHUFPS, 0x44, 0xEE, Z0, Z1, Z0) \
	FOLD(VSHUFPS, 0x44, 0xEE, Z2, Z3, Z1) \
	FOLD(VSHUFPS, 0x88, 0xDD, Z0, Z1, Z0)

// attendLaneKey: the key of each lane of REDUCE16's result (lane 4b + t: key b + 4t).
LANES16(attendLaneKey, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)

// ATTEND_EXP_CONSTS: Z5 the lower clamp, Z6–Z14 EXP_CORE_K's constants, Z15 int32 127.
#define ATTEND_EXP_CONSTS \
	VBROADCASTSS expMin<>(SB), Z5 \
	EXP512_CORE_BCAST(Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14) \
	VBROADCASTSS vmBias127<>(SB), Z15

// ATTEND_EXP(x): x ← e^x for x ≤ 0, −Inf or NaN (Exp32: clamp below, then 2^n in two
// factors). Clobbers Z1–Z4, Z22.
#define ATTEND_EXP(x) \
	VMAXPS x, Z5, x \
	EXP_CORE_K(x, Z1, Z2, Z3, Z4, Z22, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14) \
	EXP_SCALE_SLOW(x, Z1, Z2, Z6, Z15)

// VKEY(off, row, b, a0, a1, a2, a3): a0..a3 += the weight at off(BX) · the V row at row.
#define VKEY(off, row, b, a0, a1, a2, a3) \
	VBROADCASTSS off(BX), b \
	VROW(b, row, a0, a1, a2, a3)

#define VEVEN(off, row) VKEY(off, row, Z16, Z24, Z25, Z26, Z27)
#define VODD(off, row) VKEY(off, row, Z17, Z4, Z5, Z6, Z7)

// VALUES4(o0, o1, o2, o3): the next four V rows at DI, weighted by the floats at
// o0..o3(BX), even rows into Z24–Z27 and odd ones into Z4–Z7.
#define VALUES4(o0, o1, o2, o3) \
	ROWS4(DI) \
	VEVEN(o0, R10) \
	VODD(o1, R11) \
	VEVEN(o2, R12) \
	VODD(o3, R13)

// Four chunks a row (attendHeadsAVX512).
#define KEYC(FIRST, NEXT, row, acc, t) \
	FIRST((row), Z28, K1, acc, t) \
	NEXT(64(row), Z29, K2, acc, t) \
	NEXT(128(row), Z30, K3, acc, t) \
	NEXT(192(row), Z31, K4, acc, t)

#define VROW(b, row, a0, a1, a2, a3) \
	VFMADD231PS (row), b, K1, a0 \
	VFMADD231PS 64(row), b, K2, a1 \
	VFMADD231PS 128(row), b, K3, a2 \
	VFMADD231PS 192(row), b, K4, a3

#define VODD_FOLD \
	VADDPS Z4, Z24, Z24 \
	VADDPS Z5, Z25, Z25 \
	VADDPS Z6, Z26, Z26 \
	VADDPS Z7, Z27, Z27

// func attendHeadsAVX512(q, k, v, out []float32, heads []AttendHead, ld, kind int, c, bias, eps float32, w []float32, masks uint64)
TEXT ·attendHeadsAVX512(SB), NOSPLIT, $24-184
	HEADS_ATTEND(q_base+0(FP), k_base+24(FP), v_base+48(FP), out_base+72(FP), heads_base+96(FP), heads_len+104(FP), ld+120(FP), kind+128(FP), c+136(FP), bias+140(FP), eps+144(FP), w_base+152(FP), masks+176(FP))

#undef KEYC
#undef VROW
#undef VODD_FOLD

// Two chunks a row (attendHeads32AVX512): K3, K4 are empty, so Z26, Z27 stay zero.
#define KEYC(FIRST, NEXT, row, acc, t) \
	FIRST((row), Z28, K1, acc, t) \
	NEXT(64(row), Z29, K2, acc, t)

#define VROW(b, row, a0, a1, a2, a3) \
	VFMADD231PS (row), b, K1, a0 \
	VFMADD231PS 64(row), b, K2, a1

#define VODD_FOLD \
	VADDPS Z4, Z24, Z24 \
	VADDPS Z5, Z25, Z25

// func attendHeads32AVX512(q, k, v, out []float32, heads []AttendHead, ld, kind int, c, bias, eps float32, w []float32, masks uint64)
TEXT ·attendHeads32AVX512(SB), NOSPLIT, $24-184
	HEADS_ATTEND(q_base+0(FP), k_base+24(FP), v_base+48(FP), out_base+72(FP), heads_base+96(FP), heads_len+104(FP), ld+120(FP), kind+128(FP), c+136(FP), bias+140(FP), eps+144(FP), w_base+152(FP), masks+176(FP))
