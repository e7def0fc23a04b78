package bkm

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// CSVOptions configure ReadCSV.
type CSVOptions struct {
	// Header says the first row is a header, whatever it holds. Without it the first
	// row is a header only when none of its cells is a number.
	Header bool
}

// ReadCSV reads a numeric matrix from CSV: one row per point, the same number of
// columns on every row, '#' comment lines skipped, a leading UTF-8 byte order mark
// ignored. It returns the rows×cols values row-major as float32. A cell that is not a
// finite float32 (text, NaN, ±Inf, out of range) is an error naming it as
// name:line:column (column in bytes, as editors count) and its field number; name is
// what errors call the input, usually its path.
func ReadCSV(r io.Reader, name string, o CSVOptions) (vals []float32, rows, cols int, err error) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\uFEFF")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	cr.ReuseRecord = true
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, 0, 0, fmt.Errorf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, 0, 0, fmt.Errorf("%s: %w", name, err)
		}
		if first {
			first = false
			if o.Header || isHeader(rec) {
				continue
			}
		}
		line, _ := cr.FieldPos(0)
		if rows > 0 && len(rec) != cols {
			return nil, 0, 0, fmt.Errorf("%s:%d: %d columns, earlier rows have %d", name, line, len(rec), cols)
		}
		for j, s := range rec {
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				l, c := cr.FieldPos(j)
				what := "not a number"
				switch {
				case err == nil:
					what = "not finite"
				case errors.Is(err, strconv.ErrRange):
					what = "out of float32 range"
				}
				return nil, 0, 0, fmt.Errorf("%s:%d:%d: field %d: %q is %s", name, l, c, j+1, s, what)
			}
			vals = append(vals, float32(x))
		}
		cols = len(rec)
		rows++
	}
	if rows == 0 {
		return nil, 0, 0, fmt.Errorf("%s: no data rows", name)
	}
	return vals, rows, cols, nil
}

// isHeader reports whether no cell of a row parses as a number (NaN and Inf count as
// numbers: a row of them is bad data, not a header).
func isHeader(rec []string) bool {
	for _, s := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}

// ReadCSVFile is ReadCSV of the file at path; errors name the path.
func ReadCSVFile(path string, o CSVOptions) (vals []float32, rows, cols int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	return ReadCSV(f, path, o)
}
