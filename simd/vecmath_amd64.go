//go:build !purego

package simd

import (
	"github.com/kernelmachines/bkm/asm"
	"golang.org/x/sys/cpu"
)

var avx2Vecmath = vecmathKernels{
	exp:    asm.ExpAVX2,
	log:    asm.LogAVX2,
	tanh:   asm.TanhAVX2,
	expSub: asm.ExpSubAVX2,
	expSum: asm.ExpSumAVX2,
	gelu:   asm.GeluAVX2,

	geluBackward: asm.GeluBackwardAVX2,

	expLarge: asm.ExpLargeAVX2,
}

// avx512Vecmath is avx2Vecmath with every kernel on AVX-512F (64 elements per
// step): the exp family, log, tanh, GELU and GELU backward.
var avx512Vecmath = func() vecmathKernels {
	k := avx2Vecmath
	k.exp = asm.ExpAVX512
	k.expLarge = asm.ExpLargeAVX512
	k.expSub = asm.ExpSubAVX512
	k.expSum = asm.ExpSumAVX512
	k.log = asm.LogAVX512
	k.tanh = asm.TanhAVX512
	k.gelu = asm.GeluAVX512
	k.geluBackward = asm.GeluBackwardAVX512
	return k
}()

// archVecmath puts the AVX2+FMA vector-math kernels into the "avx2" implementation
// (adding one with pure-Go level-1 and GEMM if the AVX2 level-1 table is not
// registered), and avx512Vecmath into "avx512" when that implementation runs here
// (hasAVX512: AVX-512F with OS ZMM support). x/sys/cpu's HasAVX2 includes the OS
// YMM-state check.
func archVecmath(list []*impl) []*impl {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return list
	}
	list = withVecmath(list, "avx2", avx2Vecmath)
	if hasAVX512() {
		list = withVecmath(list, "avx512", avx512Vecmath)
	}
	return list
}
