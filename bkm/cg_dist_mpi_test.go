//go:build mpi

package bkm

import (
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/cluster"
	"github.com/stretchr/testify/require"
)

// TestMPIDistributedCG runs under mpirun (see .ci/run): every rank solves the same
// problem with SolveP1CGDistributed over cluster.World, and the solution must equal
// the single-process SolveP1CG within 1e-6 relative and be the same on every rank.
func TestMPIDistributedCG(t *testing.T) {
	require.NoError(t, cluster.Init())
	defer func() { require.NoError(t, cluster.Finalize()) }()
	const n, m = 2000, 400
	p := asymProblem(22, attention.RBF(), n, m, 16, 16, 16, 1)
	o := Options{Lambda: 1, Regularizer: RegTikhonov, Tol: 1e-10, MaxIter: 2000, Precondition: true}
	md, rep, err := SolveP1CGDistributed(p, o, cluster.World{})
	require.NoError(t, err, "%v", rep)
	one, rep1, err := SolveP1CG(p, o)
	require.NoError(t, err, "%v", rep1)
	e := relErr(md.C, one.C)
	t.Logf("rank %d of %d: %v; 1 rank: %v; coefficient rel diff %.3g", cluster.Rank(), cluster.Size(), rep, rep1, e)
	require.Less(t, e, 1e-6)

	root := append([]float64(nil), md.C...)
	require.NoError(t, cluster.BroadcastFloat64(root, 0))
	require.Equal(t, root, md.C, "rank %d's solution differs from rank 0's", cluster.Rank())
}
