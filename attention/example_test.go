package attention_test

import (
	"fmt"

	"github.com/kernelmachines/bkm/attention"
)

// Standard causal self attention (edp kernel) on one head, then its backward pass.
func ExampleForward() {
	const B, H, N, D = 1, 1, 3, 2
	q := []float32{1, 0, 0, 1, 1, 1}
	k := []float32{1, 0, 0, 1, 1, 1}
	v := []float32{1, 2, 3, 4, 5, 6}
	out := make([]float32, B*H*N*D)
	stats := make([]float32, B*H*N) // row log-sum-exp, saved for Backward
	o := &attention.Options{Kernel: attention.EDP(), Causal: true}
	attention.Forward(o, B, H, N, N, D, q, k, v, out, stats, nil)
	fmt.Printf("%.3f\n", out)

	dout := []float32{1, 0, 0, 0, 0, 0}
	dq, dk, dv := make([]float32, 6), make([]float32, 6), make([]float32, 6)
	attention.Backward(o, B, H, N, N, D, q, k, v, out, dout, stats, dq, dk, dv, nil)
	fmt.Printf("%.3f\n", dv)
	// Output:
	// [1.000 2.000 2.340 3.340 3.510 4.510]
	// [1.000 0.000 0.000 0.000 0.000 0.000]
}

// Kernels are chosen by name on the command line; finite ones have feature maps.
func ExampleByName() {
	k, err := attention.ByName("poly2", 4)
	if err != nil {
		panic(err)
	}
	q := []float64{1, 0, 0, 0}
	fmt.Println(k.Name(), k.ExpFamily(), k.FeatureDim(4), k.Value(1, q, q))
	_, err = attention.ByName("softmax", 4)
	fmt.Println(err)
	// Output:
	// poly:p=2,c=1 false 15 4
	// attention: unknown kernel "softmax" (want edp, rbf, laplace, expint, intersection, poly<p>, taylor<N>, linear, favor<D>)
}

// The checked entry point reports NaN inputs instead of spreading them.
func ExampleForwardChecked() {
	nan := float32(0)
	nan = nan / nan
	q := []float32{1, nan}
	err := attention.ForwardChecked(&attention.Options{}, 1, 1, 1, 1, 2, q, q, q, make([]float32, 2), make([]float32, 1), nil)
	fmt.Println(err)
	// Output:
	// attention: ForwardChecked: q [B=1, H=1, Nq=1, D=2] has NaN at flat index 1
}

// The linear-time path for a finite kernel agrees with the exact one.
func ExampleForwardLinear() {
	const N, D = 4, 2
	q := []float32{0.1, 0.2, 0.3, -0.1, 0.5, 0.5, -0.2, 0.4}
	v := []float32{1, 0, 0, 1, 1, 1, 2, 0}
	o := &attention.Options{Kernel: attention.Linear(), Causal: true}
	exact, linear := make([]float32, N*D), make([]float32, N*D)
	stats := make([]float32, N)
	attention.Forward(o, 1, 1, N, N, D, q, q, v, exact, stats, nil)
	attention.ForwardLinear(o, 1, 1, N, N, D, q, q, v, linear, stats, nil)
	fmt.Printf("%.4f\n%.4f\n", exact, linear)
	// Output:
	// [1.0000 0.0000 0.5007 0.4993 0.7062 0.6935 1.0275 0.5206]
	// [1.0000 0.0000 0.5007 0.4993 0.7062 0.6935 1.0275 0.5206]
}

// A multi-head self-attention layer: pass the same input (and the same input
// gradient buffer) for queries and keys.
func ExampleMHForward() {
	const B, N, DModel, H, Dh = 1, 2, 2, 1, 2
	p := &attention.MHParams{
		WQ: []float32{1, 0, 0, 1}, WK: []float32{1, 0, 0, 1},
		WV: []float32{1, 0, 0, 1}, WO: []float32{1, 0, 0, 1},
	}
	x := []float32{1, 0, 0, 1}
	y := make([]float32, B*N*DModel)
	acts := attention.NewMHActs(B, N, N, H, Dh)
	o := &attention.Options{Causal: true}
	attention.MHForward(o, B, N, N, DModel, H, Dh, p, x, x, y, acts, nil)
	fmt.Printf("%.3f\n", y)
	// Output:
	// [1.000 0.000 0.330 0.670]
}

// Attention dropout: the mask is a hash of (DropoutSeed, head, i, j), so Backward
// recomputes the forward mask without storing it; the row statistics (log-sum-exp over
// every visible key) do not change.
func ExampleOptions_dropout() {
	const B, H, N, D = 1, 1, 3, 2
	q := []float32{1, 0, 0, 1, 1, 1}
	k := []float32{1, 0, 0, 1, 1, 1}
	v := []float32{1, 2, 3, 4, 5, 6}
	out, stats := make([]float32, N*D), make([]float32, N)
	plain, plainStats := make([]float32, N*D), make([]float32, N)
	o := &attention.Options{Causal: true, Dropout: 0.5, DropoutSeed: 42}
	attention.Forward(o, B, H, N, N, D, q, k, v, out, stats, nil)
	attention.Forward(&attention.Options{Causal: true}, B, H, N, N, D, q, k, v, plain, plainStats, nil)
	fmt.Printf("%.3f\n%.3f\n%v\n", plain, out, stats[0] == plainStats[0] && stats[2] == plainStats[2])
	// Output:
	// [1.000 2.000 2.340 3.340 3.510 4.510]
	// [2.000 4.000 0.660 1.321 0.000 0.000]
	// true
}
