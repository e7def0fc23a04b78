package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLockRunDir: the run directory's lock (platform_*.go) excludes a second holder
// until released, even within one process (a second open of the directory), names a
// directory that does not exist, and on Unix leaves no file in the directory.
func TestLockRunDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockRunDir(dir)
	require.NoError(t, err)
	_, err = lockRunDir(dir)
	require.EqualError(t, err, dir+" is in use by another bkmtrain run: wait for it to end, or choose another --out")
	if runtime.GOOS != "windows" { // Windows holds a delete-on-close lock file instead
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, entries, "the lock leaves no file behind")
	}
	unlock()
	unlock, err = lockRunDir(dir)
	require.NoError(t, err, "released")
	unlock()

	missing := filepath.Join(dir, "missing")
	_, err = lockRunDir(missing)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "checkpoint directory "+missing+": ")
}
