package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadConfigFileRejectsTrailingData: a --config file must hold one JSON value; a
// second object or stray text after it used to be ignored.
func TestReadConfigFileRejectsTrailingData(t *testing.T) {
	dir := t.TempDir()
	good := mustWrite(t, dir, "good.json", `{"seed": 3}`+"\n")
	cfg, err := readConfigFile(good)
	require.NoError(t, err)
	require.Equal(t, uint64(3), cfg.Seed)
	bad := mustWrite(t, dir, "bad.json", `{"seed": 3} {"seed": 4}`)
	_, err = readConfigFile(bad)
	require.ErrorContains(t, err, "trailing data after the JSON value")
}
