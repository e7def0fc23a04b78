package train

import (
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// TestParallelHeadsMatchSerial: rowPar.heads splits three column blocks into heads and
// merges them back as splitHeads and mergeHeads do, at 1 and 2 threads, and the merge
// restores the flat matrix; a split with a bias adds it.
func TestParallelHeadsMatchSerial(t *testing.T) {
	defer simd.SetThreads(0)
	rng := newRNG(19)
	B, T, H, D := 3, 50, 4, 64 // 3 · 50 · 256 · 3 elements: above parMinWork
	C, ld := H*D, 3*H*D
	flat := randSlice(rng, B*T*ld, 1)
	for _, threads := range []int{1, 2} {
		simd.SetThreads(threads)
		var p rowPar
		want := [3][]float32{}
		got := [3][]float32{}
		for k := range want {
			want[k], got[k] = make([]float32, B*T*C), make([]float32, B*T*C)
			splitHeads(want[k], flat, B, T, H, D, ld, k*C)
		}
		p.heads(false, flat, ld, nil, B, T, H, D, got[0], got[1], got[2])
		require.Equal(t, want, got, "split, %d threads", threads)
		back := make([]float32, len(flat))
		p.heads(true, back, ld, nil, B, T, H, D, got[0], got[1], got[2])
		require.Equal(t, flat, back, "merge, %d threads", threads)
		// With a bias: each head's value is the flat value plus its column's bias.
		bias := randSlice(rng, 3*C, 1)
		p.heads(false, flat, ld, bias, B, T, H, D, got[0], got[1], got[2])
		for k := range want {
			for i, x := range want[k] {
				require.Equal(t, x+bias[k*C+(i/(T*D))%H*D+i%D], got[k][i], "split with bias, %d threads, tensor %d index %d", threads, k, i)
			}
		}
	}
}

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
