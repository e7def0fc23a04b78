// Macros shared by the GEMM micro-kernels (sgemm_amd64.s) and the panel packers
// (pack_amd64.s).

// ROWS6(BASE) sets R9..R13 to rows 1..5 of a matrix whose row 0 is at BASE, R8 being
// the row stride in bytes: R9 = BASE+R8, R10 = BASE+2·R8, R11 = BASE+3·R8,
// R12 = BASE+4·R8, R13 = BASE+5·R8.
#define ROWS6(BASE) \
	LEAQ (BASE)(R8*1), R9 \
	LEAQ (BASE)(R8*2), R10 \
	LEAQ (R9)(R8*2), R11 \
	LEAQ (BASE)(R8*4), R12 \
	LEAQ (R9)(R8*4), R13
