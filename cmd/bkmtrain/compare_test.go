package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCompareRefusesRepeats: a kernel or seed listed twice in compare-kernels is a
// usage error naming it (kernel names compared as ByName reads them, case-insensitively);
// it used to train once and then report the repeat as "finished earlier".
func TestCompareRefusesRepeats(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kernels", "edp,edp,rbf"}, "--kernels: edp is listed twice: give each kernel once"},
		{[]string{"--kernels", "edp, rbf ,laplace,rbf"}, "--kernels: rbf is listed twice"},
		{[]string{"--kernels", "EDP,rbf,edp"}, "--kernels: EDP and edp are one kernel: give each kernel once"},
		{[]string{"--kernels", "edp", "--seeds", "1,2,01"}, "--seeds: 1 is listed twice: give each seed once"},
		{[]string{"--report", "dir", "--kernels", "rbf,edp,rbf"}, "--kernels: rbf is listed twice"},
	} {
		var f compareFlags
		_, err := parseCommand("compare-kernels", io.Discard, &f, tc.args)
		var usage *usageError
		require.ErrorAs(t, err, &usage, "%v", tc.args)
		require.ErrorContains(t, err, tc.want, "%v", tc.args)
	}
	var f compareFlags
	_, err := parseCommand("compare-kernels", io.Discard, &f, []string{"--kernels", "edp,rbf", "--seeds", "1,2"})
	require.NoError(t, err)
	require.Equal(t, []string{"edp", "rbf"}, f.names)
	require.Equal(t, []uint64{1, 2}, f.seedList)
}
