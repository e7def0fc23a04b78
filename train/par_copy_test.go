package train

import (
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// TestParallelLinearMatchesSerial: a linear layer whose bias broadcast and bias gradient
// run on the model's pool (2 threads) gives the serial functions' results bit for bit,
// linearBackwardSet overwrites the input gradient instead of adding to it, and the pool's
// copy and clear do what copy and clear do.
func TestParallelLinearMatchesSerial(t *testing.T) {
	defer simd.SetThreads(0)
	simd.SetThreads(2)
	rng := newRNG(20)
	n, in, out := 300, 64, 200 // 60 000 outputs: above parMinWork
	x, w, b := randSlice(rng, n*in, 1), randSlice(rng, out*in, 1), randSlice(rng, out, 1)
	dy := randSlice(rng, n*out, 1)
	m := &Model{}
	site := m.gemms(ProfFFN)
	y1, y2 := make([]float32, n*out), make([]float32, n*out)
	linearForward(y1, x, w, b, n, in, out)
	site.linearForward(y2, x, w, b, n, in, out)
	require.Equal(t, y1, y2)
	dx1, dw1, db1 := make([]float32, n*in), make([]float32, out*in), randSlice(rng, out, 1)
	dx2, dw2, db2 := make([]float32, n*in), make([]float32, out*in), append([]float32(nil), db1...)
	linearBackward(dx1, dw1, db1, dy, x, w, n, in, out)
	site.linearBackward(dx2, dw2, db2, dy, x, w, n, in, out)
	require.Equal(t, dx1, dx2)
	require.Equal(t, dw1, dw2)
	require.Equal(t, db1, db2)
	// Set overwrites what the input gradient held.
	dx3 := randSlice(rng, n*in, 1)
	site.linearBackwardSet(dx3, dw2, nil, dy, x, w, n, in, out)
	require.Equal(t, dx1, dx3)

	dst := make([]float32, len(dy))
	m.par.copy(dst, dy)
	require.Equal(t, dy, dst)
	m.par.copy(dst, nil)
	require.Equal(t, make([]float32, len(dy)), dst)
}

// TestGeluBackwardBiasSameBits: GELU's backward with the bias gradient summed in its
// pass (geluBackwardBias, by columns) gives geluBackward's input gradient and
// biasGrad's bias gradient bit for bit, on 1 and 2 threads, set or accumulating, on a
// shape whose column chunks end off the vector width.
func TestGeluBackwardBiasSameBits(t *testing.T) {
	defer simd.SetThreads(0)
	rng := newRNG(21)
	n, c := 301, 203 // 61 103 elements: above parMinWork
	dout, h := randSlice(rng, n*c, 1), randSlice(rng, n*c, 3)
	db0, dh0 := randSlice(rng, c, 1), randSlice(rng, n*c, 1)
	for _, threads := range []int{1, 2} {
		simd.SetThreads(threads)
		for _, set := range []bool{true, false} {
			m := &Model{}
			want, wantDb := append([]float32(nil), dh0...), append([]float32(nil), db0...)
			m.par.geluBackward(want, dout, h, set)
			m.par.biasGrad(wantDb, want, n, c)
			got, gotDb := append([]float32(nil), dh0...), append([]float32(nil), db0...)
			m.par.geluBackwardBias(got, dout, h, gotDb, n, c, set)
			require.Equal(t, want, got, "threads %d set %v: input gradient", threads, set)
			require.Equal(t, wantDb, gotDb, "threads %d set %v: bias gradient", threads, set)
			require.NotEqual(t, db0, gotDb)
		}
	}
}
