//go:build !purego

package simd

import (
	"github.com/kernelmachines/bkm/asm"
	"golang.org/x/sys/cpu"
)

var neonVecmath = vecmathKernels{
	exp:    asm.ExpNEON,
	log:    asm.LogNEON,
	tanh:   asm.TanhNEON,
	expSub: asm.ExpSubNEON,
	expSum: asm.ExpSumNEON,
	gelu:   asm.GeluNEON,

	geluBackward: asm.GeluBackwardNEON,
}

// archVecmath puts the NEON vector-math kernels into the "neon" implementation
// (adding one with pure-Go level-1 and GEMM if the NEON level-1 table is not
// registered).
func archVecmath(list []*impl) []*impl {
	if !cpu.ARM64.HasASIMD {
		return list
	}
	return withVecmath(list, "neon", neonVecmath)
}
