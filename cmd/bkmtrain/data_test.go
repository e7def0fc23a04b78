package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseParallelErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\tb\nno tab here\n", "x.tsv:2: no tab"},
		{"a\tb\tc\n", "x.tsv:1: more than one tab"},
		{"a\tb\n\n \tb\n", "x.tsv:3: empty source side"},
		{"a\t \n", "x.tsv:1: empty target side"},
		{"a\tb\n\xff\tb\n", "x.tsv:2: not valid UTF-8"},
		{"\n\n", "x.tsv: no sentence pairs"},
	} {
		_, err := parseParallel("x.tsv", []byte(tc.in))
		require.ErrorContains(t, err, tc.want, "input %q", tc.in)
	}
	got, err := parseParallel("x.tsv", []byte("hola\thello\r\n\nsí\tyes"))
	require.NoError(t, err)
	require.Equal(t, []pair{{"hola", "hello"}, {"sí", "yes"}}, got)
}

func TestLoadDataEmbeddedAndFiles(t *testing.T) {
	ds, err := loadData("translate", "", "")
	require.NoError(t, err)
	require.Greater(t, len(ds.Train), 1000)
	require.NotEmpty(t, ds.Valid)

	ds, err = loadData("lm", "", "")
	require.NoError(t, err)
	require.Equal(t, len(ds.Train), len(ds.TrainText))

	dir := t.TempDir()
	p := filepath.Join(dir, "t.txt")
	require.NoError(t, os.WriteFile(p, []byte("one line\n\ntwo\n"), 0o644))
	ds, err = loadData("lm", p, p)
	require.NoError(t, err)
	require.Equal(t, []string{"one line", "two"}, ds.TrainText)

	_, err = loadData("translate", filepath.Join(dir, "missing.tsv"), p)
	require.ErrorContains(t, err, "missing.tsv: no such file")
	_, err = loadData("translate", p, "")
	require.ErrorContains(t, err, "--train and --valid go together")
}
