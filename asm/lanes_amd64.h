// LANES16(name, l0, …, l15): name<>(SB), a read-only 64-byte vector of the sixteen
// int32 lanes l0..l15 (the index tables of decode_amd64.s and
// sgemm_small_transpose_amd64.s); LANES4 writes four of them from byte off.
#define LANES4(name, off, a, b, c, d) \
	DATA name<>+(off)(SB)/4, $a \
	DATA name<>+(off+4)(SB)/4, $b \
	DATA name<>+(off+8)(SB)/4, $c \
	DATA name<>+(off+12)(SB)/4, $d

#define LANES16(name, l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12, l13, l14, l15) \
	LANES4(name, 0, l0, l1, l2, l3) \
	LANES4(name, 16, l4, l5, l6, l7) \
	LANES4(name, 32, l8, l9, l10, l11) \
	LANES4(name, 48, l12, l13, l14, l15) \
	GLOBL name<>(SB), RODATA|NOPTR, $64
