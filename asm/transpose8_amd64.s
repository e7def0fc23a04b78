//go:build !purego

#include "textflag.h"
#include "args_amd64.h"
#include "transpose8_amd64.h"

// func Transpose8AVX2(n int, src []float32, lds int, dst []float32, ldd int)
// SI walks the eight source rows (row r at SI + r·lds), DI the destination rows
// (column j of the strip becomes row j at DI + j·ldd); both advance one 8×8 block a
// step: SI by 8 floats, DI by 8 rows.
TEXT ·Transpose8AVX2(SB), NOSPLIT, $0-72
	PACK_ARGS(n+0(FP), src_base+8(FP), lds+32(FP), dst_base+40(FP)) // CX = n, SI, DI; R8 = source row stride in bytes
	MOVQ ldd+64(FP), BX
	SHLQ $2, BX                 // destination row stride in bytes
	LEAQ (R8)(R8*2), AX         // 3·lds
	LEAQ (BX)(BX*2), R9         // 3·ldd
	SHRQ $3, CX                 // blocks
	JZ   done

loop:
	// rows r0..r7 of the block
	MOVQ    SI, DX
	VMOVUPS (DX), Y0
	VMOVUPS (DX)(R8*1), Y1
	VMOVUPS (DX)(R8*2), Y2
	VMOVUPS (DX)(AX*1), Y3
	LEAQ    (DX)(R8*4), DX
	VMOVUPS (DX), Y4
	VMOVUPS (DX)(R8*1), Y5
	VMOVUPS (DX)(R8*2), Y6
	VMOVUPS (DX)(AX*1), Y7

	TRANSPOSE8X8

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
