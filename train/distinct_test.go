package train

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDistinctOutputs(t *testing.T) {
	d, n := DistinctOutputs([]string{"a", "b", "c", "a"}, []string{"x", "y", "x", "z"})
	require.Equal(t, 2, d, "a→x, b→y, c→x; the repeated source a counts once, with its first output")
	require.Equal(t, 3, n)
	d, n = DistinctOutputs([]string{"a", "b", "c"}, []string{"same", "same", "same"})
	require.Equal(t, 1, d, "a collapsed model")
	require.Equal(t, 3, n)
	d, n = DistinctOutputs(nil, nil)
	require.Zero(t, d)
	require.Zero(t, n)
	require.PanicsWithValue(t, "train: DistinctOutputs: len(src) != len(hyp)", func() { DistinctOutputs([]string{"a"}, nil) })
}
