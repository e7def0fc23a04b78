// Macros shared by the small-product kernels (sgemm_small*_amd64.s, which take
// (k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int,
// rows, cols int, alpha, beta float32)) and the GEMV kernels (sgemv_*_amd64.s).
//
// A macro that reads arguments takes their full name+offset(FP) operands, written
// at the call site inside the TEXT body, so go vet (asmdecl) checks every offset
// against the Go stub: it does not look inside macro bodies. vet takes the capital
// letters that begin such a call as its opcode and, when they end in a size letter
// (B, W, L, D, Q), checks every operand's size against it: such macros are named so
// that the first word does not end in one (STEP_REGS, TILE_FINISH, not SMALL_...),
// because their operands mix 8-byte ints and pointers with 4-byte floats.

// LAST_ROW(STRIDE, ROWS): DX = STRIDE in bytes, CX = (ROWS-1)·DX, the last row's
// offset from row 0.
#define LAST_ROW(STRIDE, ROWS) \
	MOVQ STRIDE, DX \
	SHLQ $2, DX \
	MOVQ ROWS, CX \
	DECQ CX \
	IMULQ DX, CX

// OFFSETS3: R8, R9, R10 = 1, 2, 3 times DX (the offsets of rows 1..3 from row 0).
#define OFFSETS3 \
	MOVQ DX, R8 \
	LEAQ (DX)(DX*1), R9 \
	LEAQ (DX)(DX*2), R10

// OFFSETS7: OFFSETS3, plus R11, R12, R13, AX = 4..7 times DX.
#define OFFSETS7 \
	OFFSETS3 \
	LEAQ (R9)(R9*1), R11 \
	LEAQ (DX)(DX*4), R12 \
	LEAQ (R10)(R10*1), R13 \
	LEAQ (R12)(DX*2), AX

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
	LAST_ROW(STRIDE, ROWS) \
	OFFSETS3 \
	CLAMP_ROW(R8) \
	CLAMP_ROW(R9) \
	CLAMP_ROW(R10)

// CLAMPED_OFFSETS8(STRIDE, ROWS): as CLAMPED_OFFSETS4, plus R11, R12, R13, AX for rows
// 4..7.
#define CLAMPED_OFFSETS8(STRIDE, ROWS) \
	LAST_ROW(STRIDE, ROWS) \
	OFFSETS7 \
	CLAMP_ROW(R8) \
	CLAMP_ROW(R9) \
	CLAMP_ROW(R10) \
	CLAMP_ROW(R11) \
	CLAMP_ROW(R12) \
	CLAMP_ROW(R13) \
	CLAMP_ROW(AX)

// STEP_REGS(K, A, INC, B, LD): the registers of a loop over K steps that broadcasts
// from A and loads rows of B: SI = A, DX = INC in bytes, BX = B, DI = LD in bytes,
// CX = K. The tile kernels pass k, a, csA, b, ldb; the row kernels (k int, x
// []float32, incx int, b []float32, ldb int, y []float32, cols int, alpha, beta
// float32) pass k, x, incx, b, ldb.
#define STEP_REGS(K, A, INC, B, LD) \
	MOVQ A, SI \
	MOVQ INC, DX \
	SHLQ $2, DX \
	MOVQ B, BX \
	MOVQ LD, DI \
	SHLQ $2, DI \
	MOVQ K, CX

// STEP_NEXT: the end of a step of k in STEP_REGS' registers: op(A) and B one step on,
// back to loop while steps are left.
#define STEP_NEXT \
	ADDQ DX, SI \
	ADDQ DI, BX \
	DECQ CX \
	JNZ  loop

// TILE_STORE_REGS(C, LDC, ROWS, BETA): SI = C, DX = LDC in bytes, CX = ROWS, BX =
// BETA's bits without the sign (zero when beta = ±0).
#define TILE_STORE_REGS(C, LDC, ROWS, BETA) \
	MOVQ C, SI \
	MOVQ LDC, DX \
	SHLQ $2, DX \
	MOVQ ROWS, CX \
	MOVL BETA, BX \
	ANDL $0x7fffffff, BX

// The stores of the tile and row kernels. LOAD and STORE are the masked moves of the
// width (VMOVUPS.Z and VMOVUPS under an opmask, VMASKMOVPS under a vector mask: the
// same operand order), SI the destination, BX ≠ 0 when beta ≠ 0, BETA the broadcast
// beta, T scratch.

