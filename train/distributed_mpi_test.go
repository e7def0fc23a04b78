//go:build mpi

package train

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/cluster"
	"github.com/kernelmachines/bkm/internal/alloctest"
	"github.com/kernelmachines/bkm/internal/clustertest"
	"github.com/stretchr/testify/require"
)

// TestMPIDistributedMatchesOneProcess runs under mpirun (see .ci/run): the ranks train
// dpConfig's model for 20 updates on their shards of every global batch over
// cluster.World, and every rank also trains one process alone on the same global
// batches; the parameters agree within dpTolerance and are identical on every rank.
// Only rank 0 writes the checkpoint. Then a step allocates nothing.
func TestMPIDistributedMatchesOneProcess(t *testing.T) {
	clustertest.Join(t)
	const n = 20
	var got, want []float64
	s := newDPSession(t)
	require.NoError(t, s.Distribute(cluster.World{}))
	require.NoError(t, steps(n, &got)(s))
	alone := newDPSession(t)
	require.NoError(t, steps(n, &want)(alone))

	d := maxAbsDiff(alone.Trainer.Model.Params, s.Trainer.Model.Params)
	t.Logf("rank %d of %d: max |Δθ| = %.3g against one process after %d steps", cluster.Rank(), cluster.Size(), d, n)
	require.LessOrEqual(t, d, dpTolerance)
	if s.IsRoot() {
		require.InDeltaSlice(t, want, got, 1e-5)
	}
	clustertest.RequireSameAsRoot(t, s.Trainer.Model.Params, "parameters")

	dir := os.TempDir()
	path := filepath.Join(dir, fmt.Sprintf("bkm-mpi-%d-rank%d.bkm", os.Getppid(), cluster.Rank()))
	defer os.Remove(path)
	require.NoError(t, s.Save(path))
	if cluster.Rank() == 0 {
		require.FileExists(t, path)
	} else {
		require.NoFileExists(t, path, "only rank 0 writes")
	}
	t.Run("allocations", func(t *testing.T) { requireStepAllocatesNothing(t, s) })
}

// requireStepAllocatesNothing: once every batch has been seen (the arenas and the
// shards sized), a data-parallel step of s allocates nothing in bkm's code: the shard
// plan, the reduce-scatters, the sums and the all-gather reuse their buffers and
// requests. (Part of TestMPIDistributedMatchesOneProcess: MPI starts once a process.)
func requireStepAllocatesNothing(t *testing.T, s *Session) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items and adds allocations")
	}
	batches := s.loader.Batches()
	run := func() {
		for _, b := range batches {
			if _, err := s.Trainer.Step(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	run() // warm-up
	n, report := alloctest.Library(run)
	require.Zero(t, n, "rank %d, %d steps:\n%s", cluster.Rank(), len(batches), report)
}
