package main

import (
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestServeFlagLimits: serve's flags beyond what the server can honour are usage
// errors naming the flag and its limit, found before the checkpoint is read (none is
// given here); `--workers 100000` used to start 100,000 decoders on the machine's cores.
func TestServeFlagLimits(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--threads", "2", "--workers", "3"}, "--workers = 3: must be in [0, 2], at most one decoder a thread (2 threads: --threads, or the cores when 0)"},
		{[]string{"--workers", "100000"}, fmt.Sprintf("--workers = 100000: must be in [0, %d]", runtime.GOMAXPROCS(0))},
		{[]string{"--workers", "-1"}, "--workers = -1: must be in [0, "},
		{[]string{"--queue", "100000000"}, "--queue = 100000000: must be at most 65536 (each waiting request holds its body)"},
		{[]string{"--max-batch", "1", "--max-beam", "1000"}, "--max-beam = 1000: must be at most 128"},
		{[]string{"--max-wait", "30s"}, "--max-wait = 30s: must be less than --timeout (30s), or a lone request times out while its decoder waits for more"},
		{[]string{"--max-wait", "2s", "--timeout", "1s"}, "--max-wait = 2s: must be less than --timeout (1s)"},
		{[]string{"--max-batch", "100000"}, "--max-batch × --max-beam = 100000 × 16: must be ≤ 4096"},
		{[]string{"--grace", "0s"}, "--grace must be > 0"},
	} {
		err := runServe(tc.args, nil, io.Discard, io.Discard)
		var usage *usageError
		require.ErrorAs(t, err, &usage, "%v", tc.args)
		require.ErrorContains(t, err, tc.want, "%v", tc.args)
	}
	// At the limits the flags pass, and serve goes on to read the checkpoint.
	err := runServe([]string{"--threads", "2", "--workers", "2", "--queue", "65536", "--max-batch", "32", "--max-beam", "128",
		"--max-wait", "29s"}, nil, io.Discard, io.Discard)
	require.EqualError(t, err, "--checkpoint is required")
}
