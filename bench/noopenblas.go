//go:build !openblas

package bench

// haveOpenBLAS says whether this build links OpenBLAS (build tag openblas).
const haveOpenBLAS = false

func openblasSetThreads(n int) { panic("bench: built without the openblas tag") }

func openblasSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("bench: built without the openblas tag")
}

func openblasInfo() string { return "not linked (build with -tags openblas)" }

func openblasSgemmLoop(reps int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("bench: built without the openblas tag")
}
