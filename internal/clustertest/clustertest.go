package clustertest

import (
	"math"
	"slices"
	"testing"

	"github.com/kernelmachines/bkm/cluster"
	"github.com/stretchr/testify/require"
)

// Join starts MPI for the test (cluster.Init) and finalizes it when the test ends.
func Join(t testing.TB) {
	t.Helper()
	require.NoError(t, cluster.Init())
	t.Cleanup(func() { require.NoError(t, cluster.Finalize()) })
}

// RequireSameAsRoot fails the test on every rank whose x differs from rank 0's in any
// bit (one broadcast of rank 0's x); what names x in the message.
func RequireSameAsRoot[E float32 | float64](t testing.TB, x []E, what string) {
	t.Helper()
	root := slices.Clone(x)
	var err error
	switch r := any(root).(type) {
	case []float32:
		err = cluster.BroadcastFloat32(r, 0)
	case []float64:
		err = cluster.BroadcastFloat64(r, 0)
	}
	require.NoError(t, err)
	require.Equal(t, bits(root), bits(x), "rank %d's %s differ from rank 0's", cluster.Rank(), what)
}

// bits returns the bit patterns of x: unlike ==, they tell 0 from −0 and NaN equals NaN.
func bits[E float32 | float64](x []E) []uint64 {
	out := make([]uint64, len(x))
	for i, v := range x {
		switch v := any(v).(type) {
		case float32:
			out[i] = uint64(math.Float32bits(v))
		case float64:
			out[i] = math.Float64bits(v)
		}
	}
	return out
}
