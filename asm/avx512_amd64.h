// Macros shared by the AVX-512 kernels of level1_amd64.s, vecmath_amd64.s,
// adamw_amd64.s, layernorm_amd64.s and decode_amd64.s.

// TAIL_MASK16: CX = remaining count r in 1..15 → K1 = the first r lanes of a ZMM
// register (masked loads and stores touch no memory in the other lanes).
// Clobbers AX.
#define TAIL_MASK16 \
	MOVL  $1, AX \
	SHLL  CX, AX \
	DECL  AX \
	KMOVW AX, K1

// L1_512_HSUM_Z0: X0 ← the sum of the 16 lanes of Z0. Clobbers Z1.
#define L1_512_HSUM_Z0 HSUM512(Z0, Y0, X0, Y1, X1)

// HSUM512(z, y, x, ty, tx): x ← the sum of the 16 lanes of z (y, x its lower
// halves; ty, tx those of a scratch register, clobbered; registers below 16).
#define HSUM512(z, y, x, ty, tx) \
	VEXTRACTF64X4 $1, z, ty \
	VADDPS        ty, y, y \
	VEXTRACTF128  $1, y, tx \
	VADDPS        tx, x, x \
	VMOVHLPS      x, tx, tx \
	VADDPS        tx, x, x \
	VMOVSHDUP     x, tx \
	VADDSS        tx, x, x
