//go:build !purego

#include "textflag.h"
#include "gemm_amd64.h"

// Register use of SgemmKernel6x16AVX2:
//	AX  packed A (6 floats per step of k)    BX  packed B (16 floats per step)
//	CX  steps left                           DI, R9..R13  the six rows of C
//	Y0, Y1  one row of B                     Y2, Y3  broadcasts of A
//	Y4..Y15 the accumulators: row i in Y(4+2i) (columns 0-7) and Y(5+2i) (8-15).

// KSTEP is one step of k: the rank-1 update of the tile by column AOFF/4 of A and
// row BOFF/64 of B (byte offsets from AX and BX).
#define KSTEP(AOFF, BOFF) \
	VMOVUPS BOFF(BX), Y0               \
	VMOVUPS (BOFF+32)(BX), Y1          \
	VBROADCASTSS AOFF(AX), Y2          \
	VFMADD231PS Y0, Y2, Y4             \
	VFMADD231PS Y1, Y2, Y5             \
	VBROADCASTSS (AOFF+4)(AX), Y3      \
	VFMADD231PS Y0, Y3, Y6             \
	VFMADD231PS Y1, Y3, Y7             \
	VBROADCASTSS (AOFF+8)(AX), Y2      \
	VFMADD231PS Y0, Y2, Y8             \
	VFMADD231PS Y1, Y2, Y9             \
	VBROADCASTSS (AOFF+12)(AX), Y3     \
	VFMADD231PS Y0, Y3, Y10            \
	VFMADD231PS Y1, Y3, Y11            \
	VBROADCASTSS (AOFF+16)(AX), Y2     \
	VFMADD231PS Y0, Y2, Y12            \
	VFMADD231PS Y1, Y2, Y13            \
	VBROADCASTSS (AOFF+20)(AX), Y3     \
	VFMADD231PS Y0, Y3, Y14            \
	VFMADD231PS Y1, Y3, Y15

// STORE0 writes alpha·acc (already scaled) to one row of C.
#define STORE0(ROW, LO, HI) \
	VMOVUPS LO, (ROW)    \
	VMOVUPS HI, 32(ROW)

// STOREBETA writes fma(beta, C, alpha·acc) to one row of C; Y1 holds beta.
#define STOREBETA(ROW, LO, HI) \
	VFMADD231PS (ROW), Y1, LO    \
	VFMADD231PS 32(ROW), Y1, HI  \
	VMOVUPS LO, (ROW)            \
	VMOVUPS HI, 32(ROW)

// YROWS computes the six row pointers of the C tile from DI and R8 (ldc in bytes):
// DI, R9, R10, R11, R12, R13.
#define YROWS ROWS6(DI)

// YZERO clears the twelve accumulators.
#define YZERO \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11 \
	VXORPS Y12, Y12, Y12 \
	VXORPS Y13, Y13, Y13 \
	VXORPS Y14, Y14, Y14 \
	VXORPS Y15, Y15, Y15

// YSCALE multiplies the accumulators by alpha (broadcast in Y0).
#define YSCALE \
	VMULPS Y0, Y4, Y4 \
	VMULPS Y0, Y5, Y5 \
	VMULPS Y0, Y6, Y6 \
	VMULPS Y0, Y7, Y7 \
	VMULPS Y0, Y8, Y8 \
	VMULPS Y0, Y9, Y9 \
	VMULPS Y0, Y10, Y10 \
	VMULPS Y0, Y11, Y11 \
	VMULPS Y0, Y12, Y12 \
	VMULPS Y0, Y13, Y13 \
	VMULPS Y0, Y14, Y14 \
	VMULPS Y0, Y15, Y15

// YSTORETILE writes the six rows as fma(beta, C, alpha·acc) (Y1 holds beta);
// YSTORETILE0 writes alpha·acc, ignoring C's old contents.
#define YSTORETILE \
	STOREBETA(DI, Y4, Y5) \
	STOREBETA(R9, Y6, Y7) \
	STOREBETA(R10, Y8, Y9) \
	STOREBETA(R11, Y10, Y11) \
	STOREBETA(R12, Y12, Y13) \
	STOREBETA(R13, Y14, Y15)

