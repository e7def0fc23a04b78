// Macros shared by the small-product kernels (sgemm_small*_amd64.s, which take
// (k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int,
// rows, cols int, alpha, beta float32)) and the GEMV kernels (sgemv_*_amd64.s).

// ROW_OFFSETS_BASE(STRIDE, ROWS): DX = STRIDE in bytes, CX = (ROWS-1)·DX (the last
// row's offset), R8, R9, R10 = the offsets of rows 1, 2, 3 from row 0, not clamped.
#define ROW_OFFSETS_BASE(STRIDE, ROWS) \
	MOVQ STRIDE, DX \
	SHLQ $2, DX \
	MOVQ ROWS, CX \
	DECQ CX \
	IMULQ DX, CX \
	MOVQ DX, R8 \
	LEAQ (DX)(DX*1), R9 \
	LEAQ (DX)(DX*2), R10

// CLAMP_ROW(R) clamps offset R to the last row's (CX): fewer rows than a kernel's
// re-read the last one, whose results are never stored. Each offset is clamped on its
// own, not from the one before: no chain of CMOVs in front of the first load.
#define CLAMP_ROW(R) \
	CMPQ R, CX \
	CMOVQGT CX, R

// CLAMPED_OFFSETS4(STRIDE, ROWS): R8, R9, R10 = byte offsets of rows 1, 2, 3 from row
// 0 (STRIDE elements apart), clamped to the last of ROWS rows. Leaves DX = STRIDE in
// bytes, CX = (ROWS-1)·DX.
#define CLAMPED_OFFSETS4(STRIDE, ROWS) \
	ROW_OFFSETS_BASE(STRIDE, ROWS) \
	CLAMP_ROW(R8) \
	CLAMP_ROW(R9) \
	CLAMP_ROW(R10)

// CLAMPED_OFFSETS8(STRIDE, ROWS): as CLAMPED_OFFSETS4, plus R11, R12, R13, AX for rows
// 4..7 (computed from R9, R10 before those are clamped).
#define CLAMPED_OFFSETS8(STRIDE, ROWS) \
	ROW_OFFSETS_BASE(STRIDE, ROWS) \
	LEAQ (R9)(R9*1), R11 \
	LEAQ (DX)(DX*4), R12 \
	LEAQ (R10)(R10*1), R13 \
	LEAQ (R12)(DX*2), AX \
	CLAMP_ROW(R8) \
	CLAMP_ROW(R9) \
	CLAMP_ROW(R10) \
	CLAMP_ROW(R11) \
	CLAMP_ROW(R12) \
	CLAMP_ROW(R13) \
	CLAMP_ROW(AX)

// SMALL_ROW_OFFSETS4, SMALL_ROW_OFFSETS8: the clamped offsets of the rows of op(A).
#define SMALL_ROW_OFFSETS4 CLAMPED_OFFSETS4(rsA+32(FP), rows+112(FP))
#define SMALL_ROW_OFFSETS8 CLAMPED_OFFSETS8(rsA+32(FP), rows+112(FP))

// SMALL_LOOP_REGS: SI = a, DX = csA in bytes, BX = b, DI = ldb in bytes, CX = k.
#define SMALL_LOOP_REGS \
	MOVQ a_base+8(FP), SI \
	MOVQ csA+40(FP), DX \
	SHLQ $2, DX \
	MOVQ b_base+48(FP), BX \
	MOVQ ldb+72(FP), DI \
	SHLQ $2, DI \
	MOVQ k+0(FP), CX

// SMALL_STORE_REGS: SI = c, DX = ldc in bytes, CX = rows, BX = beta's bits without
// the sign (zero when beta = ±0).
#define SMALL_STORE_REGS \
	MOVQ c_base+80(FP), SI \
	MOVQ ldc+104(FP), DX \
	SHLQ $2, DX \
	MOVQ rows+112(FP), CX \
	MOVL beta+132(FP), BX \
	ANDL $0x7fffffff, BX

// SKIP_ALPHA_ONE(LABEL) jumps to LABEL when alpha = 1, past the scaling of the
// accumulators (alpha·acc = acc exactly: the result is the same bits). Clobbers AX.
#define SKIP_ALPHA_ONE(LABEL) \
	MOVL alpha+128(FP), AX \
	CMPL AX, $0x3f800000 \
	JEQ  LABEL

// SMALL_START8: the eight-row kernels' set-up: row offsets, loop registers, Z0..Z7
// cleared, and a jump to scale when k = 0.
#define SMALL_START8 \
	SMALL_ROW_OFFSETS8 \
	SMALL_LOOP_REGS \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7

// GEMV_ROW_REGS: the row kernels' (k int, x []float32, incx int, b []float32, ldb int,
// y []float32, cols int, alpha, beta float32) loop registers: SI = x, DX = incx in
// bytes, BX = b, DI = ldb in bytes, CX = k.
#define GEMV_ROW_REGS \
	MOVQ x_base+8(FP), SI \
	MOVQ incx+32(FP), DX \
	SHLQ $2, DX \
	MOVQ b_base+40(FP), BX \
	MOVQ ldb+64(FP), DI \
	SHLQ $2, DI \
	MOVQ k+0(FP), CX

