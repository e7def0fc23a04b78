//go:build !(dnnl && cgo)

package bench

// haveDNNL says whether this build links oneDNN (build tag dnnl).
const haveDNNL = false

func dnnlSgemmLoop(reps int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("bench: built without the dnnl tag")
}

func dnnlSgemmThreads(threads, m, n, k int, a, b, c []float32) {
	panic("bench: built without the dnnl tag")
}

func dnnlInfo() string { return "not linked (build with -tags dnnl)" }
