// Argument loads shared by amd64 kernels whose signatures begin alike. Each macro
// takes the full name+offset(FP) operands it loads, written out at the call site
// inside the TEXT body, so go vet (asmdecl) checks every offset against the stub:
// it does not look inside macro bodies.

// SLICES2_ARGS(A, ALEN, B): DI = a, CX = len(a), SI = b for the kernels whose
// signatures begin (a, b []float32), A, ALEN and B the operands of a's base, a's
// length and b's base (at 0, 8 and 24 of the frame): the unary vector-math kernels
// (dst, src).
#define SLICES2_ARGS(A, ALEN, B) \
	MOVQ A, DI    \
	MOVQ ALEN, CX \
	MOVQ B, SI

// SLICES3_ARGS(A, ALEN, B, C): SLICES2_ARGS and DX = c for the kernels whose
// signatures begin (a, b, c []float32), C the operand of c's base (at 48): the
// element-wise level-1 kernels (dst, x, y) and GELU backward (dx, x, dy).
#define SLICES3_ARGS(A, ALEN, B, C) \
	SLICES2_ARGS(A, ALEN, B) \
	MOVQ C, DX

// SLICES4_ARGS(A, B, C, D) loads the bases of a kernel's four leading []float32
// arguments (A..D their operands, at 0, 24, 48 and 72 of the frame) into DI, SI, R8
// and R9: AdamWAVX512 and the three layer-norm kernels take their first four slices
// this way.
#define SLICES4_ARGS(A, B, C, D) \
	MOVQ A, DI \
	MOVQ B, SI \
	MOVQ C, R8 \
	MOVQ D, R9

// PACK_ARGS(K, SRC, LD, DST) loads the leading operands of the packers and of
// Transpose8AVX2, whose signatures begin (k int, src []float32, ld int, dst
// []float32), K, SRC (the slice's base), LD and DST (dst's base) their operands (at
// 0, 8, 32 and 40): CX = k, SI = src, R8 = ld in bytes, DI = dst.
#define PACK_ARGS(K, SRC, LD, DST) \
	MOVQ K, CX   \
	MOVQ SRC, SI \
	MOVQ LD, R8  \
	MOVQ DST, DI \
	SHLQ $2, R8