#define YSTORETILE0 \
	STORE0(DI, Y4, Y5) \
	STORE0(R9, Y6, Y7) \
	STORE0(R10, Y8, Y9) \
	STORE0(R11, Y10, Y11) \
	STORE0(R12, Y12, Y13) \
	STORE0(R13, Y14, Y15)

// K_LOOPS(STEP4, STEP1) is the k loop of every micro-kernel in this file: STEP4 (four
// steps of k and the pointer updates) while CX ≥ 4, then STEP1 (one step) for each
// step left; it falls through with the accumulators done. Labels are local to each
// TEXT, so the macro serves one kernel each.
#define K_LOOPS(STEP4, STEP1) \
	CMPQ CX, $4     \
	JLT  k_tail     \
k_loop4:            \
	STEP4           \
	SUBQ $4, CX     \
	CMPQ CX, $4     \
	JGE  k_loop4    \
k_tail:             \
	TESTQ CX, CX    \
	JEQ   k_done    \
	STEP1           \
	DECQ CX         \
	JMP  k_tail     \
k_done:

// K_LOOPS_COPY(STEP4C, STEP4, STEP1, COPY) is K_LOOPS for the direct kernels that
// also copy R14 rows of the next B panel (COPY: one row, R11 → R13): STEP4C (four
// steps of k with two row copies among them) while CX ≥ 4 and R14 ≥ 2, then K_LOOPS
// for the steps left, then COPY for the rows left. Interleaved with the FMAs, the
// copies' loads (B's rows a large power of two apart, which L1 cannot hold as a
// column panel) overlap the arithmetic instead of stalling it.
#define K_LOOPS_COPY(STEP4C, STEP4, STEP1, COPY) \
copy_loop4:            \
	CMPQ CX, $4        \
	JLT  copy_rest     \
	CMPQ R14, $2       \
	JLT  copy_rest     \
	STEP4C             \
	SUBQ $4, CX        \
	SUBQ $2, R14       \
	JMP  copy_loop4    \
copy_rest:             \
	K_LOOPS(STEP4, STEP1) \
copy_tail:             \
	TESTQ R14, R14     \
	JEQ   copy_done    \
	COPY               \
	DECQ R14           \
	JMP  copy_tail     \
copy_done:

// COPYROW(V0, V1, W) copies one row of two W-byte vectors at R11 (then R11 += R12)
// to the panel at R13 (then R13 += 2·W), through V0 and V1: one row of the next B
// panel in the direct-copy kernels (Y2, Y3 in the 6×16 one: free between DSTEPs).
#define COPYROW(V0, V1, W) \
	VMOVUPS (R11), V0   \
	VMOVUPS W(R11), V1  \
	ADDQ R12, R11       \
	VMOVUPS V0, (R13)   \
	VMOVUPS V1, W(R13)  \
	ADDQ $(2*W), R13

// STEP4(S0, S1, S2, S3, ADVANCE): four steps of k of a direct kernel, then the A
// pointers advanced; STEP4_COPY2 also copies two rows of the next B panel.
#define STEP4(S0, S1, S2, S3, ADVANCE) \
	S0      \
	S1      \
	S2      \
	S3      \
	ADVANCE

// STEP4_COPY2(S0, S1, S2, S3, COPY, ADVANCE): four steps of k of a direct kernel with
// two row copies among them, then the A pointers advanced.
#define STEP4_COPY2(S0, S1, S2, S3, COPY, ADVANCE) \
	S0      \
	COPY    \
	S1      \
	S2      \
	COPY    \
	S3      \
	ADVANCE

