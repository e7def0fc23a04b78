package bkm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in   string
		header     bool
		want       []float32
		rows, cols int
	}{
		{"plain", "1,2\n3,4\n", false, []float32{1, 2, 3, 4}, 2, 2},
		{"header", "x, y\n1,2\n3,4\n", false, []float32{1, 2, 3, 4}, 2, 2},
		{"comments and spaces", "# points\n 1, 2\n\n3 ,4", false, []float32{1, 2, 3, 4}, 2, 2},
		// Excel writes a byte order mark: it is not part of the first cell.
		{"BOM", "\uFEFF1,2\n3,4\n", false, []float32{1, 2, 3, 4}, 2, 2},
		{"BOM and header", "\uFEFFa,b\n1,2\n", false, []float32{1, 2}, 1, 2},
		{"numeric header by option", "1,2\n3,4\n", true, []float32{3, 4}, 1, 2},
		{"one column", "a\n-1.5e3\n", false, []float32{-1500}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, rows, cols, err := ReadCSV(strings.NewReader(tc.in), "in.csv", CSVOptions{Header: tc.header})
			require.NoError(t, err)
			require.Equal(t, tc.want, x)
			require.Equal(t, tc.rows, rows)
			require.Equal(t, tc.cols, cols)
		})
	}
}

// A first row that fails to parse is not a header unless no cell of it is a number:
// a typo or a NaN in row 1 is an error naming the cell, not a dropped row.
func TestReadCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"typo in row 1", "1,2.o,3\n4,5,6\n", `in.csv:1:3: field 2: "2.o" is not a number`},
		{"NaN in row 1", "NaN,1\n2,3\n", `in.csv:1:1: field 1: "NaN" is not finite`},
		{"Inf later", "1,2\n3, -Inf\n", `in.csv:2:4: field 2: "-Inf" is not finite`},
		{"out of range", "1,1e39\n", `in.csv:1:3: field 2: "1e39" is out of float32 range`},
		{"text after header", "a,b\n1,oops\n", `in.csv:2:3: field 2: "oops" is not a number`},
		{"BOM and typo", "\uFEFF1,x\n", `in.csv:1:3: field 2: "x" is not a number`},
		{"empty cell", "1,,3\n", `in.csv:1:3: field 2: "" is not a number`},
		{"ragged", "1,2,3\n4,5\n", "in.csv:2: 2 columns, earlier rows have 3"},
		{"bad quote", "1,\"2\n", "in.csv:1:6: extraneous or missing \" in quoted-field"},
		{"header only", "a,b\n", "in.csv: no data rows"},
		{"empty", "", "in.csv: no data rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := ReadCSV(strings.NewReader(tc.in), "in.csv", CSVOptions{})
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestReadCSVFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.csv")
	require.NoError(t, os.WriteFile(path, []byte("1,2\n3,x\n"), 0o644))
	_, _, _, err := ReadCSVFile(path, CSVOptions{})
	require.EqualError(t, err, path+`:2:3: field 2: "x" is not a number`)
	_, _, _, err = ReadCSVFile(path+".missing", CSVOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
}
