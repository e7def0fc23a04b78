package train

import (
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// TestParallelHeadsMatchSerial: rowPar.heads splits three column blocks into heads and
// merges them back as splitHeads and mergeHeads do, at 1 and 2 threads, and the merge
// restores the flat matrix.
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
		p.heads(false, flat, ld, B, T, H, D, got[0], got[1], got[2])
		require.Equal(t, want, got, "split, %d threads", threads)
		back := make([]float32, len(flat))
		p.heads(true, back, ld, B, T, H, D, got[0], got[1], got[2])
		require.Equal(t, flat, back, "merge, %d threads", threads)
	}
}
