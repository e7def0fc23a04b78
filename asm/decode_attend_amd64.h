// QUERY_ATTEND(Q, K, V, LD, N, KIND, C, ST, MASKS): the body of AttendRowsAVX512's
// kernels, expanded in each TEXT of decode_amd64.s with the argument operands
// (name+offset(FP)) written at the call site, where go vet checks their offsets
// against the stub (it does not read this file). It uses the KEYC, VROW and
// VODD_FOLD defined when it is expanded; labels are local to a TEXT. Registers: see
// "AttendRowsAVX512" in decode_amd64.s.
#define QUERY_ATTEND(Q, K, V, LD, N, KIND, C, ST, MASKS) \
	MOVQ      MASKS, AX \
	KMOVW     AX, K1 \
	SHRQ      $16, AX \
	KMOVW     AX, K2 \
	SHRQ      $16, AX \
	KMOVW     AX, K3 \
	SHRQ      $16, AX \
	KMOVW     AX, K4 \
	MOVQ      Q, AX \
	VMOVUPS.Z (AX), K1, Z28 \
	VMOVUPS.Z 64(AX), K2, Z29 \
	VMOVUPS.Z 128(AX), K3, Z30 \
	VMOVUPS.Z 192(AX), K4, Z31 \
	MOVQ      K, SI \
	MOVQ      V, DI \
	MOVQ      LD, R8 \
	SHLQ      $2, R8 \
	MOVQ      N, CX \
	MOVQ      KIND, R15 \
	ANDQ      $7, R15 \
	XORQ      DX, DX \
	VBROADCASTSS C, Z21 \
	MOVQ      ST, BX \
	VBROADCASTSS (BX), Z19 \
	VMOVSS    4(BX), X18 \
	VMOVUPS.Z 128(BX), K1, Z24 \
	VMOVUPS.Z 192(BX), K2, Z25 \
	VMOVUPS.Z 256(BX), K3, Z26 \
	VMOVUPS.Z 320(BX), K4, Z27 \
	VBROADCASTSS logNegInf<>(SB), Z23 \
	VPXORD    Z20, Z20, Z20 \
	CMPQ      R15, $2 \
	JNE       attend_start \
	VBROADCASTSS vmAbsMask<>(SB), Z20 \
	\
attend_start: \
	TESTQ CX, CX \
	JZ    attend_done \
	LEAQ  -1(CX), R9 \
	IMULQ R8, R9 \
	ADDQ  SI, R9 /* the last K row */ \
	\
/* The next group's scores into Z0 (scaled; R14 = min(CX, 16) keys, lanes K5 in */ \
/* REDUCE16's order, −Inf in the others), from SI. */ \
attend_next: \
	MOVQ    $16, R14 \
	KXNORW  K5, K5, K5 \
	CMPQ    CX, R14 \
	JLT     attend_lanes \
	TESTQ   $AttendPrefetchFlag, KIND \
	JZ      attend_kind \
	PF_GROUP(SI, AX) \
	JMP     attend_kind \
	\
attend_lanes: \
	MOVQ         CX, R14 \
	VMOVQ        R14, X16 \
	VPBROADCASTD X16, Z16 \
	VMOVDQU32    attendLaneKey<>(SB), Z17 \
	VPCMPD       $1, Z16, Z17, K5 /* lane's key < R14 */ \
	\
attend_kind: \
	CMPQ         R15, $1 \
	JB           attend_gdot \
	JEQ          attend_gdist \
	CMPQ         R15, $3 \
	JB           attend_gl1 \
	JEQ          attend_gmin \
	SCORE16(KEY_RELUMIN) \
	JMP          attend_reduce \
	\
attend_gdot: \
	SCORE16(KEY_DOT) \
	JMP attend_reduce \
	\
attend_gdist: \
	SCORE16(KEY_DIST) \
	JMP attend_reduce \
	\
attend_gl1: \
	SCORE16(KEY_L1) \
	JMP attend_reduce \
	\
attend_gmin: \
	SCORE16(KEY_MIN) \
	\
attend_reduce: \
	REDUCE16 \
	VMULPS  Z21, Z0, Z0 \
	CMPQ    R14, $16 \
	JEQ     attend_scored \
	KNOTW   K5, K6 \
	VMOVAPS Z23, K6, Z0 /* −Inf in the lanes of no key (zeroed again below) */ \
	\
