package bkm

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// FuzzReadCSV: any input is a matrix of finite values or an error naming the input;
// never a panic. Seeds: testdata/fuzz/FuzzReadCSV.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"1,2\n3,4\n", "x,y\n1,2\n", "\uFEFF1,2\n", "NaN,1\n", "1,\"2\n", "# c\n 1\n"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, header bool) {
		x, rows, cols, err := ReadCSV(bytes.NewReader(data), "f.csv", CSVOptions{Header: header})
		if err != nil {
			require.Nil(t, x)
			require.True(t, strings.HasPrefix(err.Error(), "f.csv:"), err.Error())
			return
		}
		require.Positive(t, rows)
		require.Len(t, x, rows*cols)
		for _, v := range x {
			require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0))
		}
	})
}

// fuzzModels are small saved models, P1 and P2, for FuzzLoad's seeds.
func fuzzModels(f *testing.F) [][]byte {
	var out [][]byte
	for _, p := range []*Problem{
		{T: []float32{0, 1, 1, 0, 1, 1}, N: 3, DT: 2, S: []float32{1, 0, 0, 1}, M: 2, DS: 2,
			Kernel: attention.RBF(), Y: []float32{1, 0, 1}, P: 1},
		{T: []float32{0.5, -1, 2}, N: 3, DT: 1, S: []float32{1, 0, 0, 1}, M: 2, DS: 2, D: 1,
			WK: []float32{0.5, -0.5}, Kernel: attention.Poly(2, 1), R: []float32{1, 2, 3, 4, 5, 6},
			Mask: []bool{true, false, true, true, true, true}},
	} {
		md, _, err := Fit(p, FitOptions{Options: Options{Lambda: 0.1, Regularizer: RegTikhonov}, Solver: SolverCG})
		require.NoError(f, err)
		var b bytes.Buffer
		require.NoError(f, md.Save(&b))
		out = append(out, b.Bytes())
	}
	return out
}

// FuzzLoad: any input is a model that saves, reloads and predicts at its training
// points, or an error; never a panic. Seeds: testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, b := range fuzzModels(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := Load(bytes.NewReader(data), 1)
		if err != nil {
			require.Nil(t, md)
			require.True(t, strings.HasPrefix(err.Error(), "bkm: model: "), err.Error())
			return
		}
		var b bytes.Buffer
		require.NoError(t, md.Save(&b))
		again, err := Load(&b, 1)
		require.NoError(t, err)
		require.Equal(t, md.Coefficients(), again.Coefficients())
		p := md.Problem
		switch {
		case md.IsP2():
			_, _, err = md.Predict(p.T, p.N, p.S, p.M)
		case md.P1.OnSource():
			_, _, err = md.Predict(p.S, p.M, nil, 0)
		default:
			_, _, err = md.Predict(p.T, p.N, nil, 0)
		}
		require.NoError(t, err)
	})
}
