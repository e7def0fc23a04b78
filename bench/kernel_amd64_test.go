//go:build !purego

package bench

import (
	"github.com/kernelmachines/bkm/asm"
	"github.com/klauspost/cpuid/v2"
)

var sgemmKernels = []benchKernel{
	{"6x16", 6, 16, asm.SgemmKernel6x16AVX2, cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)},
	{"8x32", 8, 32, asm.SgemmKernel8x32AVX512, cpuid.CPU.Supports(cpuid.AVX512F)},
}