attend_scored: \
	TESTQ   DX, DX \
	JNZ     attend_values /* the previous group's values first */ \
	\
/* Z0: the group's 16 scaled scores (R14 keys, lanes K5) → its weights, stored */ \
/* at st[AttendScratch:] and added to Z18. */ \
attend_weights: \
	TESTQ $AttendExpFlag, KIND \
	JZ    attend_plain \
	ATTEND_EXP_CONSTS \
	VCMPPS     $0x06, Z19, Z0, K6 /* lanes above the running max or unordered (NLE_UQ), as the twin's x > m || x != x */ \
	KORTESTW   K6, K6 \
	JZ         attend_samemax /* none: the max stands, no horizontal max */ \
	VCMPPS     $3, Z0, Z0, K7 /* NaN scores (UNORD_Q): VMAXPS would drop them, the twin's max is NaN */ \
	KORTESTW   K7, K7 \
	JZ         attend_maxtree \
	VCOMPRESSPS Z0, K7, Z16 /* a NaN score in lane 0 */ \
	VBROADCASTSS X16, Z16 /* the new running max, every lane */ \
	JMP        attend_newmax \
	\
attend_maxtree: \
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
attend_newmax: \
	VSUBPS     Z16, Z19, Z17 \
	ATTEND_EXP(Z17) \
	VMULPS     Z17, Z24, Z24 \
	VMULPS     Z17, Z25, Z25 \
	VMULPS     Z17, Z26, Z26 \
	VMULPS     Z17, Z27, Z27 \
	VMULPS     Z17, Z18, Z18 \
	VMOVAPS    Z16, Z19 \
	\
attend_samemax: \
	VCMPPS    $4, Z23, Z19, K6 /* max ≠ −Inf (or NaN): subtract it, else 0 */ \
	VMOVAPS.Z Z19, K6, Z17 \
	VSUBPS    Z17, Z0, Z0 \
	ATTEND_EXP(Z0) \
	\
attend_plain: \
	TESTQ        $AttendSquareFlag, KIND \
	JZ           attend_sum \
	VBROADCASTSS 8(BX), Z16 /* st[AttendBias] */ \
	VADDPS       Z16, Z0, Z0 \
	VMULPS       Z0, Z0, Z0 \
	\
attend_sum: \
	VMOVAPS.Z Z0, K5, Z0 \
	VADDPS    Z0, Z18, Z18 \
	VMOVUPS   Z0, 64(BX) \
	MOVQ      R14, DX \
	SUBQ      R14, CX \
	JNZ       attend_next \
	\
/* The values of the group just weighted (DX keys at DI, weights at 64(BX)); then */ \
/* the weights of the group scored meanwhile, if any (CX > 0). */ \
attend_values: \
	CMPQ   DX, $16 \
	JB     attend_vtail \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	TESTQ  $AttendPrefetchFlag, KIND \
	JZ     attend_vgroup \
	PF_GROUP(DI, AX) \
	\
attend_vgroup: \
	VALUES4(64, 80, 96, 112) /* keys 0–3: lanes 0, 4, 8, 12 (REDUCE16's order) */ \
	VALUES4(68, 84, 100, 116) \
	VALUES4(72, 88, 104, 120) \
	VALUES4(76, 92, 108, 124) \
	VODD_FOLD \
	TESTQ  CX, CX \
	JNZ    attend_weights \
	JMP    attend_done \
	\
attend_vtail: /* the last group: 1..15 keys, key j's weight in lane 4(j mod 4) + j/4 */ \
	XORQ AX, AX \
	\
attend_vkey: \
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
	JB           attend_vkey \
	\
attend_done: \
	VMOVSS    X19, (BX) \
	VMOVAPS   Z18, Z0 \
	L1_512_HSUM_Z0 \
	VMOVSS    X0, 4(BX) \
	VMOVUPS   Z24, K1, 128(BX) \
	VMOVUPS   Z25, K2, 192(BX) \
	VMOVUPS   Z26, K3, 256(BX) \
	VMOVUPS   Z27, K4, 320(BX) \
	VZEROUPPER \
	RET
