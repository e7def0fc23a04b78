//go:build sleef && cgo && amd64

package bench

// SLEEF 3.x (Debian libsleef-dev), u10 variants (1.0-ULP bound), AVX2 (8 lanes) and
// AVX-512F (16 lanes), applied by C loops so that a whole array costs one cgo call.
// The AVX-512F loops are compiled for AVX-512F alone (target attribute); call them
// only where the CPU has it (HaveSleefAVX512).

/*
#cgo CFLAGS: -O2 -march=haswell
#cgo LDFLAGS: -lsleef
#include <immintrin.h>
#include <sleef.h>

// SLEEF_LOOP defines name(dst, src, n): dst[i] = vecfn(src[i]) over whole vectors of
// lanes floats, then the scalar u10 function on the tail.
#define SLEEF_LOOP(attr, name, vtype, lanes, load, store, vecfn, scalarfn) \
	attr static void name(float *dst, const float *src, long n) { \
		long i = 0; \
		for (; i + lanes <= n; i += lanes) \
			store(dst + i, vecfn(load(src + i))); \
		for (; i < n; i++) \
			dst[i] = scalarfn(src[i]); \
	}

// sleef.h declares the AVX-512F entry points only when compiling for AVX-512F; the
// package is built for Haswell, so declare them here with that target (whose calling
// convention passes __m512 in ZMM registers).
#define AVX512F __attribute__((target("avx512f")))
AVX512F extern __m512 Sleef_expf16_u10avx512f(__m512);
AVX512F extern __m512 Sleef_logf16_u10avx512f(__m512);
AVX512F extern __m512 Sleef_tanhf16_u10avx512f(__m512);

#define AVX2_LOOP(name, vecfn, scalarfn) \
	SLEEF_LOOP(, name, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, vecfn, scalarfn)
#define AVX512_LOOP(name, vecfn, scalarfn) \
	SLEEF_LOOP(AVX512F, name, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, vecfn, scalarfn)

AVX2_LOOP(sleef_expf8_u10avx2, Sleef_expf8_u10avx2, Sleef_expf_u10)
AVX2_LOOP(sleef_logf8_u10avx2, Sleef_logf8_u10avx2, Sleef_logf_u10)
AVX2_LOOP(sleef_tanhf8_u10avx2, Sleef_tanhf8_u10avx2, Sleef_tanhf_u10)
AVX512_LOOP(sleef_expf16_u10avx512f, Sleef_expf16_u10avx512f, Sleef_expf_u10)
AVX512_LOOP(sleef_logf16_u10avx512f, Sleef_logf16_u10avx512f, Sleef_logf_u10)
AVX512_LOOP(sleef_tanhf16_u10avx512f, Sleef_tanhf16_u10avx512f, Sleef_tanhf_u10)
*/
import "C"

import (
	"slices"
	"unsafe"

	"github.com/kernelmachines/bkm/simd"
)

func cargs(dst, src []float32) (*C.float, *C.float, C.long) {
	if len(dst) != len(src) {
		panic("bench: SLEEF: length mismatch")
	}
	if len(dst) == 0 {
		return nil, nil, 0
	}
	return (*C.float)(unsafe.Pointer(&dst[0])), (*C.float)(unsafe.Pointer(&src[0])), C.long(len(dst))
}

// SleefExp computes dst[i] = Sleef_expf8_u10avx2(src[i]).
func SleefExp(dst, src []float32) { d, s, n := cargs(dst, src); C.sleef_expf8_u10avx2(d, s, n) }

// SleefLog computes dst[i] = Sleef_logf8_u10avx2(src[i]).
func SleefLog(dst, src []float32) { d, s, n := cargs(dst, src); C.sleef_logf8_u10avx2(d, s, n) }

// SleefTanh computes dst[i] = Sleef_tanhf8_u10avx2(src[i]).
func SleefTanh(dst, src []float32) { d, s, n := cargs(dst, src); C.sleef_tanhf8_u10avx2(d, s, n) }

// HaveSleefAVX512 reports whether the CPU and OS run AVX-512F (simd's own run-time
// detection: the avx512 path is available), which the AVX-512F entry points need.
func HaveSleefAVX512() bool { return slices.Contains(simd.Implementations(), "avx512") }

// SleefExpAVX512 computes dst[i] = Sleef_expf16_u10avx512f(src[i]); AVX-512F only.
func SleefExpAVX512(dst, src []float32) {
	d, s, n := cargs(dst, src)
	C.sleef_expf16_u10avx512f(d, s, n)
}

// SleefLogAVX512 computes dst[i] = Sleef_logf16_u10avx512f(src[i]); AVX-512F only.
func SleefLogAVX512(dst, src []float32) {
	d, s, n := cargs(dst, src)
	C.sleef_logf16_u10avx512f(d, s, n)
}

// SleefTanhAVX512 computes dst[i] = Sleef_tanhf16_u10avx512f(src[i]); AVX-512F only.
func SleefTanhAVX512(dst, src []float32) {
	d, s, n := cargs(dst, src)
	C.sleef_tanhf16_u10avx512f(d, s, n)
}
