package bkm_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/bkm"
)

// Fit F(t) = Σ_j c_j κ(t, s_j) with an asymmetric edp kernel (W_Q ≠ W_K, 60 source
// points, d = 3) to y = tanh(t₁ + t₂), exactly and by matrix-free conjugate gradients,
// and predict at new points: both solvers agree; the 60-term kernel expansion only
// approximates the target.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(n int, s float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * s)
		}
		return x
	}
	const n, m, dt, ds, d = 200, 60, 3, 4, 3
	t := randn(n*dt, 1)
	y := make([]float32, n)
	for i := range n {
		y[i] = float32(math.Tanh(float64(t[i*dt] + t[i*dt+1])))
	}
	p := &bkm.Problem{
		T: t, N: n, DT: dt,
		S: randn(m*ds, 1), M: m, DS: ds,
		Kernel: attention.EDP(), Gamma: 0.5,
		WQ: randn(d*dt, 0.6), WK: randn(d*ds, 0.6), D: d,
		Y: y, P: 1,
	}
	dense, rep, err := bkm.SolveP1Dense(p, bkm.Options{Lambda: 1e-4, Regularizer: bkm.RegTikhonov})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Method, rep.Regularizer)
	cg, rep, err := bkm.SolveP1CG(p, bkm.Options{Lambda: 1e-4, Regularizer: bkm.RegTikhonov, Tol: 1e-6, MaxIter: 3000})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Method, rep.Converged)

	tNew := []float32{0.5, -0.2, 0.1, -1, 0.3, 0}
	f1, _ := dense.Predict(tNew, 2)
	f2, _ := cg.Predict(tNew, 2)
	for i := range f1 {
		fmt.Printf("F(t_%d): dense %.2f, cg %.2f, truth %.2f\n", i, f1[i], f2[i], math.Tanh(float64(tNew[i*dt]+tNew[i*dt+1])))
	}
	// Output:
	// dense-cholesky tikhonov
	// cg true
	// F(t_0): dense 0.21, cg 0.21, truth 0.29
	// F(t_1): dense -0.50, cg -0.50, truth -0.60
}

// Save a fitted model's coefficients and rebuild the model from them and its problem
// later, without solving again: it predicts the same numbers. Coefficients that do not
// fit the problem are an error.
func ExampleNewP1Model() {
	rng := rand.New(rand.NewPCG(3, 4))
	randn := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	const n, m, d = 40, 15, 2
	p := &bkm.Problem{T: randn(n * d), N: n, DT: d, S: randn(m * d), M: m, DS: d,
		Kernel: attention.RBF(), Y: randn(n), P: 1}
	fitted, _, err := bkm.SolveP1Dense(p, bkm.Options{Lambda: 1e-2})
	if err != nil {
		panic(err)
	}
	saved := append([]float64(nil), fitted.Coefficients()...)

	loaded, err := bkm.NewP1Model(p, saved, 0)
	if err != nil {
		panic(err)
	}
	tNew := []float32{0.5, -0.2, 1, 0.3}
	f1, _ := fitted.Predict(tNew, 2)
	f2, _ := loaded.Predict(tNew, 2)
	fmt.Println(f1[0] == f2[0] && f1[1] == f2[1])

	_, err = bkm.NewP1Model(p, saved[:m-1], 0)
	fmt.Println(err)
	// Output:
	// true
	// bkm: shape mismatch: coefficients have 14 values, want M·P = 15·1 = 15
}

// Fit a P1 model with Fit, save it (here to a buffer; Model.SaveFile writes a file
// atomically), load it back and predict: the loaded model predicts exactly what the
// fitted one does, without solving again.
func ExampleFit() {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, m, d = 100, 40, 2
	t := make([]float32, n*d)
	for i := range t {
		t[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, n)
	for i := range n {
		y[i] = float32(math.Sin(float64(t[i*d])) * math.Cos(float64(t[i*d+1])))
	}
	p := &bkm.Problem{T: t, N: n, DT: d, S: t[:m*d], M: m, DS: d, Kernel: attention.RBF(), Gamma: 1, Y: y, P: 1}
	fitted, rep, err := bkm.Fit(p, bkm.FitOptions{Solver: bkm.SolverDense, Options: bkm.Options{Lambda: 1e-3}})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Method, rep.Regularizer)

	var file bytes.Buffer
	if err := fitted.Save(&file); err != nil {
		panic(err)
	}
	loaded, err := bkm.Load(&file, 0)
	if err != nil {
		panic(err)
	}
	tNew := []float32{0.5, 0.2, -1, 1}
	want, _, _ := fitted.Predict(tNew, 2, nil, 0)
	got, cols, err := loaded.Predict(tNew, 2, nil, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println("loaded model predicts the fitted model's values exactly:", slices.Equal(got, want))
	for i := range 2 {
		fmt.Printf("F(t_%d) = %.2f, truth %.2f\n", i, got[i*cols], math.Sin(float64(tNew[i*d]))*math.Cos(float64(tNew[i*d+1])))
	}
	// Output:
	// dense-cholesky rkbs
	// loaded model predicts the fitted model's values exactly: true
	// F(t_0) = 0.47, truth 0.47
	// F(t_1) = -0.45, truth -0.45
}
