//go:build !purego

#include "textflag.h"
#include "gemm_amd64.h"

// Register use of SgemmKernel6x16AVX2:
//	AX  packed A (6 floats per step of k)    BX  packed B (16 floats per step)
//	CX  steps left                           DI, R9..R13  the six rows of C
//	Y0, Y1  one row of B                     Y2, Y3  broadcasts of A
//	Y4..Y15 the accumulators: row i in Y(4+2i) (columns 0-7) and Y(5+2i) (8-15).

// FMA2(B0, B1, T, LO, HI) is one row of a rank-1 update: LO += B0·T, HI += B1·T
// (B0, B1 the row of B, T the broadcast element of A's column).
#define FMA2(B0, B1, T, LO, HI) \
	VFMADD231PS B0, T, LO \
	VFMADD231PS B1, T, HI

// YROW(ADDR, T, LO, HI) is one row of the 6×16 tile's rank-1 update: T ← the float at
// ADDR broadcast, then FMA2 with B's row in Y0, Y1.
#define YROW(ADDR, T, LO, HI) \
	VBROADCASTSS ADDR, T \
	FMA2(Y0, Y1, T, LO, HI)

// ZROW(ADDR, NEXT, CUR, LO, HI) is one row of the 8×32 tile's rank-1 update, software
// pipelined: NEXT ← the float at ADDR broadcast (for the next row), then FMA2 of the
// row broadcast earlier into CUR with B's row in Z0, Z1.
#define ZROW(ADDR, NEXT, CUR, LO, HI) \
	VBROADCASTSS ADDR, NEXT \
	FMA2(Z0, Z1, CUR, LO, HI)

// KSTEP is one step of k: the rank-1 update of the tile by column AOFF/4 of A and
// row BOFF/64 of B (byte offsets from AX and BX).
#define KSTEP(AOFF, BOFF) \
	VMOVUPS BOFF(BX), Y0                \
	VMOVUPS (BOFF+32)(BX), Y1           \
	YROW(AOFF(AX), Y2, Y4, Y5)          \
	YROW((AOFF+4)(AX), Y3, Y6, Y7)      \
	YROW((AOFF+8)(AX), Y2, Y8, Y9)      \
	YROW((AOFF+12)(AX), Y3, Y10, Y11)   \
	YROW((AOFF+16)(AX), Y2, Y12, Y13)   \
	YROW((AOFF+20)(AX), Y3, Y14, Y15)

// STORE0(ROW, LO, HI, W, BETA) writes alpha·acc (already scaled) to one row of C: LO
// at ROW, HI W bytes on (BETA unused: it has the signature of STOREBETA).
#define STORE0(ROW, LO, HI, W, BETA) \
	VMOVUPS LO, (ROW)    \
	VMOVUPS HI, W(ROW)

// STOREBETA(ROW, LO, HI, W, BETA) writes fma(beta, C, alpha·acc) to one row of C;
// BETA holds beta.
#define STOREBETA(ROW, LO, HI, W, BETA) \
	VFMADD231PS (ROW), BETA, LO   \
	VFMADD231PS W(ROW), BETA, HI  \
	STORE0(ROW, LO, HI, W, BETA)

// TILE6(STORE, W, BETA, A0, …, A11) applies STORE (STORE0 or STOREBETA) to the six
// rows DI, R9..R13 of a C tile whose row i is in A(2i), A(2i+1).
#define TILE6(STORE, W, BETA, A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11) \
	STORE(DI, A0, A1, W, BETA)    \
	STORE(R9, A2, A3, W, BETA)    \
	STORE(R10, A4, A5, W, BETA)   \
	STORE(R11, A6, A7, W, BETA)   \
	STORE(R12, A8, A9, W, BETA)   \
	STORE(R13, A10, A11, W, BETA)

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

// YTILE(STORE, BETA) stores the 6×16 tile's six rows with STORE.
#define YTILE(STORE, BETA) TILE6(STORE, 32, BETA, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)

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

// COPY_ARGS(SRC, LDS, ROWS, DST) loads the copy arguments of the direct-copy kernels
// (their name+off(FP) operands, passed by each TEXT so that go vet checks them): R11 =
// src, R12 = lds in bytes, R14 = rows, R13 = dst.
#define COPY_ARGS(SRC, LDS, ROWS, DST) \
	MOVQ SRC, R11  \
	MOVQ LDS, R12  \
	SHLQ $2, R12   \
	MOVQ ROWS, R14 \
	MOVQ DST, R13

