// HEADS_ATTEND(Q, K, V, OUT, HEADS, NHEADS, LD, KIND, C, BIAS, EPS, W, MASKS): the
// body of attendHeadsAVX512 and attendHeads32AVX512, expanded in each TEXT of
// decode_amd64.s with the argument operands (name+offset(FP)) written at the call
// site, where go vet checks their offsets against the stub (it does not read this
// file). It uses the KEYC, VROW and VODD_FOLD defined when it is expanded; labels
// are local to a TEXT. Registers and frame: see "AttendHeadsAVX512" in
// decode_amd64.s.
#define HEADS_ATTEND(Q, K, V, OUT, HEADS, NHEADS, LD, KIND, C, BIAS, EPS, W, MASKS) \
	MOVQ      MASKS, AX \
	KMOVW     AX, K1 \
	SHRQ      $16, AX \
	KMOVW     AX, K2 \
	SHRQ      $16, AX \
	KMOVW     AX, K3 \
	SHRQ      $16, AX \
	KMOVW     AX, K4 \
	MOVQ      LD, R8 \
	SHLQ      $2, R8 \
	MOVQ      KIND, R15 \
	ANDQ      $7, R15 \
	XORQ      DX, DX \
	VBROADCASTSS C, Z21 \
	MOVQ      W, BX \
	VBROADCASTSS logNegInf<>(SB), Z23 \
	VPXORD    Z20, Z20, Z20 \
	CMPQ      R15, $2 \
	JNE       heads_begin \
	VBROADCASTSS vmAbsMask<>(SB), Z20 \
	\
heads_begin: \
	MOVQ  HEADS, AX \
	MOVQ  NHEADS, CX \
	TESTQ CX, CX \
	JZ    heads_ret \
	MOVQ  AX, 0(SP) /* the head being scored */ \
	MOVQ  $0, 8(SP) /* the head being weighted (none yet) */ \
	SHLQ  $5, CX \
	ADDQ  AX, CX \
	MOVQ  CX, 16(SP) /* past the last head */ \
	\
/* The scored head 0(SP) starts: its query into Z28–Z31, SI its first K row, CX */ \
/* its keys (≥ 1), R9 its last K row. */ \
heads_score_head: \
	MOVQ      0(SP), R10 \
	MOVQ      Q, AX \
	MOVQ      0(R10), R11 \
	LEAQ      (AX)(R11*4), AX \
	VMOVUPS.Z (AX), K1, Z28 \
	VMOVUPS.Z 64(AX), K2, Z29 \
	VMOVUPS.Z 128(AX), K3, Z30 \
	VMOVUPS.Z 192(AX), K4, Z31 \
	MOVQ      K, SI \
	MOVQ      8(R10), R11 \
	LEAQ      (SI)(R11*4), SI \
	MOVQ      16(R10), CX \
	LEAQ      -1(CX), R9 \
	IMULQ     R8, R9 \
	ADDQ      SI, R9 \
	\
/* The next group's scores into Z0 (scaled; R14 = min(CX, 16) keys, lanes K5 in */ \
/* REDUCE16's order, −Inf in the others), from SI. */ \
heads_next: \
	MOVQ    $16, R14 \
	KXNORW  K5, K5, K5 \
	CMPQ    CX, R14 \
	JLT     heads_lanes \
	TESTQ   $AttendPrefetchFlag, KIND \
	JZ      heads_kind \
	PF_GROUP(SI, AX) \
	JMP     heads_kind \
	\
heads_lanes: \
	MOVQ         CX, R14 \
	VMOVQ        R14, X16 \
	VPBROADCASTD X16, Z16 \
	VMOVDQU32    attendLaneKey<>(SB), Z17 \
	VPCMPD       $1, Z16, Z17, K5 /* lane's key < R14 */ \
	\
heads_kind: \
	CMPQ         R15, $1 \
	JB           heads_gdot \
	JEQ          heads_gdist \
	CMPQ         R15, $3 \
	JB           heads_gl1 \
	JEQ          heads_gmin \
	SCORE16(KEY_RELUMIN) \
	JMP          heads_reduce \
	\
heads_gdot: \
	SCORE16(KEY_DOT) \
	JMP heads_reduce \
	\
heads_gdist: \
	SCORE16(KEY_DIST) \
	JMP heads_reduce \
	\
heads_gl1: \
	SCORE16(KEY_L1) \
	JMP heads_reduce \
	\
heads_gmin: \
	SCORE16(KEY_MIN) \
	\
heads_reduce: \
	REDUCE16 \
	VMULPS  Z21, Z0, Z0 \
	CMPQ    R14, $16 \
	JEQ     heads_scored \
	KNOTW   K5, K6 \
	VMOVAPS Z23, K6, Z0 /* −Inf in the lanes of no key (zeroed again below) */ \
	\
heads_scored: \
	TESTQ   DX, DX \
	JZ      heads_switch /* no weighted group waits for its values */ \
	\
