// The exp core of the amd64 kernels (vecmath_amd64.s, decode_amd64.s), AVX2 and
// AVX-512: macros parameterized by register, the constants named by the caller.

// EXP_CORE_K(x, z, t2, t3, t4, t5, shift, log2e, ln2hi, ln2lo, c1, c2, half, thi, tlo)
// is the exp core of every amd64 kernel, AVX2 and AVX-512: x (|x| ≤ 104 or NaN) →
// x = p = T·e^r, z = bits of 8x·log2e + 0x1.8p23, whose low bits hold k. Clobbers
// t2–t5. The last nine arguments say where the constants live (a register, or a
// 32-byte vector in memory): shifter 0x1.8p23, 8·log2e, ln2hi/8, ln2lo/8, C1 = 1/6,
// C2 = 1/24, ½, and the 2^(j/8) tables hi and lo. As expParts: kf = z − shifter;
// r = (x − kf·ln2hi/8) − kf·ln2lo/8; q = (C2·r + C1)·r + ½; u = q·r² + r;
// T = table[k & 7] (VPERMPS uses the low 3 bits of each index, 4 on ZMM, hence the
// tables repeated in both halves there); p = Thi + (u·Thi + Tlo).
#define EXP_CORE_K(x, z, t2, t3, t4, t5, shift, log2e, ln2hi, ln2lo, c1, c2, half, thi, tlo) \
	VMOVUPS      shift, z \
	VFMADD231PS  log2e, x, z \
	VSUBPS       shift, z, t2 \
	VFNMADD231PS ln2hi, t2, x \
	VFNMADD231PS ln2lo, t2, x \
	VMULPS       x, x, t2 \
	VMOVUPS      c1, t3 \
	VFMADD231PS  c2, x, t3 \
	VFMADD213PS  half, x, t3 \
	VFMADD213PS  x, t2, t3 \
	VPERMPS      thi, z, t4 \
	VPERMPS      tlo, z, t5 \
	VFMADD231PS  t4, t3, t5 \
	VADDPS       t5, t4, x

// EXP_SCALE_FAST(x, z, pand, emask): after EXP_CORE_K, for |x| ≤ 87 → x = e^x. The
// result is normal, so p·2^n is formed exactly by adding n = k>>3 to the exponent
// field: bits(z)<<20 is n<<23 + (k&7)<<20 (the shifter's bits vanish in the shift)
// and the mask emask (sign and exponent field) keeps n<<23. pand is VPAND on YMM,
// VPANDD on ZMM.
#define EXP_SCALE_FAST(x, z, pand, emask) \
	VPSLLD $20, z, z \
	pand   emask, z, z \
	VPADDD z, x, x

// EXP_SCALE_SLOW(x, z, t, shift, bias): after EXP_CORE_K, for any x → x = p·2^n,
// n = k>>3, in two factors 2^(n>>1)·2^(n − n>>1) so that overflow, subnormal and
// zero results are rounded once, by the last multiply. shift and bias are where the
// shifter 0x1.8p23 and int32 127 live. Clobbers z, t.
#define EXP_SCALE_SLOW(x, z, t, shift, bias) \
	VPSUBD  shift, z, z \
	VPSRAD  $3, z, z \
	VPSRAD  $1, z, t \
	VPSUBD  t, z, z \
	VPADDD  bias, t, t \
	VPADDD  bias, z, z \
	VPSLLD  $23, t, t \
	VPSLLD  $23, z, z \
	VMULPS  t, x, x \
	VMULPS  z, x, x

// EXP_RANGE_CONSTS(op, shift, log2e, ln2hi, ln2lo) loads with op (VMOVUPS for YMM,
// VBROADCASTSS for ZMM) the constants of EXP_CORE_K's range reduction.
#define EXP_RANGE_CONSTS(op, shift, log2e, ln2hi, ln2lo) \
	op expShifter<>(SB), shift \
	op exp8Log2e<>(SB), log2e \
	op exp8Ln2Hi<>(SB), ln2hi \
	op exp8Ln2Lo<>(SB), ln2lo

// EXP512_CORE_BCAST(shift, log2e, ln2hi, ln2lo, c1, c2, half, thi, tlo) broadcasts
// EXP_CORE_K's constants into the nine ZMM registers named (the tables twice, as
// VPERMPS on ZMM wants them).
#define EXP512_CORE_BCAST(shift, log2e, ln2hi, ln2lo, c1, c2, half, thi, tlo) \
	EXP_RANGE_CONSTS(VBROADCASTSS, shift, log2e, ln2hi, ln2lo) \
	VBROADCASTSS    expC1<>(SB), c1 \
	VBROADCASTSS    expC2<>(SB), c2 \
	VBROADCASTSS    vmHalf<>(SB), half \
	VBROADCASTF64X4 expTabHi<>(SB), thi \
	VBROADCASTF64X4 expTabLo<>(SB), tlo