// DIRECT_ARGS(K, A, LDA, B, LDB) loads the operands every direct kernel shares,
// before its START (the call passes the name+off(FP) operands, which go vet checks):
// CX = k, SI = a, BX = b, R8 = lda and DX = ldb in bytes.
#define DIRECT_ARGS(K, A, LDA, B, LDB) \
	MOVQ K, CX   \
	MOVQ A, SI   \
	MOVQ LDA, R8 \
	MOVQ B, BX   \
	MOVQ LDB, DX \
	SHLQ $2, R8  \
	SHLQ $2, DX

// D6X16_START: after DIRECT_ARGS, R9 row 1 of A; the accumulators cleared.
#define D6X16_START \
	LEAQ (SI)(R8*1), R9 \
	YZERO

// ZD8X32_START: after DIRECT_ARGS, R9 and R10 rows 3 and 6 of A; the accumulators
// cleared.
#define ZD8X32_START \
	LEAQ (R8)(R8*2), R10     \
	LEAQ (SI)(R10*1), R9     \
	LEAQ (R9)(R10*1), R10    \
	ZZERO

// DIRECT_END(ROWS, A, B, SCALE, TILE, C, LDC, ALPHA, BETA) stores a direct kernel's
// tile: C's rows from c and ldc (ROWS), then TILE_END; C, LDC, ALPHA and BETA are the
// name+off(FP) operands, passed by each TEXT so that go vet checks them.
#define DIRECT_END(ROWS, A, B, SCALE, TILE, C, LDC, ALPHA, BETA) \
	MOVQ C, DI   \
	MOVQ LDC, R8 \
	SHLQ $2, R8  \
	ROWS         \
	TILE_END(ALPHA, BETA, A, B, SCALE, TILE)

// DIRECT(START, STEP, ADVANCE, END) is the body of a direct kernel: START, the k loop
// of STEP (one step of k at A column offset AOFF, B row at BX) with ADVANCE(bytes)
// moving the A row pointers, then END.
#define DIRECT(START, STEP, ADVANCE, END) \
	START \
	K_LOOPS(STEP4(STEP(0), STEP(4), STEP(8), STEP(12), ADVANCE(16)), STEP(0) ADVANCE(4)) \
	END

// DIRECT_COPY(START, ARGS, STEP, ADVANCE, COPY, END) is DIRECT that also copies the
// next B panel, one row at a time by COPY (K_LOOPS_COPY), after ARGS (COPY_ARGS).
#define DIRECT_COPY(START, ARGS, STEP, ADVANCE, COPY, END) \
	START \
	ARGS  \
	K_LOOPS_COPY(STEP4_COPY2(STEP(0), STEP(4), STEP(8), STEP(12), COPY, ADVANCE(16)), STEP4(STEP(0), STEP(4), STEP(8), STEP(12), ADVANCE(16)), STEP(0) ADVANCE(4), COPY) \
	END

// TILE_END(alpha, beta, A, B, SCALE, TILE) ends every micro-kernel in this file: the
// accumulators times alpha (broadcast into A; skipped when alpha = 1, which gives the
// same bits and saves 12 or 16 multiplies per tile), then the tile is stored by
// TILE(STORE, B). beta = ±0 ignores C (NaN included); any other beta, NaN too, reads
// it (broadcast into B).
#define TILE_END(alpha, beta, A, B, SCALE, TILE) \
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
	TILE(STOREBETA, B)    \
	VZEROUPPER            \
	RET                   \
store_beta0:              \
	TILE(STORE0, B)       \
	VZEROUPPER            \
	RET

// PACKED_STEP4(STEP, AW, BW, PF) is four steps of k of a packed kernel: STEP(AOFF,
// BOFF) one step, AW and BW the bytes of A and B a step; the A panel streams from L2
// and is fetched PF bytes ahead.
#define PACKED_STEP4(STEP, AW, BW, PF) \
	PREFETCHT0 PF(AX)          \
	STEP(0, 0)                 \
	STEP(AW, BW)               \
	PREFETCHT0 (PF+64)(AX)     \
	STEP((2*AW), (2*BW))       \
	STEP((3*AW), (3*BW))       \
	ADDQ $(4*AW), AX           \
	ADDQ $(4*BW), BX

