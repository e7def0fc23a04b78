package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadDataEmbeddedAndFiles(t *testing.T) {
	ds, err := loadData("translate", "", "")
	require.NoError(t, err)
	require.Greater(t, len(ds.Train), 1000)
	require.NotEmpty(t, ds.Valid)

	ds, err = loadData("lm", "", "")
	require.NoError(t, err)
	require.Equal(t, len(ds.Train), len(ds.TrainText))

	dir := t.TempDir()
	p := mustWrite(t, dir, "t.txt", "one line\n\ntwo\n")
	ds, err = loadData("lm", p, p)
	require.NoError(t, err)
	require.Equal(t, []string{"one line", "two"}, ds.TrainText)

	_, err = loadData("translate", filepath.Join(dir, "missing.tsv"), p)
	require.ErrorContains(t, err, "missing.tsv: no such file")
	_, err = loadData("translate", p, "")
	require.ErrorContains(t, err, "--train and --valid go together")
}