/* The values of the group weighted last (DX keys at DI, weights at 64(BX)) into */ \
/* the accumulator of the weighted head. */ \
heads_values: \
	CMPQ   DX, $16 \
	JB     heads_vtail \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	TESTQ  $AttendPrefetchFlag, KIND \
	JZ     heads_vgroup \
	PF_GROUP(DI, AX) \
	\
heads_vgroup: \
	VALUES4(64, 80, 96, 112) /* keys 0–3: lanes 0, 4, 8, 12 (REDUCE16's order) */ \
	VALUES4(68, 84, 100, 116) \
	VALUES4(72, 88, 104, 120) \
	VALUES4(76, 92, 108, 124) \
	VODD_FOLD \
	JMP    heads_switch \
	\
heads_vtail: /* a head's last group: 1..15 keys, key j's weight in lane 4(j mod 4) + j/4 */ \
	XORQ AX, AX \
	\
heads_vkey: \
	MOVQ         AX, R10 \
	ANDQ         $3, R10 \
	SHLQ         $2, R10 \
	MOVQ         AX, R11 \
	SHRQ         $2, R11 \
	ORQ          R11, R10 \
	VBROADCASTSS 64(BX)(R10*4), Z16 \
	VROW(Z16, DI, Z24, Z25, Z26, Z27) \
	ADDQ         R8, DI \
	INCQ         AX \
	CMPQ         AX, DX \
	JB           heads_vkey \
	\
/* If the group just scored starts a new head (or none was scored: the end), the */ \
/* weighted head is complete: its result out, then the new head's state in. */ \
heads_switch: \
	MOVQ  0(SP), AX \
	CMPQ  AX, 8(SP) \
	JEQ   heads_weights \
	MOVQ  8(SP), R10 \
	TESTQ R10, R10 \
	JZ    heads_state \
	HEAD_FINISH(OUT, KIND, EPS) \
	\
heads_state: \
	CMPQ  AX, 16(SP) \
	JAE   heads_ret \
	MOVQ  AX, 8(SP) \
	MOVQ  V, DI \
	MOVQ  8(AX), R11 \
	LEAQ  (DI)(R11*4), DI \
	TESTQ $AttendStateFlag, KIND \
	JNZ   heads_loadstate \
	VMOVAPS Z23, Z19 \
	VPXORD  Z18, Z18, Z18 \
	VPXORD  Z24, Z24, Z24 \
	VPXORD  Z25, Z25, Z25 \
	VPXORD  Z26, Z26, Z26 \
	VPXORD  Z27, Z27, Z27 \
	JMP     heads_weights \
	\
heads_loadstate: \
	MOVQ         OUT, R12 \
	MOVQ         24(AX), R11 \
	LEAQ         (R12)(R11*4), R12 \
	VBROADCASTSS (R12), Z19 \
	VMOVSS       4(R12), X18 \
	VMOVUPS.Z    128(R12), K1, Z24 \
	VMOVUPS.Z    192(R12), K2, Z25 \
	VMOVUPS.Z    256(R12), K3, Z26 \
	VMOVUPS.Z    320(R12), K4, Z27 \
	\
/* Z0: the group's 16 scaled scores (R14 keys, lanes K5) → its weights, stored */ \
/* at 64(BX) and added to Z18. */ \
heads_weights: \
	TESTQ $AttendExpFlag, KIND \
	JZ    heads_plain \
	ATTEND_EXP_CONSTS \
	VCMPPS     $0x06, Z19, Z0, K6 /* lanes above the running max or unordered (NLE_UQ), as the twin's x > m || x != x */ \
	KORTESTW   K6, K6 \
	JZ         heads_samemax /* none: the max stands, no horizontal max */ \
	VCMPPS     $3, Z0, Z0, K7 /* NaN scores (UNORD_Q): VMAXPS would drop them, the twin's max is NaN */ \
	KORTESTW   K7, K7 \
	JZ         heads_maxtree \
	VCOMPRESSPS Z0, K7, Z16 /* a NaN score in lane 0 */ \
	VBROADCASTSS X16, Z16 /* the new running max, every lane */ \
	JMP        heads_newmax \
	\
heads_maxtree: \
	VSHUFF32X4 $0x4E, Z0, Z0, Z16 \
	VMAXPS     Z16, Z0, Z16 \
	VSHUFF32X4 $0xB1, Z16, Z16, Z17 \
	VMAXPS     Z17, Z16, Z16 \
	VPERMILPS  $0x4E, Z16, Z17 \
	VMAXPS     Z17, Z16, Z16 \
	VPERMILPS  $0xB1, Z16, Z17 \
	VMAXPS     Z17, Z16, Z16 \
	VMAXPS     Z19, Z16, Z16 /* the new running max, every lane (Z19 if it is NaN) */ \
	\
