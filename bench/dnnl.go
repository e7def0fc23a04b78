//go:build dnnl && cgo

package bench

// oneDNN 2.6 (Debian libdnnl-dev): dnnl_sgemm is row-major like bkm. Looped in C, so
// that a benchmark pays one cgo call per reps products. Its threads come from OpenMP:
// run with OMP_NUM_THREADS=1 for one-thread figures (dnnlSgemmThreads sets them a call).

/*
#cgo LDFLAGS: -ldnnl -l:libgomp.so.1
#include <dnnl.h>

void omp_set_num_threads(int); // libgomp's (Debian ships no omp.h without a compiler's)

static int dnnl_sgemm_loop(long reps, char ta, char tb, long m, long n, long k, float alpha,
		const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
	for (long r = 0; r < reps; r++)
		if (dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != dnnl_success)
			return -1;
	return 0;
}

// dnnl_sgemm_threads is one dnnl_sgemm on threads OpenMP threads: the setting belongs
// to the calling OS thread, and a Go caller's cgo calls may come from any of them.
static int dnnl_sgemm_threads(int threads, long m, long n, long k, const float *a, const float *b, float *c) {
	omp_set_num_threads(threads);
	return dnnl_sgemm('N', 'N', m, n, k, 1, a, k, b, n, 0, c, n) == dnnl_success ? 0 : -1;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// haveDNNL says whether this build links oneDNN (build tag dnnl).
const haveDNNL = true

// dnnlSgemmLoop runs the row-major product reps times through dnnl_sgemm.
func dnnlSgemmLoop(reps int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := C.char('N'), C.char('N')
	if transA {
		ta = 'T'
	}
	if transB {
		tb = 'T'
	}
	if C.dnnl_sgemm_loop(C.long(reps), ta, tb, C.long(m), C.long(n), C.long(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.long(lda), (*C.float)(unsafe.Pointer(&b[0])), C.long(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.long(ldc)) != 0 {
		panic("bench: dnnl_sgemm failed")
	}
}

// dnnlSgemmThreads runs the dense row-major C = A·B (m×k times k×n) once on threads
// OpenMP threads.
func dnnlSgemmThreads(threads, m, n, k int, a, b, c []float32) {
	if C.dnnl_sgemm_threads(C.int(threads), C.long(m), C.long(n), C.long(k), (*C.float)(unsafe.Pointer(&a[0])),
		(*C.float)(unsafe.Pointer(&b[0])), (*C.float)(unsafe.Pointer(&c[0]))) != 0 {
		panic("bench: dnnl_sgemm failed")
	}
}

func dnnlInfo() string {
	v := C.dnnl_version()
	return fmt.Sprintf("oneDNN %d.%d.%d (cpu runtime %d)", v.major, v.minor, v.patch, v.cpu_runtime)
}
