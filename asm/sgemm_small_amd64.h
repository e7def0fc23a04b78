// Macros shared by the small-product kernels (sgemm_small_*_amd64.s), which all take
// (k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int,
// rows, cols int, alpha, beta float32).

// SMALL_ROW_OFFSETS4: R8, R9, R10 = byte offsets of rows 1, 2, 3 of op(A) from row 0,
// clamped to the last row (rows < 4 re-reads it; its results are never stored).
// Clobbers CX, DX.
#define SMALL_ROW_OFFSETS4 \
	MOVQ rsA+32(FP), DX \
	SHLQ $2, DX \
	MOVQ rows+112(FP), CX \
	XORQ R8, R8 \
	CMPQ CX, $1 \
	CMOVQGT DX, R8 \
	LEAQ (R8)(DX*1), R9 \
	CMPQ CX, $2 \
	CMOVQLE R8, R9 \
	LEAQ (R9)(DX*1), R10 \
	CMPQ CX, $3 \
	CMOVQLE R9, R10

// SMALL_ROW_OFFSETS8: as SMALL_ROW_OFFSETS4, plus R11, R12, R13, AX for rows 4..7.
#define SMALL_ROW_OFFSETS8 \
	SMALL_ROW_OFFSETS4 \
	LEAQ (R10)(DX*1), R11 \
	CMPQ CX, $4 \
	CMOVQLE R10, R11 \
	LEAQ (R11)(DX*1), R12 \
	CMPQ CX, $5 \
	CMOVQLE R11, R12 \
	LEAQ (R12)(DX*1), R13 \
	CMPQ CX, $6 \
	CMOVQLE R12, R13 \
	LEAQ (R13)(DX*1), AX \
	CMPQ CX, $7 \
	CMOVQLE R13, AX

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
