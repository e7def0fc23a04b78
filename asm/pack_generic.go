package asm

// PackA6Generic is the reference loop of the A-panel packers: it interleaves six rows
// of a row-major matrix (stride lda) into one 6-wide panel of k steps,
//
//	for p := 0; p < k; p++ {
//		for i := 0; i < 6; i++ {
//			dst[p*6+i] = a[i*lda+p]
//		}
//	}
//
// len(a) ≥ 5·lda + k, len(dst) ≥ 6k.
func PackA6Generic(k int, a []float32, lda int, dst []float32) {
	for p := 0; p < k; p++ {
		for i := 0; i < 6; i++ {
			dst[p*6+i] = a[i*lda+p]
		}
	}
}
