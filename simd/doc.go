// Package simd is bkm's public float32 math: GEMM (Goto/BLIS-style packing, cache
// blocking, goroutine parallelism), level-1 vector routines, and vector math.
//
// Small products (up to 64³ of work, and GEMV shapes with one row or one column of
// C) skip the packing: Sgemm runs them on the caller's goroutine with kernels that
// read A and B in place and mask the right edge (sgemm_small.go). SgemmBatchStrided
// runs many products of one shape, spread over the threads a whole product at a time
// (sgemm_batch.go). NewPackedB packs a constant right operand (a layer's weight) once
// and SgemmPacked multiplies by it without re-packing, every row of C computed alike
// whatever the call's height (sgemm_packed.go).
//
// The instruction set is chosen once, at init, from cpuid: on amd64 "avx512" when the
// CPU has AVX-512F and the OS saves the ZMM state (its GEMM and vector math — the exp
// family from Exp to Softmax, Log, Tanh, GELU and GELUBackward — and its level-1
// routines are AVX-512), else "avx2" (AVX2+FMA with OS support for the YMM state);
// NEON on arm64; pure Go otherwise. Each of these is one table of function pointers
// and tile sizes in the file of its architecture (dispatch_amd64.go,
// dispatch_arm64.go; the generic one in dispatch.go). The environment variable
// BKM_SIMD=generic|avx2|avx512|neon forces a path; a request this machine cannot run
// panics at start rather than falling back silently. Info reports what runs and why;
// SetThreads bounds the goroutines used by the parallel routines.
//
// Conventions: row-major float32 slices with explicit leading dimensions, BLAS-like
// argument order. Dimension, stride and length errors are programmer errors and
// panic with a message naming the argument, as gonum's BLAS does. Hot paths do not
// allocate in steady state.
//
// Imports: packages asm and internal/par (the worker pool) of bkm,
// github.com/klauspost/cpuid/v2 (the one source of CPU features) and the standard
// library. It is the only package that knows which instruction set runs.
package simd