// COPY_ARGS loads the copy arguments of the direct-copy kernels (src, lds, rows, dst
// at the frame offsets of their common signature): R11 = src, R12 = lds in bytes,
// R14 = rows, R13 = dst.
#define COPY_ARGS \
	MOVQ src_base+112(FP), R11 \
	MOVQ lds+136(FP), R12      \
	SHLQ $2, R12               \
	MOVQ rows+144(FP), R14     \
	MOVQ dst_base+152(FP), R13

// DIRECT_ARGS loads the operands every direct kernel shares: CX = k, SI = a, BX = b,
// R8 = lda and DX = ldb in bytes.
#define DIRECT_ARGS \
	MOVQ k+0(FP), CX       \
	MOVQ a_base+8(FP), SI  \
	MOVQ lda+32(FP), R8    \
	MOVQ b_base+40(FP), BX \
	MOVQ ldb+64(FP), DX    \
	SHLQ $2, R8            \
	SHLQ $2, DX

// D6X16_START loads the operands of the 6×16 direct kernels: DIRECT_ARGS, R9 row 1
// of A; the accumulators cleared.
#define D6X16_START \
	DIRECT_ARGS         \
	LEAQ (SI)(R8*1), R9 \
	YZERO

// D6X16_END stores the tile: C's rows from c and ldc, then TILE_END.
#define D6X16_END \
	MOVQ c_base+72(FP), DI \
	MOVQ ldc+96(FP), R8    \
	SHLQ $2, R8            \
	YROWS                  \
	TILE_END(alpha+104(FP), beta+108(FP), Y0, Y1, YSCALE, YSTORETILE, YSTORETILE0)

// ZD8X32_START loads the operands of the 8×32 direct kernels: DIRECT_ARGS, R9 and R10
// rows 3 and 6 of A; the accumulators cleared.
#define ZD8X32_START \
	DIRECT_ARGS              \
	LEAQ (R8)(R8*2), R10     \
	LEAQ (SI)(R10*1), R9     \
	LEAQ (R9)(R10*1), R10    \
	ZZERO

// ZD8X32_END stores the tile: C's rows from c and ldc, then TILE_END.
#define ZD8X32_END \
	MOVQ c_base+72(FP), DI \
	MOVQ ldc+96(FP), R8    \
	SHLQ $2, R8            \
	ZROWS                  \
	TILE_END(alpha+104(FP), beta+108(FP), Z0, Z1, ZSCALE, ZSTORETILE, ZSTORETILE0)

// TILE_END(alpha, beta, A, B, SCALE, STORETILE, STORETILE0) ends every micro-kernel
// in this file: the accumulators times alpha (broadcast into A; skipped when alpha =
// 1, which gives the same bits and saves 12 or 16 multiplies per tile), then the tile
// is stored. beta = ±0 ignores C (NaN included); any other beta, NaN too, reads it
// (broadcast into B).
#define TILE_END(alpha, beta, A, B, SCALE, STORETILE, STORETILE0) \
	MOVL alpha, DX        \
	CMPL DX, $0x3f800000  \
	JEQ  scaled           \
	VBROADCASTSS alpha, A \
	SCALE                 \
scaled:                   \
	MOVL beta, DX         \
	SHLL $1, DX           \
	JEQ  store_beta0      \
	VBROADCASTSS beta, B  \
	STORETILE             \
	VZEROUPPER            \
	RET                   \
store_beta0:              \
	STORETILE0            \
	VZEROUPPER            \
	RET

// K6X16_STEP4 and K6X16_STEP1: four steps and one step of SgemmKernel6x16AVX2.
#define K6X16_STEP4 \
	PREFETCHT0 384(AX) \
	KSTEP(0, 0)        \
	KSTEP(24, 64)      \
	PREFETCHT0 448(AX) \
	KSTEP(48, 128)     \
	KSTEP(72, 192)     \
	ADDQ $96, AX       \
	ADDQ $256, BX

#define K6X16_STEP1 \
	KSTEP(0, 0)  \
	ADDQ $24, AX \
	ADDQ $64, BX

