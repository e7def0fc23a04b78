//go:build !(libxsmm && cgo)

package bench

import "errors"

// haveLibxsmm says whether this build links libxsmm (build tag libxsmm).
const haveLibxsmm = false

func libxsmmSgemmLoop(reps int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("bench: built without the libxsmm tag")
}

func libxsmmBatchLoop(reps, m, n, k int, a []float32, strideA int, b []float32, strideB int, c []float32, strideC, batch int) error {
	return errors.New("bench: built without the libxsmm tag")
}

func libxsmmInfo() string { return "not linked (build with -tags libxsmm)" }