// GEMV_DOT_START(OFFSETS): the dot kernels' (k int, a []float32, lda int, x, y
// []float32, incy, rows int, alpha, beta float32) set-up: OFFSETS (CLAMPED_OFFSETS4 or
// 8) the clamped offsets of the rows after row 0, SI = a, BX = x, CX = k.
#define GEMV_DOT_START(OFFSETS) \
	OFFSETS(lda+32(FP), rows+96(FP)) \
	MOVQ a_base+8(FP), SI \
	MOVQ x_base+40(FP), BX \
	MOVQ k+0(FP), CX

// GEMV_DOT_STORE_REGS: X13 = alpha, X14 = beta, BX = beta's bits without the sign,
// DI = y, DX = incy in bytes, CX = rows.
#define GEMV_DOT_STORE_REGS \
	VMOVSS alpha+104(FP), X13 \
	VMOVSS beta+108(FP), X14 \
	MOVL beta+108(FP), BX \
	ANDL $0x7fffffff, BX \
	MOVQ y_base+64(FP), DI \
	MOVQ incy+88(FP), DX \
	SHLQ $2, DX \
	MOVQ rows+96(FP), CX

// GEMV_DOT_FINISH(YACC, XACC, T): reduces the eight partial sums in YACC (XACC its low
// 128 bits) pairwise to one value, scales it by alpha, adds beta·y[i] if beta ≠ 0,
// stores it at (DI) and moves DI to the next y; jumps to done after the last row
// (registers of GEMV_DOT_STORE_REGS; T is a scratch XMM register).
#define GEMV_DOT_FINISH(YACC, XACC, T) \
	VEXTRACTF128 $1, YACC, T \
	VADDPS T, XACC, XACC \
	VMOVHLPS XACC, XACC, T \
	VADDPS T, XACC, XACC \
	VPSHUFD $1, XACC, T \
	VADDSS T, XACC, XACC \
	VMULSS X13, XACC, XACC \
	TESTL BX, BX \
	JZ    2(PC) \
	VFMADD231SS (DI), X14, XACC \
	VMOVSS XACC, (DI) \
	ADDQ  DX, DI \
	DECQ  CX \
	JZ    done

// SMALL_PREFETCH_C8(OFF): prefetches byte OFF of the eight rows of the C tile (rows
// past the last one included: a prefetch never faults). The stores at the end then
// find C's lines in L1 instead of stalling on them when C is not cached (a batch of
// fresh products). Clobbers CX, DX.
#define SMALL_PREFETCH_C8(OFF) \
	MOVQ c_base+80(FP), CX \
	MOVQ ldc+104(FP), DX \
	SHLQ $2, DX \
	PREFETCHT0 OFF(CX) \
	PREFETCHT0 OFF(CX)(DX*1) \
	PREFETCHT0 OFF(CX)(DX*2) \
	LEAQ (CX)(DX*2), CX \
	PREFETCHT0 OFF(CX)(DX*1) \
	PREFETCHT0 OFF(CX)(DX*2) \
	LEAQ (CX)(DX*2), CX \
	PREFETCHT0 OFF(CX)(DX*1) \
	PREFETCHT0 OFF(CX)(DX*2) \
	LEAQ (CX)(DX*2), CX \
	PREFETCHT0 OFF(CX)(DX*1)

// The eight-row blocks of the 16-wide kernels (sgemm_small8x16_avx512_amd64.s): row i
// of a block in accumulator Ai.

// ZERO8 clears eight accumulators.
#define ZERO8(A0, A1, A2, A3, A4, A5, A6, A7) \
	VPXORD A0, A0, A0 \
	VPXORD A1, A1, A1 \
	VPXORD A2, A2, A2 \
	VPXORD A3, A3, A3 \
	VPXORD A4, A4, A4 \
	VPXORD A5, A5, A5 \
	VPXORD A6, A6, A6 \
	VPXORD A7, A7, A7

// FMA8_BCST: one step of k for eight rows of op(A) at BASE (offsets R8..R13, AX) against
// row p of op(B) in Z16.
#define FMA8_BCST(BASE, A0, A1, A2, A3, A4, A5, A6, A7) \
	VFMADD231PS.BCST (BASE), Z16, A0 \
	VFMADD231PS.BCST (BASE)(R8*1), Z16, A1 \
	VFMADD231PS.BCST (BASE)(R9*1), Z16, A2 \
	VFMADD231PS.BCST (BASE)(R10*1), Z16, A3 \
	VFMADD231PS.BCST (BASE)(R11*1), Z16, A4 \
	VFMADD231PS.BCST (BASE)(R12*1), Z16, A5 \
	VFMADD231PS.BCST (BASE)(R13*1), Z16, A6 \
	VFMADD231PS.BCST (BASE)(AX*1), Z16, A7

// SCALE8 multiplies eight accumulators by Z17 (alpha).
#define SCALE8(A0, A1, A2, A3, A4, A5, A6, A7) \
	VMULPS Z17, A0, A0 \
	VMULPS Z17, A1, A1 \
	VMULPS Z17, A2, A2 \
	VMULPS Z17, A3, A3 \
	VMULPS Z17, A4, A4 \
	VMULPS Z17, A5, A5 \
	VMULPS Z17, A6, A6 \
	VMULPS Z17, A7, A7