// func SgemmKernel6x16AVX2(k int, a, b, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmKernel6x16AVX2(SB), NOSPLIT, $0-96
	MOVQ k+0(FP), CX
	MOVQ a_base+8(FP), AX
	MOVQ b_base+32(FP), BX
	MOVQ c_base+56(FP), DI
	MOVQ ldc+80(FP), R8
	SHLQ $2, R8
	YROWS

	// Bring the C tile toward L1 while the product runs.
	PREFETCHT0 (DI)
	PREFETCHT0 63(DI)
	PREFETCHT0 (R9)
	PREFETCHT0 63(R9)
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	PREFETCHT0 (R11)
	PREFETCHT0 63(R11)
	PREFETCHT0 (R12)
	PREFETCHT0 63(R12)
	PREFETCHT0 (R13)
	PREFETCHT0 63(R13)

	YZERO

	K_LOOPS(K6X16_STEP4, K6X16_STEP1)
	TILE_END(alpha+88(FP), beta+92(FP), Y0, Y1, YSCALE, YSTORETILE, YSTORETILE0)

// DSTEP is one step of k of the direct kernel: B row at BX (then BX += DX), A column
// AOFF bytes into the six rows SI, R9, SI+2·R8, R9+2·R8, SI+4·R8, R9+4·R8.
#define DSTEP(AOFF) \
	VMOVUPS (BX), Y0                    \
	VMOVUPS 32(BX), Y1                  \
	ADDQ DX, BX                         \
	VBROADCASTSS AOFF(SI), Y2           \
	VFMADD231PS Y0, Y2, Y4              \
	VFMADD231PS Y1, Y2, Y5              \
	VBROADCASTSS AOFF(R9), Y3           \
	VFMADD231PS Y0, Y3, Y6              \
	VFMADD231PS Y1, Y3, Y7              \
	VBROADCASTSS AOFF(SI)(R8*2), Y2     \
	VFMADD231PS Y0, Y2, Y8              \
	VFMADD231PS Y1, Y2, Y9              \
	VBROADCASTSS AOFF(R9)(R8*2), Y3     \
	VFMADD231PS Y0, Y3, Y10             \
	VFMADD231PS Y1, Y3, Y11             \
	VBROADCASTSS AOFF(SI)(R8*4), Y2     \
	VFMADD231PS Y0, Y2, Y12             \
	VFMADD231PS Y1, Y2, Y13             \
	VBROADCASTSS AOFF(R9)(R8*4), Y3     \
	VFMADD231PS Y0, Y3, Y14             \
	VFMADD231PS Y1, Y3, Y15

// D6X16_ADVANCE(BYTES) moves the two A row pointers BYTES along.
#define D6X16_ADVANCE(BYTES) \
	ADDQ $BYTES, SI \
	ADDQ $BYTES, R9

// func SgemmDirect6x16AVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmDirect6x16AVX2(SB), NOSPLIT, $0-112
	D6X16_START
	K_LOOPS(STEP4(DSTEP(0), DSTEP(4), DSTEP(8), DSTEP(12), D6X16_ADVANCE(16)), DSTEP(0) D6X16_ADVANCE(4))
	D6X16_END

// func SgemmDirectCopy6x16AVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, src []float32, lds, rows int, dst []float32)
TEXT ·SgemmDirectCopy6x16AVX2(SB), NOSPLIT, $0-176
	D6X16_START
	COPY_ARGS
	K_LOOPS_COPY(STEP4_COPY2(DSTEP(0), DSTEP(4), DSTEP(8), DSTEP(12), COPYROW(Y2, Y3, 32), D6X16_ADVANCE(16)), STEP4(DSTEP(0), DSTEP(4), DSTEP(8), DSTEP(12), D6X16_ADVANCE(16)), DSTEP(0) D6X16_ADVANCE(4), COPYROW(Y2, Y3, 32))
	D6X16_END