// STORE1_BETA writes ACC to OFF(SI) under mask M; with beta ≠ 0 it first adds beta·C.
#define STORE1_BETA(LOAD, STORE, M, T, BETA, ACC, OFF) \
	TESTL BX, BX \
	JZ    3(PC) \
	LOAD OFF(SI), M, T \
	VFMADD231PS T, BETA, ACC \
	STORE ACC, M, OFF(SI)

// STORE2_BETA writes LO to (SI) under M0 and HI to HIOFF(SI) under M1, as STORE1_BETA.
#define STORE2_BETA(LOAD, STORE, M0, M1, T0, T1, BETA, LO, HI, HIOFF) \
	TESTL BX, BX \
	JZ    5(PC) \
	LOAD (SI), M0, T0 \
	LOAD HIOFF(SI), M1, T1 \
	VFMADD231PS T0, BETA, LO \
	VFMADD231PS T1, BETA, HI \
	STORE LO, M0, (SI) \
	STORE HI, M1, HIOFF(SI)

// NEXT_ROW moves SI to C's next row (DX = ldc in bytes) and jumps to done after the
// last (CX rows left).
#define NEXT_ROW \
	ADDQ DX, SI \
	DECQ CX \
	JZ   done

// LANE_MASK(N, R): R = the address of the VMASKMOVPS masks of the first N ≤ 32 lanes
// (up to 32 words from R, in ·smallLaneMask). Clobbers N.
#define LANE_MASK(N, R) \
	LEAQ ·smallLaneMask+128(SB), R \
	SHLQ $2, N \
	SUBQ N, R

// SKIP_ALPHA_ONE(ALPHA, LABEL) jumps to LABEL when the float32 argument ALPHA = 1,
// past the scaling of the accumulators (alpha·acc = acc exactly: the result is the
// same bits). Clobbers AX.
#define SKIP_ALPHA_ONE(ALPHA, LABEL) \
	MOVL ALPHA, AX \
	CMPL AX, $0x3f800000 \
	JEQ  LABEL

