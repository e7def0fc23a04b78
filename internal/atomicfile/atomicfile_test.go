package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A complete write replaces the file with the new contents and mode and leaves
// nothing else in the directory.
func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.bin")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, WriteFile(path, []byte("new contents"), 0o644))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new contents", string(got))
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), info.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}

// An error from the writer is returned as it is, the old file survives (even when the
// writer wrote part of the new one first) and no temporary file is left behind.
func TestWriteWriterError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.bin")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	errStop := errors.New("stop")
	err := Write(path, 0o644, func(w io.Writer) error {
		if _, err := w.Write(make([]byte, 1<<17)); err != nil {
			return err
		}
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	got, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	require.Equal(t, "old", string(got))
	entries, derr := os.ReadDir(dir)
	require.NoError(t, derr)
	require.Len(t, entries, 1)
}

// A directory that does not exist is an error, and nothing is created.
func TestWriteFileMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	require.Error(t, WriteFile(filepath.Join(dir, "missing", "out.bin"), []byte("x"), 0o644))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}
