//go:build linux

package atomicfile

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A write that fails half way (here: past RLIMIT_FSIZE, which makes write(2) return
// EFBIG; the Go runtime ignores SIGXFSZ) must leave the old file untouched, return the
// error and leave no temporary file behind.
func TestWriteFileFailedWrite(t *testing.T) {
	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old))
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	require.NoError(t, WriteFile(path, []byte("old contents"), 0o644))

	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 16, Max: old.Max}))
	err := WriteFile(path, make([]byte, 1<<20), 0o644)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old))

	require.Error(t, err, "a failed write must be reported")
	requireOnlyFile(t, dir, path, "old contents")
}
