//go:build !purego

package simd

import "github.com/kernelmachines/bkm/asm"

// The amd64 small-product kernels: asm/sgemm_small*_amd64.s and asm/sgemv_*_amd64.s.
func init() {
	registerSmall(avx2Impl, &smallGemm{
		mr: 4, nr: 16, tile: asm.SgemmSmall4x16AVX2,
		rowNR: 32, row: asm.SgemvRow32AVX2,
		dotMR: 4, dot: asm.SgemvDot4AVX2,
	})
	registerSmall(avx512Impl, &smallGemm{
		mr: 8, nr: 32, tile: asm.SgemmSmall8x32AVX512,
		narrowNR: 16, narrow: asm.SgemmSmall8x16AVX512,
		rowNR: 64, row: asm.SgemvRow64AVX512,
		dotMR: 4, dot: asm.SgemvDot4AVX512,
	})
}
