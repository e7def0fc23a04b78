package attention

import (
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/simd"
	"github.com/stretchr/testify/require"
)

// TestWorkspaceSetThreads: a workspace set to one thread runs Forward and Backward on
// one worker whatever simd.Threads() says, with the bits of a 1-thread run, even on one
// head (where more workers would split the backward's key tiles); 0 gives simd.Threads()
// back, and a negative count panics.
func TestWorkspaceSetThreads(t *testing.T) {
	old := simd.Threads()
	t.Cleanup(func() { simd.SetThreads(old) })
	r := rand.New(rand.NewPCG(91, 92))
	B, H, Nq, Nk, D := 1, 1, 150, 150, 64
	o := &Options{Kernel: EDP(), Causal: true}
	q, k, v := randSlice(r, B*H*Nq*D, 0.5), randSlice(r, B*H*Nk*D, 0.5), randSlice(r, B*H*Nk*D, 1)
	dout := randSlice(r, B*H*Nq*D, 1)
	run := func(ws *Workspace) [][]float32 {
		out, stats := make([]float32, B*H*Nq*D), make([]float32, B*H*Nq)
		dq, dk, dv := make([]float32, B*H*Nq*D), make([]float32, B*H*Nk*D), make([]float32, B*H*Nk*D)
		Forward(o, B, H, Nq, Nk, D, q, k, v, out, stats, ws)
		Backward(o, B, H, Nq, Nk, D, q, k, v, out, dout, stats, dq, dk, dv, ws)
		return [][]float32{out, stats, dq, dk, dv}
	}
	simd.SetThreads(1)
	want := run(NewWorkspace())
	simd.SetThreads(3)
	ws := NewWorkspace()
	ws.SetThreads(1)
	require.Equal(t, want, run(ws))
	require.Len(t, ws.workers, 1, "one worker's scratch")
	ws.SetThreads(0)
	run(ws)
	require.Len(t, ws.workers, 3, "simd.Threads() again")
	require.PanicsWithValue(t, "attention: Workspace.SetThreads: n = -1 < 0", func() { ws.SetThreads(-1) })
}
