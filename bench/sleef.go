//go:build sleef && cgo && amd64

package bench

// SLEEF 3.x (Debian libsleef-dev), AVX2 u10 variants, applied by C loops so that a
// whole array costs one cgo call.

/*
#cgo CFLAGS: -O2 -march=haswell
#cgo LDFLAGS: -lsleef
#include <immintrin.h>
#include <sleef.h>

static void sleef_expf8_u10avx2(float *dst, const float *src, long n) {
	long i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(dst + i, Sleef_expf8_u10avx2(_mm256_loadu_ps(src + i)));
	for (; i < n; i++)
		dst[i] = Sleef_expf_u10(src[i]);
}

static void sleef_logf8_u10avx2(float *dst, const float *src, long n) {
	long i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(dst + i, Sleef_logf8_u10avx2(_mm256_loadu_ps(src + i)));
	for (; i < n; i++)
		dst[i] = Sleef_logf_u10(src[i]);
}

static void sleef_tanhf8_u10avx2(float *dst, const float *src, long n) {
	long i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(dst + i, Sleef_tanhf8_u10avx2(_mm256_loadu_ps(src + i)));
	for (; i < n; i++)
		dst[i] = Sleef_tanhf_u10(src[i]);
}
*/
import "C"

import "unsafe"

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
