//go:build !purego

package simd

import "github.com/kernelmachines/bkm/asm"

// archImpls is the arm64 table. NEON needs no check: Advanced SIMD is part of the
// arm64 baseline, and Go's own runtime and internal/bytealg use it unconditionally.
var archImpls = []*impl{neonImpl}

const archNote = "Advanced SIMD is part of the arm64 baseline Go requires"

// neonImpl runs the NEON kernels of package asm: the 8×12 GEMM micro-kernel uses all
// 32 vector registers (24 accumulators, 2 A and 3 B vectors per k step).
//
// Cache blocks, tuned for a typical server/desktop arm64 core (Neoverse N1: 64 KiB
// L1d, 1 MiB private L2; Cortex-A72/A76: 32-64 KiB L1d, 256 KiB-1 MiB L2):
//   - kc = 256: one A micro-panel (kc×8, 8 KiB) and one B micro-panel (kc×12,
//     12 KiB) together take 20 KiB, under two thirds of a 32 KiB L1d and a third of
//     N1's, leaving room for the C tile's lines; the 96-float C tile is then loaded
//     and stored once per 256·96 FMAs, which makes its traffic negligible.
//   - mc = 192 (a multiple of mr): the packed mc×kc block of A is 192 KiB, within
//     a quarter of a 1 MiB L2 and most of a 256 KiB one, so it stays resident while
//     every B micro-panel of the block streams over it.
//   - nc = 1536 (a multiple of nr = 12, so no column block ends in a partial
//     tile): the packed kc×nc block of B is 1.5 MiB, held in L2/L3 and re-read
//     once per mc block of A.
var neonImpl = &impl{
	name: "neon",

	dot:   asm.DotNEON,
	axpy:  asm.AxpyNEON,
	scale: asm.ScaleNEON,
	add:   asm.AddNEON,
	mul:   asm.MulNEON,
	sum:   asm.SumNEON,
	max:   asm.MaxNEON,

	reluBackward: asm.ReluBackwardNEON,

	mr: 8, nr: 12,
	kc: 256, mc: 192, nc: 1536,
	gemmKernel: asm.SgemmKernel8x12NEON,

	exp:          asm.ExpNEON,
	log:          asm.LogNEON,
	tanh:         asm.TanhNEON,
	expSub:       asm.ExpSubNEON,
	expSum:       asm.ExpSumNEON,
	gelu:         asm.GeluNEON,
	geluBackward: asm.GeluBackwardNEON,
	adamw:        asm.AdamWGeneric,      // no NEON kernel: the twin
	transpose8:   asm.Transpose8Generic, // no NEON kernel: the twin

	// no NEON layer-norm kernels: the twins
	layerNormRow:         asm.LayerNormRowGeneric,
	layerNormBackwardRow: asm.LayerNormBackwardRowGeneric,
	layerNormParams:      asm.LayerNormParamsGeneric,
}
