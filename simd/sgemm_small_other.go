//go:build purego || !amd64

package simd

import "github.com/kernelmachines/bkm/asm"

// callNarrow is the twin of the amd64 build's: no table of this build sets
// staticNarrow, so Sgemm never calls it; it computes what the kernel would.
func callNarrow(k int, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int, rows, cols int, alpha, beta float32) {
	asm.SgemmSmallGeneric(k, a, rsA, csA, b, ldb, c, ldc, rows, cols, alpha, beta)
}
