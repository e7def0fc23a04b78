package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMeanStdAndTable(t *testing.T) {
	m, s := meanStd([]float64{1, 2, 3, 4})
	require.InDelta(t, 2.5, m, 1e-12)
	require.InDelta(t, 1.2909944487358056, s, 1e-12) // sample std, n−1
	require.Equal(t, "2.50 ± 1.29", pm([]float64{1, 2, 3, 4}, 2))
	require.Equal(t, "3.0000", pm([]float64{3}, 4))

	c, ok := meanCurve("edp", []curve{
		{Steps: []float64{0, 10, 20}, Vals: []float64{6, 4, 3}},
		{Steps: []float64{0, 10}, Vals: []float64{8, 6}},
	})
	require.True(t, ok)
	require.Equal(t, []float64{0, 10}, c.Steps, "cut to the shortest curve")
	require.Equal(t, []float64{7, 5}, c.Vals)
}
