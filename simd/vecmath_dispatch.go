package simd

import "github.com/kernelmachines/bkm/asm"

// vecmathKernels are the vector-math entries of the dispatch table (embedded in
// impl). Each call handles at most chunk elements; the API in vecmath.go loops.
type vecmathKernels struct {
	exp    func(dst, src []float32)
	log    func(dst, src []float32)
	tanh   func(dst, src []float32)
	expSub func(dst, src []float32, m float32) float32 // dst = e^(src−m), returns Σ dst
	expSum func(x []float32, m float32) float32        // Σ e^(x−m), nothing stored
	gelu   func(dst, src []float32)
	// geluBackward accumulates dx += gelu'(x)·dy.
	geluBackward func(dx, x, dy []float32)
	// expLarge, if set, is exp tuned for arrays larger than L2 (it prefetches
	// ahead); len(dst) must be a multiple of 64. Exp runs the rest with exp.
	expLarge func(dst, src []float32)
}

var genericVecmath = vecmathKernels{
	exp:    asm.ExpGeneric,
	log:    asm.LogGeneric,
	tanh:   asm.TanhGeneric,
	expSub: asm.ExpSubGeneric,
	expSum: asm.ExpSumGeneric,
	gelu:   asm.GeluGeneric,

	geluBackward: asm.GeluBackwardGeneric,
}

// registerVecmath fills the vector-math entries of every implementation in list
// (called once from init, before the active implementation is chosen). The
// architecture file may append an implementation if the level-1/GEMM table for its
// instruction set is not registered yet, so that the vector-math kernels still run.
func registerVecmath(list []*impl) []*impl {
	for _, im := range list {
		im.vecmathKernels = genericVecmath
	}
	return archVecmath(list)
}

// withVecmath returns the implementation named name from list with its vector-math
// entries set to k; if there is none, it appends a copy of the generic table under
// that name (level-1 and GEMM stay pure Go in that copy).
func withVecmath(list []*impl, name string, k vecmathKernels) []*impl {
	for _, im := range list {
		if im.name == name {
			im.vecmathKernels = k
			return list
		}
	}
	im := *genericImpl
	im.name = name
	im.vecmathKernels = k
	return append(list, &im)
}
