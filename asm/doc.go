// Package asm holds bkm's hand-written instructions: AVX2+FMA kernels, an AVX-512F
// GEMM (micro-kernels and packers), AVX-512F level-1 and vector-math kernels (exp
// family, log, tanh, GELU and its backward) for amd64, NEON kernels for arm64, and a
// pure-Go twin of every routine.
//
// The rules of this floor:
//   - Only //go:noescape stubs (files *_amd64.go, *_arm64.go, built without the
//     purego tag), their assembly (*_amd64.s, *_arm64.s; avx512_amd64.h holds macros
//     the amd64 AVX-512 kernels share, args_amd64.h the argument loads of amd64
//     kernels whose signatures begin alike (go vet does not check FP offsets inside
//     macros: check each use against its stub), gemm_amd64.h the macros of the GEMM
//     kernels and packers, transpose8_amd64.h their 8×8 transpose,
//     lanes_amd64.h LANES16 (a 16-lane int32 index table), exp_amd64.h the
//     exp core of the vector math and the decode kernel, decode_attend_amd64.h
//     HEADS_ATTEND, the body of the fused one-query attention kernel over a list of
//     heads (expanded twice in decode_amd64.s, its argument operands written at each
//     call where go vet checks them: heads of up to 64 floats and of up to 32), neon_arm64.h the WORD-encoded
//     NEON instructions Go's assembler lacks, parameterized by register), and the
//     pure-Go twins (*_generic.go, built everywhere) live here. An AVX-512F stub is documented under its AVX2 sibling,
//     whose doc comment carries the reference loop.
//   - The vector-math constants come from one table, asm/_gen/consts.go: `go generate`
//     writes them as DATA for amd64 (vecmath_consts_amd64.h), as bit patterns for
//     arm64 (vecmath_consts_arm64.h) and as Go constants for the twins
//     (vecmath_consts.go). Edit the table, never the generated files; CI fails when
//     they are out of date.
//   - Each stub's doc comment gives the reference loop (or names the sibling that does); the twin, named XxxGeneric,
//     is that loop, and it is the oracle the conformance tests compare against.
//   - No dispatch, no allocation, no goroutines: choosing an implementation is
//     package simd's job. Every call does a bounded amount of work (a micro-tile, a
//     row chunk) so that the non-preemptible assembly stays short; callers loop in Go.
//   - Length checks are the caller's job: the routines trust their arguments the way
//     BLAS kernels do (simd validates and panics with a clear message).
//
// Imports: the standard library only; nothing of bkm.
package asm

//go:generate go run -C _gen . -out ..
