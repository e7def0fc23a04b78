//go:build libxsmm && cgo

package bench

// libxsmm 1.17 (Debian libxsmm-dev, static; its fallback for products past its JIT
// limits is the BLAS sgemm_, here OpenBLAS). libxsmm is column-major: the row-major
// C = op(A)·op(B) is the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so A and B trade places.
// The calls are looped in C, so that a benchmark pays one cgo call per reps products.

/*
#cgo LDFLAGS: -L/usr/lib -lxsmm -lopenblas -lpthread -lrt -ldl -lm
#include <libxsmm.h>

static const char *xsmm_version(void) { return LIBXSMM_VERSION; }

static void xsmm_sgemm_loop(long reps, char ta, char tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	libxsmm_blasint M = n, N = m, K = k, LDA = ldb, LDB = lda, LDC = ldc;
	for (long r = 0; r < reps; r++)
		libxsmm_sgemm(&tb, &ta, &M, &N, &K, &alpha, b, &LDA, a, &LDB, &beta, c, &LDC);
}

// xsmm_batch_loop runs batch products of one shape, A_i at a + i*sa and so on, with one
// kernel dispatched once (no transposes) and called in the loop: libxsmm's
// dispatch-then-call interface. Returns -1 if libxsmm has no kernel for the shape.
static int xsmm_batch_loop(long reps, int m, int n, int k, const float *a, int lda, long sa,
		const float *b, int ldb, long sb, float *c, int ldc, long sc, long batch) {
	libxsmm_blasint M = n, N = m, K = k, LDA = ldb, LDB = lda, LDC = ldc;
	float alpha = 1, beta = 0;
	int flags = LIBXSMM_GEMM_FLAG_NONE, prefetch = LIBXSMM_PREFETCH_NONE;
	libxsmm_smmfunction f = libxsmm_smmdispatch(M, N, K, &LDA, &LDB, &LDC, &alpha, &beta, &flags, &prefetch);
	if (f == 0)
		return -1;
	for (long r = 0; r < reps; r++)
		for (long i = 0; i < batch; i++)
			f(b + i * sb, a + i * sa, c + i * sc);
	return 0;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// haveLibxsmm says whether this build links libxsmm (build tag libxsmm).
const haveLibxsmm = true

func init() { C.libxsmm_init() }

func transChar(t bool) C.char {
	if t {
		return 'T'
	}
	return 'N'
}

// libxsmmSgemmLoop runs the row-major product reps times through libxsmm_sgemm.
func libxsmmSgemmLoop(reps int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.xsmm_sgemm_loop(C.long(reps), transChar(transA), transChar(transB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.int(lda), (*C.float)(unsafe.Pointer(&b[0])), C.int(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.int(ldc))
}

// libxsmmBatchLoop runs reps times a batch of row-major products C_i = A_i·B_i (dense,
// strides between products) through one dispatched libxsmm kernel.
func libxsmmBatchLoop(reps, m, n, k int, a []float32, strideA int, b []float32, strideB int, c []float32, strideC, batch int) error {
	if C.xsmm_batch_loop(C.long(reps), C.int(m), C.int(n), C.int(k), (*C.float)(unsafe.Pointer(&a[0])), C.int(k), C.long(strideA),
		(*C.float)(unsafe.Pointer(&b[0])), C.int(n), C.long(strideB), (*C.float)(unsafe.Pointer(&c[0])), C.int(n), C.long(strideC), C.long(batch)) != 0 {
		return fmt.Errorf("libxsmm has no kernel for %d×%d×%d", m, n, k)
	}
	return nil
}

func libxsmmInfo() string {
	return fmt.Sprintf("libxsmm %s (target %s)", C.GoString(C.xsmm_version()), C.GoString(C.libxsmm_get_target_arch()))
}
