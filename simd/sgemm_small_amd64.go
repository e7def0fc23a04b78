//go:build !purego

package simd

import "github.com/kernelmachines/bkm/asm"

// callNarrow calls the avx512 table's narrow tile kernel (smallGemm.staticNarrow)
// by name: Sgemm inlines it, so an 8×8×8 product reaches the assembly without the
// ABI wrapper a call through the table's function value passes (~2 ns of ~23;
// bench/RESULTS.md, "Small shapes, paired rounds").
func callNarrow(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32) {
	asm.SgemmSmall8x16AVX512(k, a, rsA, csA, b, ldb, c, ldc, rows, cols, alpha, beta)
}
