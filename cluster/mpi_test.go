//go:build mpi

package cluster

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const isMPI = WithMPI

// TestMPIChunked cuts the buffers into pieces of 7 elements, as buffers longer than a
// C int are cut, and checks that every piece arrived.
func TestMPIChunked(t *testing.T) {
	defer func(old int) { chunkElems = old }(chunkElems)
	chunkElems = 7
	sum := make([]float64, 100)
	for i := range sum {
		sum[i] = float64((Rank() + 1) * (i + 1))
	}
	require.NoError(t, AllReduceSumFloat64(sum))
	for i, v := range sum {
		require.Equal(t, float64(i+1)*rankSum(), v, "element %d", i)
	}
	b := make([]byte, 50)
	if Rank() == 0 {
		for i := range b {
			b[i] = byte(i + 1)
		}
	}
	require.NoError(t, BroadcastBytes(b, 0))
	for i, v := range b {
		require.Equal(t, byte(i+1), v, "byte %d", i)
	}
}