// PACKED_STEP1(STEP, AW, BW) is one step of k of a packed kernel.
#define PACKED_STEP1(STEP, AW, BW) \
	STEP(0, 0)  \
	ADDQ $AW, AX \
	ADDQ $BW, BX

// PACKED_ARGS(K, A, B, C, LDC) loads the operands of the packed kernels (their
// common signature; the call passes the name+off(FP) operands, which go vet checks):
// CX = k, AX = a, BX = b, DI = c, R8 = ldc in bytes.
#define PACKED_ARGS(K, A, B, C, LDC) \
	MOVQ K, CX   \
	MOVQ A, AX   \
	MOVQ B, BX   \
	MOVQ C, DI   \
	MOVQ LDC, R8 \
	SHLQ $2, R8

// func SgemmKernel6x16AVX2(k int, a, b, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmKernel6x16AVX2(SB), NOSPLIT, $0-96
	PACKED_ARGS(k+0(FP), a_base+8(FP), b_base+32(FP), c_base+56(FP), ldc+80(FP))
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

	K_LOOPS(PACKED_STEP4(KSTEP, 24, 64, 384), PACKED_STEP1(KSTEP, 24, 64))
	TILE_END(alpha+88(FP), beta+92(FP), Y0, Y1, YSCALE, YTILE)

// DSTEP is one step of k of the direct kernel: B row at BX (then BX += DX), A column
// AOFF bytes into the six rows SI, R9, SI+2·R8, R9+2·R8, SI+4·R8, R9+4·R8.
#define DSTEP(AOFF) \
	VMOVUPS (BX), Y0                      \
	VMOVUPS 32(BX), Y1                    \
	ADDQ DX, BX                           \
	YROW(AOFF(SI), Y2, Y4, Y5)            \
	YROW(AOFF(R9), Y3, Y6, Y7)            \
	YROW(AOFF(SI)(R8*2), Y2, Y8, Y9)      \
	YROW(AOFF(R9)(R8*2), Y3, Y10, Y11)    \
	YROW(AOFF(SI)(R8*4), Y2, Y12, Y13)    \
	YROW(AOFF(R9)(R8*4), Y3, Y14, Y15)

// D6X16_ADVANCE(BYTES) moves the two A row pointers BYTES along.
#define D6X16_ADVANCE(BYTES) \
	ADDQ $BYTES, SI \
	ADDQ $BYTES, R9

// func SgemmDirect6x16AVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmDirect6x16AVX2(SB), NOSPLIT, $0-112
	DIRECT_ARGS(k+0(FP), a_base+8(FP), lda+32(FP), b_base+40(FP), ldb+64(FP))
	DIRECT(D6X16_START, DSTEP, D6X16_ADVANCE, DIRECT_END(YROWS, Y0, Y1, YSCALE, YTILE, c_base+72(FP), ldc+96(FP), alpha+104(FP), beta+108(FP)))

// func SgemmDirectCopy6x16AVX2(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, src []float32, lds, rows int, dst []float32)
TEXT ·SgemmDirectCopy6x16AVX2(SB), NOSPLIT, $0-176
	DIRECT_ARGS(k+0(FP), a_base+8(FP), lda+32(FP), b_base+40(FP), ldb+64(FP))
	DIRECT_COPY(D6X16_START, COPY_ARGS(src_base+112(FP), lds+136(FP), rows+144(FP), dst_base+152(FP)), DSTEP, D6X16_ADVANCE, COPYROW(Y2, Y3, 32), DIRECT_END(YROWS, Y0, Y1, YSCALE, YTILE, c_base+72(FP), ldc+96(FP), alpha+104(FP), beta+108(FP)))

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
	VMOVUPS BOFF(BX), Z0                     \
	VMOVUPS (BOFF+64)(BX), Z1                \
	VBROADCASTSS AOFF(AX), Z2                \
	ZROW((AOFF+4)(AX), Z3, Z2, Z16, Z17)     \
	ZROW((AOFF+8)(AX), Z4, Z3, Z18, Z19)     \
	ZROW((AOFF+12)(AX), Z5, Z4, Z20, Z21)    \
	ZROW((AOFF+16)(AX), Z2, Z5, Z22, Z23)    \
	ZROW((AOFF+20)(AX), Z3, Z2, Z24, Z25)    \
	ZROW((AOFF+24)(AX), Z4, Z3, Z26, Z27)    \
	ZROW((AOFF+28)(AX), Z5, Z4, Z28, Z29)    \
	FMA2(Z0, Z1, Z5, Z30, Z31)

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

