package simd

import "github.com/kernelmachines/bkm/asm"

func fma32(a, b, c float32) float32 { return asm.FMA32(a, b, c) }
