//go:build linux

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A write that fails half way (here: past RLIMIT_FSIZE, which makes write(2) return
// EFBIG; the Go runtime ignores SIGXFSZ) must leave the old file untouched, return the
// error and leave no temporary file behind.
func TestWriteFileFailedWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	require.NoError(t, WriteFile(path, []byte("old contents"), 0o644))

	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old))
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 16, Max: old.Max}))
	err := WriteFile(path, make([]byte, 1<<20), 0o644)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old))

	require.Error(t, err, "a failed write must be reported")
	got, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	require.Equal(t, "old contents", string(got), "the old file must survive a failed write")
	entries, derr := os.ReadDir(dir)
	require.NoError(t, derr)
	require.Len(t, entries, 1, "no temporary file may be left behind")
}
