//go:build !purego

package simd

import (
	"github.com/kernelmachines/bkm/asm"
	"github.com/klauspost/cpuid/v2"
	"golang.org/x/sys/cpu"
)

// hasAVX2FMA needs all three: the AVX2 and FMA instructions, and an OS that saves
// the YMM state across context switches (x/sys/cpu folds the XGETBV check into
// HasAVX2; cpuid checks it independently).
func hasAVX2FMA() bool {
	return cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
}

func archReason() string {
	if hasAVX2FMA() {
		return "AVX2+FMA with OS YMM support"
	}
	return "no AVX2+FMA (or no OS YMM support): pure Go"
}

var avx2Impl = &impl{
	name:  "avx2",
	dot:   asm.DotAVX2,
	axpy:  asm.AxpyAVX2,
	scale: asm.ScaleAVX2,
	add:   asm.AddAVX2,
	mul:   asm.MulAVX2,
	sum:   asm.SumAVX2,
	max:   asm.MaxAVX2,
	// 6×16 tile: 12 YMM accumulators + 2 B rows + 2 broadcasts = all 16 registers.
	// kc = 256: a 16 KiB B micro-panel and a 6 KiB A micro-panel stay in L1 (32 KiB on
	// Zen 3, 48 KiB here). mc = 144: the 144 KiB A block sits in L2 (512 KiB on Zen 3,
	// 2 MiB here) beside the streamed B panels. nc = 2048: the 2 MiB B block lives in
	// L3. (Measured on the 48K/2M machine: mc 72..144 and kc 192..320 lie within 5%.)
	mr: 6, nr: 16,
	kc: 256, mc: 144, nc: 2048,
	gemmKernel: asm.SgemmKernel6x16AVX2,
	gemmDirect: asm.SgemmDirect6x16AVX2,
	packA:      asm.PackA6AVX,
	packB:      asm.PackB16AVX,
	packBT:     asm.PackB16TAVX,
}

func archImpls() []*impl {
	if hasAVX2FMA() {
		return []*impl{avx2Impl}
	}
	return nil
}
