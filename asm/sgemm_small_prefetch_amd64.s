//go:build !purego

#include "textflag.h"

// func PrefetchRows(a []float32, rows, cols, ld int)
TEXT ·PrefetchRows(SB), NOSPLIT, $0-48
	MOVQ a_base+0(FP), SI
	MOVQ rows+24(FP), CX
	MOVQ cols+32(FP), DX
	SHLQ $2, DX
	MOVQ ld+40(FP), DI
	SHLQ $2, DI
	TESTQ CX, CX
	JLE   done
	TESTQ DX, DX
	JLE   done
	MOVQ  DX, R8
	DECQ  R8 // the row's last byte, whose line the 64-byte steps miss when the row does not start on one

row:
	XORQ AX, AX

line:
	PREFETCHT0 (SI)(AX*1)
	ADDQ $64, AX
	CMPQ AX, DX
	JLT  line
	PREFETCHT0 (SI)(R8*1)
	ADDQ DI, SI
	DECQ CX
	JNZ  row

done:
	RET
