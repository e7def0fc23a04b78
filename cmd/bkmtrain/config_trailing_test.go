package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadConfigFileRejectsTrailingData: a --config file must hold one JSON value; a
// second object or stray text after it used to be ignored.
func TestReadConfigFileRejectsTrailingData(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"seed": 3}`+"\n"), 0o644))
	cfg, err := readConfigFile(good)
	require.NoError(t, err)
	require.Equal(t, uint64(3), cfg.Seed)
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"seed": 3} {"seed": 4}`), 0o644))
	_, err = readConfigFile(bad)
	require.ErrorContains(t, err, "trailing data after the JSON value")
}
