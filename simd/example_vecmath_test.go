package simd_test

import (
	"fmt"
	"math"

	"github.com/kernelmachines/bkm/simd"
)

func ExampleSoftmax() {
	logits := []float32{1, 2, 3, float32(math.Inf(-1))} // the last entry is masked
	p := make([]float32, len(logits))
	simd.Softmax(p, logits)
	fmt.Printf("%.4f\n", p)

	// A fully masked row gives zeros, not NaN.
	masked := []float32{float32(math.Inf(-1)), float32(math.Inf(-1))}
	simd.Softmax(masked, masked) // in place
	fmt.Println(masked)
	// Output:
	// [0.0900 0.2447 0.6652 0.0000]
	// [0 0]
}

func ExampleExp() {
	x := []float32{0, 1, -1, 88.8, float32(math.Inf(-1))}
	simd.Exp(x, x)
	fmt.Println(x)
	// Output: [1 2.7182817 0.36787945 +Inf 0]
}

func ExampleLogSumExp() {
	// Stable for logits far outside exp's range: log(e^1000 + e^1000) = 1000 + ln 2.
	fmt.Println(simd.LogSumExp([]float32{1000, 1000}))
	// Output: 1000.6932
}

func ExampleExpSub() {
	// The fused pass of an online softmax: terms e^(x − m) and their sum in one sweep.
	x := []float32{3, 1, 2}
	e := make([]float32, len(x))
	s := simd.ExpSub(e, x, simd.Max(x))
	fmt.Printf("%.4f %.4f\n", e, s)
	// Output: [1.0000 0.1353 0.3679] 1.5032
}

func ExampleGELUBackward() {
	// Forward and backward of a GELU activation: the gradient accumulates into dx.
	x := []float32{-3, -1, 0, 1, 3, float32(math.Inf(1))}
	y := make([]float32, len(x))
	simd.GELU(y[:5], x[:5])
	dy := []float32{1, 1, 1, 1, 1, 1} // upstream gradient
	dx := make([]float32, len(x))
	simd.GELUBackward(dx, x, dy)
	fmt.Printf("%.4f\n%.4f\n", y[:5], dx)
	// Output:
	// [-0.0036 -0.1588 0.0000 0.8412 2.9964]
	// [-0.0116 -0.0830 0.5000 1.0830 1.0116 1.0000]
}

func ExampleReLUBackward() {
	// The gradient of a ReLU flows where its input was positive and accumulates into dx;
	// elsewhere dx is left exactly as it was (a −0 stays −0, a NaN dy is not added).
	x := []float32{-2, 0, 0.5, 3, float32(math.NaN())}
	dy := []float32{float32(math.NaN()), 1, 2, 2, 1}
	dx := []float32{10, float32(math.Copysign(0, -1)), 1, 1, 7}
	simd.ReLUBackward(dx, x, dy)
	fmt.Println(dx)
	// Output: [10 -0 3 3 7]
}