// Register use of SgemmKernel8x32AVX512 (AVX-512F):
//	AX  packed A (8 floats per step of k)    BX  packed B (32 floats per step)
//	CX  steps left                           DI, R9..R14, SI  the eight rows of C
//	Z0, Z1  one row of B                     Z2..Z5  broadcasts of A
//	Z16..Z31 the accumulators: row i in Z(16+2i) (columns 0-15) and Z(17+2i) (16-31).
// Z6..Z15 stay free: the tile is chosen for its 8-row × 32-column shape (it divides
// the 64- and 96-wide attention tiles and the head dimension 64 exactly), not to fill
// the register file.

// ZSTEP is one step of k: the rank-1 update of the tile by column AOFF/4 of A and
// row BOFF/128 of B (byte offsets from AX and BX).
#define ZSTEP(AOFF, BOFF) \
	VMOVUPS BOFF(BX), Z0                \
	VMOVUPS (BOFF+64)(BX), Z1           \
	VBROADCASTSS AOFF(AX), Z2           \
	VBROADCASTSS (AOFF+4)(AX), Z3       \
	VFMADD231PS Z0, Z2, Z16             \
	VFMADD231PS Z1, Z2, Z17             \
	VBROADCASTSS (AOFF+8)(AX), Z4       \
	VFMADD231PS Z0, Z3, Z18             \
	VFMADD231PS Z1, Z3, Z19             \
	VBROADCASTSS (AOFF+12)(AX), Z5      \
	VFMADD231PS Z0, Z4, Z20             \
	VFMADD231PS Z1, Z4, Z21             \
	VBROADCASTSS (AOFF+16)(AX), Z2      \
	VFMADD231PS Z0, Z5, Z22             \
	VFMADD231PS Z1, Z5, Z23             \
	VBROADCASTSS (AOFF+20)(AX), Z3      \
	VFMADD231PS Z0, Z2, Z24             \
	VFMADD231PS Z1, Z2, Z25             \
	VBROADCASTSS (AOFF+24)(AX), Z4      \
	VFMADD231PS Z0, Z3, Z26             \
	VFMADD231PS Z1, Z3, Z27             \
	VBROADCASTSS (AOFF+28)(AX), Z5      \
	VFMADD231PS Z0, Z4, Z28             \
	VFMADD231PS Z1, Z4, Z29             \
	VFMADD231PS Z0, Z5, Z30             \
	VFMADD231PS Z1, Z5, Z31

// ZROWS computes the eight row pointers of the C tile from DI and R8 (ldc in bytes):
// DI, R9, R10, R11, R12, R13, R14, SI.
#define ZROWS \
	ROWS6(DI)             \
	LEAQ (R10)(R8*4), R14 \
	LEAQ (R11)(R8*4), SI

// ZZERO clears the sixteen accumulators.
#define ZZERO \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	VPXORD Z20, Z20, Z20 \
	VPXORD Z21, Z21, Z21 \
	VPXORD Z22, Z22, Z22 \
	VPXORD Z23, Z23, Z23 \
	VPXORD Z24, Z24, Z24 \
	VPXORD Z25, Z25, Z25 \
	VPXORD Z26, Z26, Z26 \
	VPXORD Z27, Z27, Z27 \
	VPXORD Z28, Z28, Z28 \
	VPXORD Z29, Z29, Z29 \
	VPXORD Z30, Z30, Z30 \
	VPXORD Z31, Z31, Z31

// ZSCALE multiplies the accumulators by alpha (broadcast in Z0).
#define ZSCALE \
	VMULPS Z0, Z16, Z16 \
	VMULPS Z0, Z17, Z17 \
	VMULPS Z0, Z18, Z18 \
	VMULPS Z0, Z19, Z19 \
	VMULPS Z0, Z20, Z20 \
	VMULPS Z0, Z21, Z21 \
	VMULPS Z0, Z22, Z22 \
	VMULPS Z0, Z23, Z23 \
	VMULPS Z0, Z24, Z24 \
	VMULPS Z0, Z25, Z25 \
	VMULPS Z0, Z26, Z26 \
	VMULPS Z0, Z27, Z27 \
	VMULPS Z0, Z28, Z28 \
	VMULPS Z0, Z29, Z29 \
	VMULPS Z0, Z30, Z30 \
	VMULPS Z0, Z31, Z31

