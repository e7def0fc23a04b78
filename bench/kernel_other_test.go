//go:build purego || !amd64

package bench

import "github.com/kernelmachines/bkm/asm"

var sgemmKernels = []benchKernel{
	{"6x16", 6, 16, func(k int, a, b, c []float32, ldc int, alpha, beta float32) {
		asm.SgemmKernelGeneric(6, 16, k, a, b, c, ldc, alpha, beta)
	}, true},
}
