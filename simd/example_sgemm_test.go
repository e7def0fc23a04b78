package simd_test

import (
	"fmt"

	"github.com/kernelmachines/bkm/simd"
)

// Scores of two queries against three keys, S = Q·Kᵀ, with Q (2×2) and K (3×2) stored
// row-major: K is passed as is with transB = true.
func ExampleSgemm() {
	q := []float32{
		1, 2,
		3, 4,
	}
	k := []float32{
		1, 0,
		0, 1,
		1, 1,
	}
	s := make([]float32, 2*3)
	simd.Sgemm(false, true, 2, 3, 2, 1, q, 2, k, 2, 0, s, 3)
	fmt.Println(s[:3])
	fmt.Println(s[3:])
	// Output:
	// [1 2 3]
	// [3 4 7]
}

func ExampleMatMul() {
	a := []float32{1, 2, 3, 4} // 2×2
	b := []float32{5, 6, 7, 8} // 2×2
	c := make([]float32, 4)
	simd.MatMul(2, 2, 2, a, b, c)
	fmt.Println(c)
	// Output: [19 22 43 50]
}

// A layer's weight W (2 outputs × 3 inputs, stored as PyTorch does) packed once, then
// applied to a batch of rows, Y = X·Wᵀ, as many times as needed without re-packing.
func ExampleSgemmPacked() {
	w := []float32{
		1, 0, 1,
		0, 2, 0,
	}
	pw := simd.NewPackedB(true, 3, 2, w, 3) // op(B) = Wᵀ, 3×2
	x := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	y := make([]float32, 2*2)
	simd.SgemmPacked(2, 1, x, 3, pw, 0, y, 2)
	fmt.Println(y[:2])
	fmt.Println(y[2:])
	// Output:
	// [4 4]
	// [10 10]
}