// ZSTORE0 writes alpha·acc (already scaled) to one 32-wide row of C.
#define ZSTORE0(ROW, LO, HI) \
	VMOVUPS LO, (ROW)    \
	VMOVUPS HI, 64(ROW)

// ZSTOREBETA writes fma(beta, C, alpha·acc) to one row of C; Z1 holds beta.
#define ZSTOREBETA(ROW, LO, HI) \
	VFMADD231PS (ROW), Z1, LO    \
	VFMADD231PS 64(ROW), Z1, HI  \
	VMOVUPS LO, (ROW)            \
	VMOVUPS HI, 64(ROW)

// ZSTORETILE writes the eight rows as fma(beta, C, alpha·acc) (Z1 holds beta);
// ZSTORETILE0 writes alpha·acc, ignoring C's old contents.
#define ZSTORETILE \
	ZSTOREBETA(DI, Z16, Z17)  \
	ZSTOREBETA(R9, Z18, Z19)  \
	ZSTOREBETA(R10, Z20, Z21) \
	ZSTOREBETA(R11, Z22, Z23) \
	ZSTOREBETA(R12, Z24, Z25) \
	ZSTOREBETA(R13, Z26, Z27) \
	ZSTOREBETA(R14, Z28, Z29) \
	ZSTOREBETA(SI, Z30, Z31)

#define ZSTORETILE0 \
	ZSTORE0(DI, Z16, Z17)  \
	ZSTORE0(R9, Z18, Z19)  \
	ZSTORE0(R10, Z20, Z21) \
	ZSTORE0(R11, Z22, Z23) \
	ZSTORE0(R12, Z24, Z25) \
	ZSTORE0(R13, Z26, Z27) \
	ZSTORE0(R14, Z28, Z29) \
	ZSTORE0(SI, Z30, Z31)

// Z8X32_STEP4 and Z8X32_STEP1: four steps and one step of SgemmKernel8x32AVX512. The
// A panel streams from L2: it is fetched 512 bytes (16 steps) ahead.
#define Z8X32_STEP4 \
	PREFETCHT0 512(AX) \
	ZSTEP(0, 0)        \
	ZSTEP(32, 128)     \
	PREFETCHT0 576(AX) \
	ZSTEP(64, 256)     \
	ZSTEP(96, 384)     \
	ADDQ $128, AX      \
	ADDQ $512, BX

#define Z8X32_STEP1 \
	ZSTEP(0, 0)   \
	ADDQ $32, AX  \
	ADDQ $128, BX