heads_newmax: \
	VCMPPS     $0, Z23, Z19, K7 /* the old max −Inf: the factor e^(−Inf − max) is 0 */ \
	KORTESTW   K7, K7 \
	JCC        heads_rescale \
	TESTQ      $AttendStateFlag, KIND \
	JZ         heads_setmax /* a fresh state: its sums are 0 already */ \
	VPXORD     Z17, Z17, Z17 /* not through the exp: its underflow to 0 costs an assist */ \
	JMP        heads_scale_sums \
	\
heads_rescale: \
	VSUBPS     Z16, Z19, Z17 \
	ATTEND_EXP(Z17) \
	\
heads_scale_sums: \
	VMULPS     Z17, Z24, Z24 \
	VMULPS     Z17, Z25, Z25 \
	VMULPS     Z17, Z26, Z26 \
	VMULPS     Z17, Z27, Z27 \
	VMULPS     Z17, Z18, Z18 \
	\
heads_setmax: \
	VMOVAPS    Z16, Z19 \
	\
heads_samemax: \
	VCMPPS    $4, Z23, Z19, K6 /* max ≠ −Inf (or NaN): subtract it, else 0 */ \
	VMOVAPS.Z Z19, K6, Z17 \
	VSUBPS    Z17, Z0, Z0 \
	VMOVAPS.Z Z0, K5, Z0 /* the lanes of no key: e^0, not e^−Inf's costly underflow (their weight is zeroed below) */ \
	ATTEND_EXP(Z0) \
	\
heads_plain: \
	TESTQ        $AttendSquareFlag, KIND \
	JZ           heads_sum \
	VBROADCASTSS BIAS, Z16 \
	VADDPS       Z16, Z0, Z0 \
	VMULPS       Z0, Z0, Z0 \
	\
heads_sum: \
	VMOVAPS.Z Z0, K5, Z0 \
	VADDPS    Z0, Z18, Z18 \
	VMOVUPS   Z0, 64(BX) \
	MOVQ      R14, DX \
	SUBQ      R14, CX \
	JNZ       heads_next \
	MOVQ      0(SP), AX /* the scored head is done: the next one */ \
	ADDQ      $32, AX \
	MOVQ      AX, 0(SP) \
	CMPQ      AX, 16(SP) \
	JB        heads_score_head \
	JMP       heads_values /* the last values, then the last head's result */ \
	\
heads_ret: \
	VZEROUPPER \
	RET

// HEAD_FINISH(OUT, KIND, EPS): the weighted head's result (its descriptor at R10):
// with AttendStateFlag its state (max, sum, accumulator) back at out[Out:], else its
// output out[Out:Out+d] = acc · s, s = 1/sum unless the sum is 0 (exp family) or
// |sum| ≤ eps (others), when s = 0. Leaves AX and Z0 alone (clobbers Z1–Z3, Z16,
// R11, R12).
#define HEAD_FINISH(OUT, KIND, EPS) \
	VMOVAPS       Z18, Z1 \
	HSUM512(Z1, Y1, X1, Y2, X2) /* X1: the sum of the weights */ \
	MOVQ          OUT, R12 \
	MOVQ          24(R10), R11 \
	LEAQ          (R12)(R11*4), R12 \
	TESTQ         $AttendStateFlag, KIND \
	JZ            heads_output \
	VMOVSS        X19, (R12) \
	VMOVSS        X1, 4(R12) \
	VMOVUPS       Z24, K1, 128(R12) \
	VMOVUPS       Z25, K2, 192(R12) \
	VMOVUPS       Z26, K3, 256(R12) \
	VMOVUPS       Z27, K4, 320(R12) \
	JMP           heads_state \
	\
heads_output: \
	MOVL          $0x3f800000, R11 \
	VMOVD         R11, X3 \
	VDIVSS        X1, X3, X3 /* 1 / sum */ \
	TESTQ         $AttendExpFlag, KIND \
	JZ            heads_guard \
	VXORPS        X2, X2, X2 \
	VCMPSS        $4, X2, X1, K6 /* sum ≠ 0 or NaN (NEQ_UQ) */ \
	JMP           heads_keep \
	\
heads_guard: \
	VBROADCASTSS  vmAbsMask<>(SB), X2 \
	VANDPS        X2, X1, X2 \
	VMOVSS        EPS, X16 \
	VCMPSS        $0x1E, X16, X2, K6 /* |sum| > eps (GT_OQ) */ \
	\
heads_keep: \
	KMOVW         K6, R11 \
	TESTQ         R11, R11 \
	JNZ           heads_scale \
	VXORPS        X3, X3, X3 \
	\
heads_scale: \
	VBROADCASTSS  X3, Z1 \
	VMULPS        Z1, Z24, Z2 \
	VMOVUPS       Z2, K1, (R12) \
	VMULPS        Z1, Z25, Z2 \
	VMOVUPS       Z2, K2, 64(R12) \
	VMULPS        Z1, Z26, Z2 \
	VMOVUPS       Z2, K3, 128(R12) \
	VMULPS        Z1, Z27, Z2 \
	VMOVUPS       Z2, K4, 192(R12)
