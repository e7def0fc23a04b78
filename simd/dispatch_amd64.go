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

// hasAVX512 needs AVX-512F and an OS that saves the ZMM and opmask state (x/sys/cpu
// folds that XGETBV check into HasAVX512F; cpuid checks it independently), on top of
// AVX2+FMA: the avx512 implementation keeps some AVX2 kernels (the narrow GEMM).
// The AVX-512 kernels use AVX-512F instructions only.
func hasAVX512() bool {
	return hasAVX2FMA() && cpu.X86.HasAVX512F && cpuid.CPU.Supports(cpuid.AVX512F)
}

func archReason() string {
	switch {
	case hasAVX512():
		return "AVX-512F and AVX2+FMA with OS ZMM support"
	case hasAVX2FMA():
		return "AVX2+FMA with OS YMM support (no AVX-512F or no OS ZMM support)"
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

// avx512Impl is avx2Impl with the GEMM and the level-1 routines on AVX-512F; the
// vector math is AVX-512F too (avx512Vecmath, vecmath_amd64.go).
var avx512Impl = func() *impl {
	im := *avx2Impl
	im.name = "avx512"
	im.dot = asm.DotAVX512
	im.axpy = asm.AxpyAVX512
	im.scale = asm.ScaleAVX512
	im.add = asm.AddAVX512
	im.mul = asm.MulAVX512
	im.sum = asm.SumAVX512
	im.max = asm.MaxAVX512
	im.dotRows = asm.DotRowsAVX512
	im.sqDistRows = asm.SqDistRowsAVX512
	im.axpyRows = asm.AxpyRowsAVX512
	// 8×32 tile: 16 ZMM accumulators, two B rows and eight broadcasts of A per step
	// of k: 16 FMAs for 10 loads. Alone on L1-resident panels it runs at ~173
	// GFLOP/s here, level with a 12×32 tile (~175) and above 8×32 or 12×32 with
	// embedded-broadcast FMAs (~162, ~169); 8 rows × 32 columns divide the attention
	// tiles (64, 96, 128 rows) and the head dimension 64 exactly, where 12 rows would
	// leave an edge tile.
	// kc = 256: the 32 KiB B micro-panel and the 8 KiB A micro-panel share the
	// 48 KiB L1d. mc = 144 keeps the 144 KiB A block in L2 (2 MiB) beside the B block
	// streaming through; nc = 2048 makes the B block 2 MiB. Measured at 1024³, 1
	// thread: kc 128/192/384 and mc 96/288/576 were 1–8% slower or level (table in
	// bench/RESULTS.md).
	im.mr, im.nr = 8, 32
	im.kc, im.mc, im.nc = 256, 144, 2048
	im.gemmKernel = asm.SgemmKernel8x32AVX512
	im.gemmDirect = asm.SgemmDirect8x32AVX512
	im.packA = asm.PackA8AVX
	im.packAT = asm.PackA8TAVX
	im.packB = asm.PackB32AVX512
	im.packBT = asm.PackB32TAVX
	im.narrow = avx2Impl // n ≤ 16: the 6×16 tile fits, the 8×32 one would be half empty
	return &im
}()

// archImpls lists the amd64 implementations this CPU can run, worst first: the
// last one is the default.
func archImpls() []*impl {
	switch {
	case hasAVX512():
		return []*impl{avx2Impl, avx512Impl}
	case hasAVX2FMA():
		return []*impl{avx2Impl}
	}
	return nil
}
