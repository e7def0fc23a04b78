package alloctest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kernelmachines/bkm/internal/alloctest"
	"github.com/kernelmachines/bkm/internal/atomicfile"
)

var sink []byte

func TestLibraryCountsModuleAllocations(t *testing.T) {
	// atomicfile's error path allocates (fmt, os): those allocations are bkm's.
	n, report := alloctest.Library(func() {
		_ = atomicfile.WriteFile("/nonexistent-dir/x", []byte("x"), 0o644)
	})
	assert.Positive(t, n)
	assert.Contains(t, report, "atomicfile")
}

func TestLibraryIgnoresTestAllocations(t *testing.T) {
	n, report := alloctest.Library(func() {
		for i := 0; i < 10; i++ {
			sink = make([]byte, 64+i)
		}
	})
	require.Zero(t, n, report)
}
