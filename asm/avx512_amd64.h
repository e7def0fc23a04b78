// Macros shared by the AVX-512 kernels of level1_amd64.s and vecmath_amd64.s.

// TAIL_MASK16: CX = remaining count r in 1..15 → K1 = the first r lanes of a ZMM
// register (masked loads and stores touch no memory in the other lanes).
// Clobbers AX.
#define TAIL_MASK16 \
	MOVL  $1, AX \
	SHLL  CX, AX \
	DECL  AX \
	KMOVW AX, K1
