//go:build !purego

package simd

import (
	"github.com/kernelmachines/bkm/asm"
	"github.com/klauspost/cpuid/v2"
)

// archImpls are the amd64 tables, worst first: the last one the CPU can run is the
// default.
var archImpls = []*impl{avx2Impl, avx512Impl}

const archNote = "cpuid counts AVX2 and AVX512F only if the OS saves the YMM and ZMM/opmask state"

// avx2Impl runs every routine on AVX2+FMA.
var avx2Impl = &impl{
	name:  "avx2",
	needs: []cpuid.FeatureID{cpuid.AVX2, cpuid.FMA3},

	dot:   asm.DotAVX2,
	axpy:  asm.AxpyAVX2,
	scale: asm.ScaleAVX2,
	add:   asm.AddAVX2,
	mul:   asm.MulAVX2,
	relu:  asm.ReluAVX2,
	sum:   asm.SumAVX2,
	max:   asm.MaxAVX2,

	reluBackward: asm.ReluBackwardAVX2,

	// 6×16 tile: 12 YMM accumulators + 2 B rows + 2 broadcasts = all 16 registers.
	// kc = 256: a 16 KiB B micro-panel and a 6 KiB A micro-panel stay in L1 (32 KiB on
	// Zen 3, 48 KiB here). mc = 144: the 144 KiB A block sits in L2 (512 KiB on Zen 3,
	// 2 MiB here) beside the streamed B panels. nc = 2048: the 2 MiB B block lives in
	// L3. (Measured on the 48K/2M machine: mc 72..144 and kc 192..320 lie within 5%.)
	mr: 6, nr: 16,
	kc: 256, mc: 144, nc: 2048,
	gemmKernel:     asm.SgemmKernel6x16AVX2,
	gemmDirect:     asm.SgemmDirect6x16AVX2,
	gemmDirectCopy: asm.SgemmDirectCopy6x16AVX2,
	packA:          asm.PackA6AVX,
	packB:          asm.PackB16AVX,
	packBT:         asm.PackB16TAVX,
	small: &smallGemm{
		mr: 4, nr: 16, tile: asm.SgemmSmall4x16AVX2,
		rowNR: 32, row: asm.SgemvRow32AVX2,
		dotMR: 4, dot: asm.SgemvDot4AVX2,
		transpose: asm.TransposeGatherAVX2,
		prefetch:  asm.PrefetchRows,
	},

	exp:          asm.ExpAVX2,
	log:          asm.LogAVX2,
	tanh:         asm.TanhAVX2,
	expSub:       asm.ExpSubAVX2,
	expSum:       asm.ExpSumAVX2,
	gelu:         asm.GeluAVX2,
	geluBackward: asm.GeluBackwardAVX2,
	adamw:        asm.AdamWGeneric, // no AVX2 kernel: the twin
	transpose8:   asm.Transpose8AVX2,
	expLarge:     asm.ExpLargeAVX2,

	// no AVX2 layer-norm kernels: the twins
	layerNormRow:         asm.LayerNormRowGeneric,
	layerNormBackwardRow: asm.LayerNormBackwardRowGeneric,
	layerNormParams:      asm.LayerNormParamsGeneric,
}

// avx512Impl runs the level-1 routines, the GEMM and the vector math on AVX-512F
// (AVX-512F instructions only); products with n ≤ 16 go to the AVX2 GEMM (narrow),
// which is why it needs AVX2+FMA too.
var avx512Impl = &impl{
	name:  "avx512",
	needs: []cpuid.FeatureID{cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F},

	dot:   asm.DotAVX512,
	axpy:  asm.AxpyAVX512,
	scale: asm.ScaleAVX512,
	add:   asm.AddAVX512,
	mul:   asm.MulAVX512,
	relu:  asm.ReluAVX512,
	sum:   asm.SumAVX512,
	max:   asm.MaxAVX512,

	reluBackward: asm.ReluBackwardAVX512,

	dotRows:    asm.DotRowsAVX512,
	sqDistRows: asm.SqDistRowsAVX512,
	axpyRows:   asm.AxpyRowsAVX512,

	attendRows:   asm.AttendRowsAVX512,
	attendHeads:  asm.AttendHeadsAVX512,
	attendMaxDim: asm.AttendMaxDimAVX512,

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
	mr: 8, nr: 32,
	kc: 256, mc: 144, nc: 2048,
	gemmKernel:     asm.SgemmKernel8x32AVX512,
	gemmDirect:     asm.SgemmDirect8x32AVX512,
	gemmDirectCopy: asm.SgemmDirectCopy8x32AVX512,
	packA:          asm.PackA8AVX,
	packAT:         asm.PackA8TAVX,
	packB:          asm.PackB32AVX512,
	packBT:         asm.PackB32TAVX,
	// n ≤ 16 (e.g. 16-wide attention heads): the 6×16 tile fits, the 8×32 one would
	// be half empty; 1024×16×64 ran at 105 GFLOP/s on avx2, 69 on the 8×32 tile.
	narrow: avx2Impl,
	small: &smallGemm{
		mr: 8, nr: 32, tile: asm.SgemmSmall8x32AVX512,
		narrowNR: 16, narrow: asm.SgemmSmall8x16AVX512, staticNarrow: true,
		tallMR: 16, tall: asm.SgemmSmall16x16AVX512, tallBatch: asm.SgemmSmallBatch16x16AVX512,
		direct: asm.SgemmDirect8x32AVX512,
		panel:  asm.SgemmSmallPanel8x32AVX512,
		wideMR: 6, wideShortMR: 4, wideNR: 64, wide: asm.SgemmSmallWide6x64AVX512,
		rowNR: 64, row: asm.SgemvRow64AVX512,
		dotMR: 8, dot: asm.SgemvDot8AVX512,
		transpose: asm.TransposeGatherAVX512,
		prefetch:  asm.PrefetchRows,
	},

	// 64 elements per step: the exp family, log, tanh, GELU and GELU backward.
	exp:          asm.ExpAVX512,
	log:          asm.LogAVX512,
	tanh:         asm.TanhAVX512,
	expSub:       asm.ExpSubAVX512,
	expSum:       asm.ExpSumAVX512,
	gelu:         asm.GeluAVX512,
	geluBackward: asm.GeluBackwardAVX512,
	adamw:        asm.AdamWAVX512,
	transpose8:   asm.Transpose8AVX2, // 8×8 blocks: AVX suffices
	expLarge:     asm.ExpLargeAVX512,

	layerNormRow:         asm.LayerNormRowAVX512,
	layerNormBackwardRow: asm.LayerNormBackwardRowAVX512,
	layerNormParams:      asm.LayerNormParamsAVX512,
}
