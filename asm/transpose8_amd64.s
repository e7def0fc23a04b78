//go:build !purego

#include "textflag.h"

// func Transpose8AVX2(n int, src []float32, lds int, dst []float32, ldd int)
// SI walks the eight source rows (row r at SI + r·lds), DI the destination rows
// (column j of the strip becomes row j at DI + j·ldd); both advance one 8×8 block a
// step: SI by 8 floats, DI by 8 rows.
TEXT ·Transpose8AVX2(SB), NOSPLIT, $0-72
	MOVQ n+0(FP), CX
	MOVQ src_base+8(FP), SI
	MOVQ lds+32(FP), AX
	MOVQ dst_base+40(FP), DI
	MOVQ ldd+64(FP), BX
	SHLQ $2, AX               // source row stride in bytes
	SHLQ $2, BX               // destination row stride in bytes
	LEAQ (AX)(AX*2), R8       // 3·lds
	LEAQ (BX)(BX*2), R9       // 3·ldd
	SHRQ $3, CX               // blocks
	JZ   done

loop:
	// rows r0..r7 of the block
	MOVQ    SI, DX
	VMOVUPS (DX), Y0
	VMOVUPS (DX)(AX*1), Y1
	VMOVUPS (DX)(AX*2), Y2
	VMOVUPS (DX)(R8*1), Y3
	LEAQ    (DX)(AX*4), DX
	VMOVUPS (DX), Y4
	VMOVUPS (DX)(AX*1), Y5
	VMOVUPS (DX)(AX*2), Y6
	VMOVUPS (DX)(R8*1), Y7

	// pairs: Y8 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5], …
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	// quads: Y0 = r0..r3 of columns 0 | 4, Y1 of 1 | 5, Y2 of 2 | 6, Y3 of 3 | 7;
	// Y4..Y7 the same of r4..r7
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	// columns: low lanes give columns 0..3, high lanes 4..7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	MOVQ    DI, DX
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, (DX)(BX*1)
	VMOVUPS Y10, (DX)(BX*2)
	VMOVUPS Y11, (DX)(R9*1)
	LEAQ    (DX)(BX*4), DX
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(BX*1)
	VMOVUPS Y14, (DX)(BX*2)
	VMOVUPS Y15, (DX)(R9*1)

	ADDQ $32, SI
	LEAQ (DX)(BX*4), DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
