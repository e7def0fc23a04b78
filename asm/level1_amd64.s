//go:build !purego

#include "textflag.h"
#include "avx512_amd64.h"

// func DotAVX2(x, y []float32) float32
TEXT ·DotAVX2(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dot_loop32:
	CMPQ CX, $32
	JLT  dot_loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  dot_loop32

dot_loop8:
	CMPQ CX, $8
	JLT  dot_reduce
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  dot_loop8

dot_reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X1, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0

dot_tail:
	TESTQ CX, CX
	JEQ   dot_done
	VMOVSS (SI), X4
	VMULSS (DI), X4, X4
	VADDSS X4, X0, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  dot_tail

dot_done:
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func AxpyAVX2(alpha float32, x, y []float32)
TEXT ·AxpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y15
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ y_base+32(FP), DI

axpy_loop32:
	CMPQ CX, $32
	JLT  axpy_loop8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VFMADD231PS (SI), Y15, Y0
	VFMADD231PS 32(SI), Y15, Y1
	VFMADD231PS 64(SI), Y15, Y2
	VFMADD231PS 96(SI), Y15, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  axpy_loop32

axpy_loop8:
	CMPQ CX, $8
	JLT  axpy_tail
	VMOVUPS (DI), Y0
	VFMADD231PS (SI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  axpy_loop8

axpy_tail:
	TESTQ CX, CX
	JEQ   axpy_done
	VMOVSS (DI), X0
	VFMADD231SS (SI), X15, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  axpy_tail

axpy_done:
	VZEROUPPER
	RET

// func ScaleAVX2(alpha float32, x []float32)
TEXT ·ScaleAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y15
	MOVQ x_base+8(FP), DI
	MOVQ x_len+16(FP), CX

scale_loop32:
	CMPQ CX, $32
	JLT  scale_loop8
	VMULPS (DI), Y15, Y0
	VMULPS 32(DI), Y15, Y1
	VMULPS 64(DI), Y15, Y2
	VMULPS 96(DI), Y15, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  scale_loop32

scale_loop8:
	CMPQ CX, $8
	JLT  scale_tail
	VMULPS (DI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  scale_loop8

scale_tail:
	TESTQ CX, CX
	JEQ   scale_done
	VMULSS (DI), X15, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	DECQ CX
	JMP  scale_tail

scale_done:
	VZEROUPPER
	RET

// ELEMENTWISE2 expands to the body of dst[i] = x[i] OP y[i] (OP a packed and a scalar
// instruction). DI = dst, SI = x, DX = y, CX = len(dst).
#define ELEMENTWISE2(PACKED, SCALAR, L32, L8, LTAIL, LDONE) \
L32:                                \
	CMPQ CX, $32                    \
	JLT  L8                         \
	VMOVUPS (SI), Y0                \
	VMOVUPS 32(SI), Y1              \
	VMOVUPS 64(SI), Y2              \
	VMOVUPS 96(SI), Y3              \
	PACKED (DX), Y0, Y0             \
	PACKED 32(DX), Y1, Y1           \
	PACKED 64(DX), Y2, Y2           \
	PACKED 96(DX), Y3, Y3           \
	VMOVUPS Y0, (DI)                \
	VMOVUPS Y1, 32(DI)              \
	VMOVUPS Y2, 64(DI)              \
	VMOVUPS Y3, 96(DI)              \
	ADDQ $128, SI                   \
	ADDQ $128, DX                   \
	ADDQ $128, DI                   \
	SUBQ $32, CX                    \
	JMP  L32                        \
L8:                                 \
	CMPQ CX, $8                     \
	JLT  LTAIL                      \
	VMOVUPS (SI), Y0                \
	PACKED (DX), Y0, Y0             \
	VMOVUPS Y0, (DI)                \
	ADDQ $32, SI                    \
	ADDQ $32, DX                    \
	ADDQ $32, DI                    \
	SUBQ $8, CX                     \
	JMP  L8                         \
LTAIL:                              \
	TESTQ CX, CX                    \
	JEQ   LDONE                     \
	VMOVSS (SI), X0                 \
	SCALAR (DX), X0, X0             \
	VMOVSS X0, (DI)                 \
	ADDQ $4, SI                     \
	ADDQ $4, DX                     \
	ADDQ $4, DI                     \
	DECQ CX                         \
	JMP  LTAIL                      \
LDONE:                              \
	VZEROUPPER                      \
	RET

// func AddAVX2(dst, x, y []float32)
TEXT ·AddAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	ELEMENTWISE2(VADDPS, VADDSS, add_loop32, add_loop8, add_tail, add_done)

// func MulAVX2(dst, x, y []float32)
TEXT ·MulAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	ELEMENTWISE2(VMULPS, VMULSS, mul_loop32, mul_loop8, mul_tail, mul_done)

// func SumAVX2(x []float32) float32
TEXT ·SumAVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

sum_loop32:
	CMPQ CX, $32
	JLT  sum_loop8
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sum_loop32

sum_loop8:
	CMPQ CX, $8
	JLT  sum_reduce
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  sum_loop8

sum_reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X1, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0

sum_tail:
	TESTQ CX, CX
	JEQ   sum_done
	VADDSS (SI), X0, X0
	ADDQ $4, SI
	DECQ CX
	JMP  sum_tail

sum_done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func MaxAVX2(x []float32) float32
//
// The vector pass keeps four running maxima and ORs an unordered-compare mask of every
// block into Y8; a NaN or a ±0 result sends it to the exact scalar loop (max_exact).
TEXT ·MaxAVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVL $0xff800000, AX // -Inf
	MOVL AX, X0
	VBROADCASTSS X0, Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VXORPS  Y8, Y8, Y8

max_loop32:
	CMPQ CX, $32
	JLT  max_loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VCMPPS  $3, Y5, Y4, Y9   // unordered: a NaN in either
	VCMPPS  $3, Y7, Y6, Y10
	VORPS   Y9, Y8, Y8
	VORPS   Y10, Y8, Y8
	VMAXPS  Y4, Y0, Y0
	VMAXPS  Y5, Y1, Y1
	VMAXPS  Y6, Y2, Y2
	VMAXPS  Y7, Y3, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  max_loop32

max_loop8:
	CMPQ CX, $8
	JLT  max_reduce
	VMOVUPS (SI), Y4
	VCMPPS  $3, Y4, Y4, Y9
	VORPS   Y9, Y8, Y8
	VMAXPS  Y4, Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  max_loop8

max_reduce:
	VMOVMSKPS Y8, AX
	TESTL AX, AX
	JNE   max_exact
	VMAXPS Y1, Y0, Y0
	VMAXPS Y3, Y2, Y2
	VMAXPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VMOVHLPS X0, X1, X1
	VMAXPS X1, X0, X0
	VMOVSHDUP X0, X1
	VMAXSS X1, X0, X0

max_tail:
	TESTQ CX, CX
	JEQ   max_check_zero
	VMOVSS (SI), X1
	VUCOMISS X1, X1
	JPS   max_ret_x1 // the first NaN: the vector pass saw none
	VMAXSS X0, X1, X0 // X0 = X1 > X0 ? X1 : X0
	ADDQ $4, SI
	DECQ CX
	JMP  max_tail

max_check_zero:
	VXORPS X1, X1, X1
	VUCOMISS X1, X0
	JEQ   max_exact // ±0: the sign depends on which zero came first
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

max_ret_x1:
	VMOVSS X1, ret+24(FP)
	VZEROUPPER
	RET

	// The reference loop, element by element.
max_exact:
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVL $0xff800000, AX
	MOVL AX, X0

max_exact_loop:
	TESTQ CX, CX
	JEQ   max_exact_done
	VMOVSS (SI), X1
	VUCOMISS X1, X1
	JPS   max_ret_x1
	VUCOMISS X0, X1
	JLS   max_exact_next // not v > m
	VMOVAPS X1, X0

max_exact_next:
	ADDQ $4, SI
	DECQ CX
	JMP  max_exact_loop

max_exact_done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// AVX-512F level-1 kernels: 64 elements per step in four ZMM registers, then 16 at a
// time, then one masked step for the last n mod 16 (K1 holds the live lanes; masked
// loads and stores touch no memory in the other lanes, so nothing past len is read).
// The element-wise kernels use the AVX2 kernels' instructions and operand order, so
// their results (NaN payloads included) are those of the AVX2 kernels bit for bit.

// func DotAVX512(x, y []float32) float32
TEXT ·DotAVX512(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   CX, $64
	JB     dot512_loop16

dot512_loop64:
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VMOVUPS     128(SI), Z6
	VMOVUPS     192(SI), Z7
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JAE         dot512_loop64

dot512_loop16:
	CMPQ        CX, $16
	JB          dot512_tail
	VMOVUPS     (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         dot512_loop16

dot512_tail:
	TESTQ       CX, CX
	JZ          dot512_reduce
	TAIL_MASK16
	VMOVUPS.Z   (SI), K1, Z4
	VMOVUPS.Z   (DI), K1, Z5
	VFMADD231PS Z5, Z4, K1, Z1 // only the r live lanes

dot512_reduce:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	L1_512_HSUM_Z0
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func AxpyAVX512(alpha float32, x, y []float32)
TEXT ·AxpyAVX512(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Z15
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	CMPQ         CX, $64
	JB           axpy512_loop16

axpy512_loop64:
	VMOVUPS     (DI), Z0
	VMOVUPS     64(DI), Z1
	VMOVUPS     128(DI), Z2
	VMOVUPS     192(DI), Z3
	VFMADD231PS (SI), Z15, Z0
	VFMADD231PS 64(SI), Z15, Z1
	VFMADD231PS 128(SI), Z15, Z2
	VFMADD231PS 192(SI), Z15, Z3
	VMOVUPS     Z0, (DI)
	VMOVUPS     Z1, 64(DI)
	VMOVUPS     Z2, 128(DI)
	VMOVUPS     Z3, 192(DI)
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JAE         axpy512_loop64

axpy512_loop16:
	CMPQ        CX, $16
	JB          axpy512_tail
	VMOVUPS     (DI), Z0
	VFMADD231PS (SI), Z15, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         axpy512_loop16

axpy512_tail:
	TESTQ       CX, CX
	JZ          axpy512_done
	TAIL_MASK16
	VMOVUPS.Z   (DI), K1, Z0
	VMOVUPS.Z   (SI), K1, Z1
	VFMADD231PS Z1, Z15, Z0
	VMOVUPS     Z0, K1, (DI)

axpy512_done:
	VZEROUPPER
	RET

// func ScaleAVX512(alpha float32, x []float32)
TEXT ·ScaleAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z15
	MOVQ         x_base+8(FP), DI
	MOVQ         x_len+16(FP), CX
	CMPQ         CX, $64
	JB           scale512_loop16

scale512_loop64:
	VMULPS  (DI), Z15, Z0
	VMULPS  64(DI), Z15, Z1
	VMULPS  128(DI), Z15, Z2
	VMULPS  192(DI), Z15, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ    $256, DI
	SUBQ    $64, CX
	CMPQ    CX, $64
	JAE     scale512_loop64

scale512_loop16:
	CMPQ    CX, $16
	JB      scale512_tail
	VMULPS  (DI), Z15, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     scale512_loop16

scale512_tail:
	TESTQ     CX, CX
	JZ        scale512_done
	TAIL_MASK16
	VMOVUPS.Z (DI), K1, Z0
	VMULPS    Z0, Z15, Z0
	VMOVUPS   Z0, K1, (DI)

scale512_done:
	VZEROUPPER
	RET

// ELEMENTWISE2_512 expands to the body of dst[i] = x[i] OP y[i] (OP a packed
// instruction). DI = dst, SI = x, DX = y, CX = len(dst).
#define ELEMENTWISE2_512(PACKED, L64, L16, LTAIL, LDONE) \
	CMPQ CX, $64                    \
	JB   L16                        \
L64:                                \
	VMOVUPS (SI), Z0                \
	VMOVUPS 64(SI), Z1              \
	VMOVUPS 128(SI), Z2             \
	VMOVUPS 192(SI), Z3             \
	PACKED (DX), Z0, Z0             \
	PACKED 64(DX), Z1, Z1           \
	PACKED 128(DX), Z2, Z2          \
	PACKED 192(DX), Z3, Z3          \
	VMOVUPS Z0, (DI)                \
	VMOVUPS Z1, 64(DI)              \
	VMOVUPS Z2, 128(DI)             \
	VMOVUPS Z3, 192(DI)             \
	ADDQ $256, SI                   \
	ADDQ $256, DX                   \
	ADDQ $256, DI                   \
	SUBQ $64, CX                    \
	CMPQ CX, $64                    \
	JAE  L64                        \
L16:                                \
	CMPQ CX, $16                    \
	JB   LTAIL                      \
	VMOVUPS (SI), Z0                \
	PACKED (DX), Z0, Z0             \
	VMOVUPS Z0, (DI)                \
	ADDQ $64, SI                    \
	ADDQ $64, DX                    \
	ADDQ $64, DI                    \
	SUBQ $16, CX                    \
	JMP  L16                        \
LTAIL:                              \
	TESTQ CX, CX                    \
	JZ    LDONE                     \
	TAIL_MASK16                \
	VMOVUPS.Z (SI), K1, Z0          \
	VMOVUPS.Z (DX), K1, Z1          \
	PACKED Z1, Z0, Z0               \
	VMOVUPS Z0, K1, (DI)            \
LDONE:                              \
	VZEROUPPER                      \
	RET

// func AddAVX512(dst, x, y []float32)
TEXT ·AddAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	ELEMENTWISE2_512(VADDPS, add512_loop64, add512_loop16, add512_tail, add512_done)

// func MulAVX512(dst, x, y []float32)
TEXT ·MulAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	ELEMENTWISE2_512(VMULPS, mul512_loop64, mul512_loop16, mul512_tail, mul512_done)

// func SumAVX512(x []float32) float32
TEXT ·SumAVX512(SB), NOSPLIT, $0-28
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   CX, $64
	JB     sum512_loop16

sum512_loop64:
	VADDPS (SI), Z0, Z0
	VADDPS 64(SI), Z1, Z1
	VADDPS 128(SI), Z2, Z2
	VADDPS 192(SI), Z3, Z3
	ADDQ   $256, SI
	SUBQ   $64, CX
	CMPQ   CX, $64
	JAE    sum512_loop64

sum512_loop16:
	CMPQ   CX, $16
	JB     sum512_tail
	VADDPS (SI), Z0, Z0
	ADDQ   $64, SI
	SUBQ   $16, CX
	JMP    sum512_loop16

sum512_tail:
	TESTQ     CX, CX
	JZ        sum512_reduce
	TAIL_MASK16
	VMOVUPS.Z (SI), K1, Z4
	VADDPS    Z4, Z1, K1, Z1 // only the r live lanes

sum512_reduce:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	L1_512_HSUM_Z0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func MaxAVX512(x []float32) float32
//
// The vector pass keeps four running maxima; every block is tested for NaN with
// unordered compares into K2/K3, and a NaN, or a ±0 result (whose sign depends on
// which zero came first), sends it to the exact scalar loop (max512_exact). Without
// NaN and with a nonzero maximum, every lane equal to the maximum has its bits, so
// the order in which VMAXPS met them does not matter.
TEXT ·MaxAVX512(SB), NOSPLIT, $0-28
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVL         $0xff800000, AX // -Inf
	VPBROADCASTD AX, Z16
	VMOVAPS      Z16, Z0
	VMOVAPS      Z16, Z1
	VMOVAPS      Z16, Z2
	VMOVAPS      Z16, Z3
	CMPQ         CX, $64
	JB           max512_loop16

max512_loop64:
	VMOVUPS  (SI), Z4
	VMOVUPS  64(SI), Z5
	VMOVUPS  128(SI), Z6
	VMOVUPS  192(SI), Z7
	VCMPPS   $3, Z5, Z4, K2 // unordered: a NaN in either
	VCMPPS   $3, Z7, Z6, K3
	KORTESTW K2, K3
	JNZ      max512_exact
	VMAXPS   Z4, Z0, Z0
	VMAXPS   Z5, Z1, Z1
	VMAXPS   Z6, Z2, Z2
	VMAXPS   Z7, Z3, Z3
	ADDQ     $256, SI
	SUBQ     $64, CX
	CMPQ     CX, $64
	JAE      max512_loop64

max512_loop16:
	CMPQ     CX, $16
	JB       max512_tail
	VMOVUPS  (SI), Z4
	VCMPPS   $3, Z4, Z4, K2
	KORTESTW K2, K2
	JNZ      max512_exact
	VMAXPS   Z4, Z0, Z0
	ADDQ     $64, SI
	SUBQ     $16, CX
	JMP      max512_loop16

max512_tail:
	TESTQ    CX, CX
	JZ       max512_reduce
	TAIL_MASK16
	VMOVAPS  Z16, Z4
	VMOVUPS  (SI), K1, Z4 // the dead lanes keep -Inf
	VCMPPS   $3, Z4, Z4, K2
	KORTESTW K2, K2
	JNZ      max512_exact
	VMAXPS   Z4, Z1, Z1

max512_reduce:
	VMAXPS        Z1, Z0, Z0
	VMAXPS        Z3, Z2, Z2
	VMAXPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VMOVHLPS      X0, X1, X1
	VMAXPS        X1, X0, X0
	VMOVSHDUP     X0, X1
	VMAXSS        X1, X0, X0
	VXORPS        X1, X1, X1
	VUCOMISS      X1, X0
	JEQ           max512_exact // ±0: the sign depends on which zero came first
	VMOVSS        X0, ret+24(FP)
	VZEROUPPER
	RET

	// The reference loop, element by element.
max512_exact:
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVL $0xff800000, AX
	MOVL AX, X0

max512_exact_loop:
	TESTQ    CX, CX
	JEQ      max512_exact_done
	VMOVSS   (SI), X1
	VUCOMISS X1, X1
	JPS      max512_ret_x1
	VUCOMISS X0, X1
	JLS      max512_exact_next // not v > m
	VMOVAPS  X1, X0

max512_exact_next:
	ADDQ $4, SI
	DECQ CX
	JMP  max512_exact_loop

max512_exact_done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

max512_ret_x1:
	VMOVSS X1, ret+24(FP)
	VZEROUPPER
	RET