// func SgemmKernel8x32AVX512(k int, a, b, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmKernel8x32AVX512(SB), NOSPLIT, $0-96
	MOVQ k+0(FP), CX
	MOVQ a_base+8(FP), AX
	MOVQ b_base+32(FP), BX
	MOVQ c_base+56(FP), DI
	MOVQ ldc+80(FP), R8
	SHLQ $2, R8
	ZROWS

	// Bring the C tile (eight 128-byte rows, up to three lines each) toward L1
	// while the product runs.
	PREFETCHT0 (DI)
	PREFETCHT0 64(DI)
	PREFETCHT0 127(DI)
	PREFETCHT0 (R9)
	PREFETCHT0 64(R9)
	PREFETCHT0 127(R9)
	PREFETCHT0 (R10)
	PREFETCHT0 64(R10)
	PREFETCHT0 127(R10)
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 127(R11)
	PREFETCHT0 (R12)
	PREFETCHT0 64(R12)
	PREFETCHT0 127(R12)
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 127(R13)
	PREFETCHT0 (R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 127(R14)
	PREFETCHT0 (SI)
	PREFETCHT0 64(SI)
	PREFETCHT0 127(SI)

	ZZERO

	K_LOOPS(Z8X32_STEP4, Z8X32_STEP1)
	TILE_END(alpha+88(FP), beta+92(FP), Z0, Z1, ZSCALE, ZSTORETILE, ZSTORETILE0)

// ZDSTEP is one step of k of the direct kernel: B row at BX (then BX += DX), A column
// AOFF bytes into the eight rows SI, SI+R8, SI+2·R8, R9, SI+4·R8, R9+2·R8, R10,
// R9+4·R8 (R9 = SI+3·R8, R10 = SI+6·R8).
#define ZDSTEP(AOFF) \
	VMOVUPS (BX), Z0                    \
	VMOVUPS 64(BX), Z1                  \
	ADDQ DX, BX                         \
	VBROADCASTSS AOFF(SI), Z2           \
	VBROADCASTSS AOFF(SI)(R8*1), Z3     \
	VFMADD231PS Z0, Z2, Z16             \
	VFMADD231PS Z1, Z2, Z17             \
	VBROADCASTSS AOFF(SI)(R8*2), Z4     \
	VFMADD231PS Z0, Z3, Z18             \
	VFMADD231PS Z1, Z3, Z19             \
	VBROADCASTSS AOFF(R9), Z5           \
	VFMADD231PS Z0, Z4, Z20             \
	VFMADD231PS Z1, Z4, Z21             \
	VBROADCASTSS AOFF(SI)(R8*4), Z2     \
	VFMADD231PS Z0, Z5, Z22             \
	VFMADD231PS Z1, Z5, Z23             \
	VBROADCASTSS AOFF(R9)(R8*2), Z3     \
	VFMADD231PS Z0, Z2, Z24             \
	VFMADD231PS Z1, Z2, Z25             \
	VBROADCASTSS AOFF(R10), Z4          \
	VFMADD231PS Z0, Z3, Z26             \
	VFMADD231PS Z1, Z3, Z27             \
	VBROADCASTSS AOFF(R9)(R8*4), Z5     \
	VFMADD231PS Z0, Z4, Z28             \
	VFMADD231PS Z1, Z4, Z29             \
	VFMADD231PS Z0, Z5, Z30             \
	VFMADD231PS Z1, Z5, Z31

// ZD8X32_ADVANCE(BYTES) moves the three A row pointers BYTES along.
#define ZD8X32_ADVANCE(BYTES) \
	ADDQ $BYTES, SI \
	ADDQ $BYTES, R9 \
	ADDQ $BYTES, R10

// func SgemmDirect8x32AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmDirect8x32AVX512(SB), NOSPLIT, $0-112
	ZD8X32_START
	K_LOOPS(STEP4(ZDSTEP(0), ZDSTEP(4), ZDSTEP(8), ZDSTEP(12), ZD8X32_ADVANCE(16)), ZDSTEP(0) ZD8X32_ADVANCE(4))
	ZD8X32_END

// func SgemmDirectCopy8x32AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, src []float32, lds, rows int, dst []float32)
TEXT ·SgemmDirectCopy8x32AVX512(SB), NOSPLIT, $0-176
	ZD8X32_START
	COPY_ARGS
	K_LOOPS_COPY(STEP4_COPY2(ZDSTEP(0), ZDSTEP(4), ZDSTEP(8), ZDSTEP(12), COPYROW(Z6, Z7, 64), ZD8X32_ADVANCE(16)), STEP4(ZDSTEP(0), ZDSTEP(4), ZDSTEP(8), ZDSTEP(12), ZD8X32_ADVANCE(16)), ZDSTEP(0) ZD8X32_ADVANCE(4), COPYROW(Z6, Z7, 64))
	ZD8X32_END
