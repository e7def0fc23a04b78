// The 8×8 float32 transpose in YMM registers, shared by Transpose8AVX2
// (transpose8_amd64.s) and the packers (pack_amd64.s).

// UNPACK2(A, B, LO, HI): LO and HI ← the low and the high pairs of B's and A's lanes
// interleaved, in each 128-bit half.
#define UNPACK2(A, B, LO, HI) \
	VUNPCKLPS A, B, LO \
	VUNPCKHPS A, B, HI

// SHUF2(A, B, LO, HI): LO ← lanes 0, 1 of B then of A, HI ← lanes 2, 3 of B then of
// A, in each 128-bit half.
#define SHUF2(A, B, LO, HI) \
	VSHUFPS $0x44, A, B, LO \
	VSHUFPS $0xEE, A, B, HI

// TRANSPOSE8X8: Y8..Y15 ← the eight columns of the 8×8 block whose rows are Y0..Y7.
// Pairs of rows are interleaved (Y8 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5]
// r1[5], …), then quads (Y0 = r0..r3 of columns 0 | 4, Y1 of 1 | 5, Y2 of 2 | 6, Y3 of
// 3 | 7; Y4..Y7 the same of r4..r7), then the low 128-bit lanes give columns 0..3,
// the high lanes 4..7; a line a stage (the last in two: low lanes, high lanes).
// Clobbers Y0..Y7.
#define TRANSPOSE8X8 \
	UNPACK2(Y1, Y0, Y8, Y9); UNPACK2(Y3, Y2, Y10, Y11); UNPACK2(Y5, Y4, Y12, Y13); UNPACK2(Y7, Y6, Y14, Y15) \
	SHUF2(Y10, Y8, Y0, Y1); SHUF2(Y11, Y9, Y2, Y3); SHUF2(Y14, Y12, Y4, Y5); SHUF2(Y15, Y13, Y6, Y7) \
	VPERM2F128 $0x20, Y4, Y0, Y8; VPERM2F128 $0x20, Y5, Y1, Y9; VPERM2F128 $0x20, Y6, Y2, Y10; VPERM2F128 $0x20, Y7, Y3, Y11 \
	VPERM2F128 $0x31, Y4, Y0, Y12; VPERM2F128 $0x31, Y5, Y1, Y13; VPERM2F128 $0x31, Y6, Y2, Y14; VPERM2F128 $0x31, Y7, Y3, Y15
