// Argument loads shared by amd64 kernels whose signatures begin alike. Each macro
// takes the names of the arguments it loads (name+offset(FP) must name the stub's
// argument, and go vet does not look inside macros: check a new use against its
// stub by hand).

// SLICES2_ARGS(A, ALEN, B): DI = a, CX = len(a), SI = b for the kernels whose
// signatures begin (a, b []float32), A, ALEN and B naming a's base, a's length
// and b's base: the unary vector-math kernels (dst, src).
#define SLICES2_ARGS(A, ALEN, B) \
	MOVQ A+0(FP), DI    \
	MOVQ ALEN+8(FP), CX \
	MOVQ B+24(FP), SI

// SLICES3_ARGS(A, ALEN, B, C): SLICES2_ARGS and DX = c for the kernels whose
// signatures begin (a, b, c []float32), C naming c's base: the element-wise
// level-1 kernels (dst, x, y) and GELU backward (dx, x, dy).
#define SLICES3_ARGS(A, ALEN, B, C) \
	SLICES2_ARGS(A, ALEN, B) \
	MOVQ C+48(FP), DX

// SLICES4_ARGS(A, B, C, D) loads the bases of a kernel's four leading []float32
// arguments (A..D are their names with _base: at 0, 24, 48 and 72 of the frame) into
// DI, SI, R8 and R9: AdamWAVX512 and the three layer-norm kernels take their first
// four slices this way.
#define SLICES4_ARGS(A, B, C, D) \
	MOVQ A+0(FP), DI  \
	MOVQ B+24(FP), SI \
	MOVQ C+48(FP), R8 \
	MOVQ D+72(FP), R9

// PACK_ARGS(K, SRC, LD) loads the leading operands of the packers and of
// Transpose8AVX2, whose signatures begin (k int, src []float32, ld int, dst
// []float32) with k, src and ld named K, SRC (the slice's base) and LD: CX = k,
// SI = src, R8 = ld in bytes, DI = dst.
#define PACK_ARGS(K, SRC, LD) \
	MOVQ K+0(FP), CX         \
	MOVQ SRC+8(FP), SI       \
	MOVQ LD+32(FP), R8       \
	MOVQ dst_base+40(FP), DI \
	SHLQ $2, R8