// ZTILE(STORE, BETA) stores the 8×32 tile's eight rows with STORE: TILE6, then rows
// 6 and 7 at R14 and SI.
#define ZTILE(STORE, BETA) \
	TILE6(STORE, 64, BETA, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27) \
	STORE(R14, Z28, Z29, 64, BETA) \
	STORE(SI, Z30, Z31, 64, BETA)

// func SgemmKernel8x32AVX512(k int, a, b, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmKernel8x32AVX512(SB), NOSPLIT, $0-96
	PACKED_ARGS(k+0(FP), a_base+8(FP), b_base+32(FP), c_base+56(FP), ldc+80(FP))
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

	// The A panel is fetched 512 bytes (16 steps) ahead.
	K_LOOPS(PACKED_STEP4(ZSTEP, 32, 128, 512), PACKED_STEP1(ZSTEP, 32, 128))
	TILE_END(alpha+88(FP), beta+92(FP), Z0, Z1, ZSCALE, ZTILE)

// ZDSTEP is one step of k of the direct kernel: B row at BX (then BX += DX), A column
// AOFF bytes into the eight rows SI, SI+R8, SI+2·R8, R9, SI+4·R8, R9+2·R8, R10,
// R9+4·R8 (R9 = SI+3·R8, R10 = SI+6·R8).
#define ZDSTEP(AOFF) \
	VMOVUPS (BX), Z0                            \
	VMOVUPS 64(BX), Z1                          \
	ADDQ DX, BX                                 \
	VBROADCASTSS AOFF(SI), Z2                   \
	ZROW(AOFF(SI)(R8*1), Z3, Z2, Z16, Z17)      \
	ZROW(AOFF(SI)(R8*2), Z4, Z3, Z18, Z19)      \
	ZROW(AOFF(R9), Z5, Z4, Z20, Z21)            \
	ZROW(AOFF(SI)(R8*4), Z2, Z5, Z22, Z23)      \
	ZROW(AOFF(R9)(R8*2), Z3, Z2, Z24, Z25)      \
	ZROW(AOFF(R10), Z4, Z3, Z26, Z27)           \
	ZROW(AOFF(R9)(R8*4), Z5, Z4, Z28, Z29)      \
	FMA2(Z0, Z1, Z5, Z30, Z31)

// ZD8X32_ADVANCE(BYTES) moves the three A row pointers BYTES along.
#define ZD8X32_ADVANCE(BYTES) \
	ADDQ $BYTES, SI \
	ADDQ $BYTES, R9 \
	ADDQ $BYTES, R10

// func SgemmDirect8x32AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
TEXT ·SgemmDirect8x32AVX512(SB), NOSPLIT, $0-112
	DIRECT_ARGS(k+0(FP), a_base+8(FP), lda+32(FP), b_base+40(FP), ldb+64(FP))
	DIRECT(ZD8X32_START, ZDSTEP, ZD8X32_ADVANCE, DIRECT_END(ZROWS, Z0, Z1, ZSCALE, ZTILE, c_base+72(FP), ldc+96(FP), alpha+104(FP), beta+108(FP)))

// func SgemmDirectCopy8x32AVX512(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, src []float32, lds, rows int, dst []float32)
TEXT ·SgemmDirectCopy8x32AVX512(SB), NOSPLIT, $0-176
	DIRECT_ARGS(k+0(FP), a_base+8(FP), lda+32(FP), b_base+40(FP), ldb+64(FP))
	DIRECT_COPY(ZD8X32_START, COPY_ARGS(src_base+112(FP), lds+136(FP), rows+144(FP), dst_base+152(FP)), ZDSTEP, ZD8X32_ADVANCE, COPYROW(Z6, Z7, 64), DIRECT_END(ZROWS, Z0, Z1, ZSCALE, ZTILE, c_base+72(FP), ldc+96(FP), alpha+104(FP), beta+108(FP)))
