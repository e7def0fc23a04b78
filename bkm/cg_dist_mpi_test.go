//go:build mpi

package bkm

import (
	"os"
	"strconv"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/cluster"
	"github.com/kernelmachines/bkm/internal/clustertest"
	"github.com/stretchr/testify/require"
)

// TestMPIDistributedCG runs under mpirun (see .ci/run): every rank solves the same
// problem with SolveP1CGDistributed over cluster.World, and the solution must equal
// the single-process SolveP1CG within 1e-6 relative and be the same on every rank.
// Each rank runs one thread: the ranks are the parallelism. BKM_MPI_CG_N and
// BKM_MPI_CG_M change the sizes (n = 2000, m = 400) for a larger one-off run.
func TestMPIDistributedCG(t *testing.T) {
	clustertest.Join(t)
	n, m := envInt(t, "BKM_MPI_CG_N", 2000), envInt(t, "BKM_MPI_CG_M", 400)
	p := asymProblem(22, attention.RBF(), n, m, 16, 16, 16, 1)
	// λ grows with n as KᵀK does, so the conditioning (and the iteration count) stays
	// that of the default sizes.
	o := Options{Lambda: float64(n) / 2000, Regularizer: RegTikhonov, Tol: 1e-10, MaxIter: 2000, Precondition: true, Threads: 1}
	md, rep, err := SolveP1CGDistributed(p, o, cluster.World{})
	require.NoError(t, err, "%v", rep)
	one, rep1, err := SolveP1CG(p, o)
	require.NoError(t, err, "%v", rep1)
	e := relErr(md.C, one.C)
	t.Logf("rank %d of %d: %v; 1 rank: %v; coefficient rel diff %.3g", cluster.Rank(), cluster.Size(), rep, rep1, e)
	require.Less(t, e, 1e-6)
	clustertest.RequireSameAsRoot(t, md.C, "solution")
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	require.NoError(t, err, name)
	return v
}
