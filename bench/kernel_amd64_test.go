//go:build !purego

package bench

import (
	"github.com/kernelmachines/bkm/asm"
	"golang.org/x/sys/cpu"
)

var sgemmKernels = []benchKernel{
	{"6x16", 6, 16, asm.SgemmKernel6x16AVX2, cpu.X86.HasAVX2 && cpu.X86.HasFMA},
	{"8x32", 8, 32, asm.SgemmKernel8x32AVX512, cpu.X86.HasAVX512F},
}