// TILE_START8(K, A, RSA, CSA, B, LDB, ROWS): the eight-row tile kernels' set-up from
// their arguments k, a, rsA, csA, b, ldb and rows: the clamped row offsets
// (CLAMPED_OFFSETS8), the loop registers (STEP_REGS), Z0..Z7 cleared.
#define TILE_START8(K, A, RSA, CSA, B, LDB, ROWS) \
	CLAMPED_OFFSETS8(RSA, ROWS) \
	STEP_REGS(K, A, CSA, B, LDB) \
	ZERO8(VPXORD, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

// GEMV_ROW_SCALE(ALPHA, A0, A1, A2, A3, BETA, ALPHA_ARG, BETA_ARG, Y): the row
// kernels' four accumulators times ALPHA_ARG (broadcast into ALPHA), BETA = BETA_ARG
// broadcast, SI = Y, BX = beta's bits without the sign.
#define GEMV_ROW_SCALE(ALPHA, A0, A1, A2, A3, BETA, ALPHA_ARG, BETA_ARG, Y) \
	VBROADCASTSS ALPHA_ARG, ALPHA \
	VMULPS ALPHA, A0, A0 \
	VMULPS ALPHA, A1, A1 \
	VMULPS ALPHA, A2, A2 \
	VMULPS ALPHA, A3, A3 \
	VBROADCASTSS BETA_ARG, BETA \
	MOVQ Y, SI \
	MOVL BETA_ARG, BX \
	ANDL $0x7fffffff, BX

// GEMV_ROW_FINISH(LOAD, STORE, W, T, ALPHA, BETA, M0, M1, M2, M3, A0, A1, A2, A3,
// ALPHA_ARG, BETA_ARG, Y): the end of a row kernel: GEMV_ROW_SCALE, then each
// accumulator Ai written to y's group i of W bytes under mask Mi (STORE1_BETA, T
// scratch).
#define GEMV_ROW_FINISH(LOAD, STORE, W, T, ALPHA, BETA, M0, M1, M2, M3, A0, A1, A2, A3, ALPHA_ARG, BETA_ARG, Y) \
scale: \
	GEMV_ROW_SCALE(ALPHA, A0, A1, A2, A3, BETA, ALPHA_ARG, BETA_ARG, Y) \
	STORE1_BETA(LOAD, STORE, M0, T, BETA, A0, 0) \
	STORE1_BETA(LOAD, STORE, M1, T, BETA, A1, W) \
	STORE1_BETA(LOAD, STORE, M2, T, BETA, A2, (2*W)) \
	STORE1_BETA(LOAD, STORE, M3, T, BETA, A3, (3*W)) \
	VZEROUPPER \
	RET

// GEMV_ROW_STEP(LOAD, W, X, M0, M1, M2, M3, T0, T1, T2, T3, A0, A1, A2, A3): one step
// of a row kernel: x[p] broadcast into X, the four groups of W bytes of B's row p
// loaded (LOAD, masks M0..M3) into T0..T3 and added times X into A0..A3.
#define GEMV_ROW_STEP(LOAD, W, X, M0, M1, M2, M3, T0, T1, T2, T3, A0, A1, A2, A3) \
	VBROADCASTSS (SI), X \
	LOAD (BX), M0, T0 \
	LOAD W(BX), M1, T1 \
	LOAD (2*W)(BX), M2, T2 \
	LOAD (3*W)(BX), M3, T3 \
	VFMADD231PS T0, X, A0 \
	VFMADD231PS T1, X, A1 \
	VFMADD231PS T2, X, A2 \
	VFMADD231PS T3, X, A3

// DOT_NEXT(BYTES, LANES): the end of a step of the dot kernels: A's rows and x BYTES
// on, back to loop while a whole step of LANES columns is left.
#define DOT_NEXT(BYTES, LANES) \
	ADDQ $BYTES, SI \
	ADDQ $BYTES, BX \
	SUBQ $LANES, CX \
	CMPQ CX, $LANES \
	JGE  loop

// GEMV_DOT_START(OFFSETS, K, A, LDA, X, ROWS): the dot kernels' (k int, a []float32,
// lda int, x, y []float32, incy, rows int, alpha, beta float32) set-up: OFFSETS
// (CLAMPED_OFFSETS4 or 8) the clamped offsets of the rows after row 0, SI = A, BX =
// X, CX = K.
#define GEMV_DOT_START(OFFSETS, K, A, LDA, X, ROWS) \
	OFFSETS(LDA, ROWS) \
	MOVQ A, SI \
	MOVQ X, BX \
	MOVQ K, CX

// GEMV_DOT_STORE_REGS(ALPHA, BETA, Y, INCY, ROWS): X13 = ALPHA, X14 = BETA, BX =
// beta's bits without the sign, DI = Y, DX = INCY in bytes, CX = ROWS.
#define GEMV_DOT_STORE_REGS(ALPHA, BETA, Y, INCY, ROWS) \
	VMOVSS ALPHA, X13 \
	VMOVSS BETA, X14 \
	MOVL BETA, BX \
	ANDL $0x7fffffff, BX \
	MOVQ Y, DI \
	MOVQ INCY, DX \
	SHLQ $2, DX \
	MOVQ ROWS, CX

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

// PREFETCH_C8(C, LDC, OFF): prefetches byte OFF of the eight rows of the C tile at C,
// LDC elements apart (rows past the last one included: a prefetch never faults). The
// stores at the end then find C's lines in L1 instead of stalling on them when C is
// not cached (a batch of fresh products). Clobbers CX, DX.
#define PREFETCH_C8(C, LDC, OFF) \
	MOVQ C, CX \
	MOVQ LDC, DX \
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

// ZERO4, ZERO8 clear accumulators with XOR (VXORPS for YMM, VPXORD for ZMM:
// AVX-512F has no VXORPS on ZMM).
#define ZERO4(XOR, A0, A1, A2, A3) \
	XOR A0, A0, A0 \
	XOR A1, A1, A1 \
	XOR A2, A2, A2 \
	XOR A3, A3, A3

#define ZERO8(XOR, A0, A1, A2, A3, A4, A5, A6, A7) \
	ZERO4(XOR, A0, A1, A2, A3) \
	ZERO4(XOR, A4, A5, A6, A7)

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

// SCALE8 multiplies eight accumulators by ALPHA.
#define SCALE8(ALPHA, A0, A1, A2, A3, A4, A5, A6, A7) \
	VMULPS ALPHA, A0, A0 \
	VMULPS ALPHA, A1, A1 \
	VMULPS ALPHA, A2, A2 \
	VMULPS ALPHA, A3, A3 \
	VMULPS ALPHA, A4, A4 \
	VMULPS ALPHA, A5, A5 \
	VMULPS ALPHA, A6, A6 \
	VMULPS ALPHA, A7, A7

// TILE_FINISH(ALPHA, BETA, SCALE, STORE, ALPHA_ARG, BETA_ARG, C, LDC, ROWS): the end
// of a tile kernel. scale: the accumulators times ALPHA_ARG (broadcast into ALPHA) by
// the macro SCALE, unless alpha = 1; store: BETA = BETA_ARG broadcast,
// TILE_STORE_REGS(C, LDC, ROWS, BETA_ARG), and the macro STORE, which writes the rows
// and jumps to done after the last; done: return.
#define TILE_FINISH(ALPHA, BETA, SCALE, STORE, ALPHA_ARG, BETA_ARG, C, LDC, ROWS) \
scale: \
	SKIP_ALPHA_ONE(ALPHA_ARG, store) \
	VBROADCASTSS ALPHA_ARG, ALPHA \
	SCALE \
store: \
	VBROADCASTSS BETA_ARG, BETA \
	TILE_STORE_REGS(C, LDC, ROWS, BETA_ARG) \
	STORE \
done: \
	VZEROUPPER \
	RET

// COLS_MASK_K1(COLS): K1 = the first COLS lanes (COLS ≤ 16), DX = the mask's bits
// (for K2 above them), CX = COLS.
#define COLS_MASK_K1(COLS) \
	MOVQ  COLS, CX \
	MOVL  $-1, DX \
	BZHIL CX, DX, DX \
	KMOVW DX, K1

// The prefetches of the panel kernels (SgemmSmallPanel*: the next product's lines).

// PREFETCH8_ROWS(HINT, P): the lines at P of eight rows, at offsets 0, R8..R13, AX.
#define PREFETCH8_ROWS(HINT, P) \
	HINT (P) \
	HINT (P)(R8*1) \
	HINT (P)(R9*1) \
	HINT (P)(R10*1) \
	HINT (P)(R11*1) \
	HINT (P)(R12*1) \
	HINT (P)(R13*1) \
	HINT (P)(AX*1)

// PREFETCH_ROW(HINT, P, LD): the two lines at P, then P moves LD bytes on.
#define PREFETCH_ROW(HINT, P, LD) \
	HINT (P) \
	HINT 64(P) \
	ADDQ LD, P

// PREFETCH_ROWS4, PREFETCH_ROWS8(HINT, P, LD): the two lines at P of four or eight
// rows LD bytes apart. Clobber P.
#define PREFETCH_ROWS4(HINT, P, LD) \
	PREFETCH_ROW(HINT, P, LD) \
	PREFETCH_ROW(HINT, P, LD) \
	PREFETCH_ROW(HINT, P, LD) \
	PREFETCH_ROW(HINT, P, LD)
#define PREFETCH_ROWS8(HINT, P, LD) \
	PREFETCH_ROWS4(HINT, P, LD) \
	PREFETCH_ROWS4(HINT, P, LD)


// START_PANEL(SHIFT, K, A, LDA, ROWS, ALPHA, BETA, NEXTA): the set-up of the panel
// kernels' (k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int,
// rows int, alpha, beta float32, nextA, nextB, nextC int), whose tiles are 1<<SHIFT
// rows: tiles-8(SP) = the tiles (done if none), DX = lda in bytes, R8..R13, AX =
// 1..7 times DX, astep-16(SP) = SI's move from a tile's last step to the next tile,
// SI = a, R15 = the next product's A, Z19 = alpha, Z18 = beta. Clobbers BX, CX.
#define START_PANEL(SHIFT, K, A, LDA, ROWS, ALPHA, BETA, NEXTA) \
	MOVQ ROWS, CX \
	SHRQ $SHIFT, CX \
	JZ   done \
	MOVQ CX, tiles-8(SP) \
	MOVQ LDA, DX \
	SHLQ $2, DX \
	OFFSETS7 \
	MOVQ DX, CX \
	SHLQ $SHIFT, CX \
	MOVQ K, BX \
	SHLQ $2, BX \
	SUBQ BX, CX \
	MOVQ CX, astep-16(SP) \
	MOVQ A, SI \
	MOVQ NEXTA, R15 \
	LEAQ (SI)(R15*4), R15 \
	VBROADCASTSS ALPHA, Z19 \
	VBROADCASTSS BETA, Z18

// STORE_PANEL_REGS(LDC, BETA): CX = LDC in bytes, BX = BETA's bits without the sign
// (zero when beta = ±0), for the panel kernels' stores.
#define STORE_PANEL_REGS(LDC, BETA) \
	MOVQ LDC, CX \
	SHLQ $2, CX \
	MOVL BETA, BX \
	ANDL $0x7fffffff, BX

// PANEL_END(MORE): the end of a panel kernel's tile: SI, R15 and what MORE moves (by CX)
// on to the next tile, back to tile while tiles are left; done: return.
#define PANEL_END(MORE) \
	MOVQ astep-16(SP), CX \
	ADDQ CX, SI \
	ADDQ CX, R15 \
	MORE \
	DECQ tiles-8(SP) \
	JNZ  tile \
done: \
	VZEROUPPER \
	RET
