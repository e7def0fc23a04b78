//go:build !purego

package bench

import "github.com/kernelmachines/bkm/asm"

var sgemmKernel = asm.SgemmKernel6x16AVX2
