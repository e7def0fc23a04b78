package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireOnlyFile requires dir to hold one entry, path, with contents want: a failed
// write left the old file and no temporary file behind.
func requireOnlyFile(t *testing.T, dir, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file may be left behind")
}

// A complete write replaces the file with the new contents and mode.
func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.bin")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, WriteFile(path, []byte("new contents"), 0o644))
	requireOnlyFile(t, dir, path, "new contents")
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), info.Mode().Perm())
}

// An error from the writer is returned as it is and the old file survives, even when
// the writer wrote part of the new one first.
func TestWriteWriterError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.bin")
	require.NoError(t, WriteFile(path, []byte("old"), 0o644))
	errStop := errors.New("stop")
	err := Write(path, 0o644, func(w io.Writer) error {
		if _, err := w.Write(make([]byte, 1<<17)); err != nil {
			return err
		}
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	requireOnlyFile(t, dir, path, "old")
}

// A directory that does not exist is an error, and nothing is created.
func TestWriteFileMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	require.Error(t, WriteFile(filepath.Join(dir, "missing", "out.bin"), []byte("x"), 0o644))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}
