package train

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseTSV: any bytes either parse into pairs whose sides hold no tab, line break
// or NUL and are not blank, and which parse back to themselves, or give an error naming
// the input; never a panic.
func FuzzParseTSV(f *testing.F) {
	seeds := []string{"hola\thello\n", "a\tb\r\nc\td", "a\tb\tc\n", "no tab\n", "\xff\tb\n", "a\x00\tb\n", "a\tb\rc\td\r", "\n\n", ""}
	fuzzReader(f, "f.tsv", seeds, ParseTSV, func(t *testing.T, pairs []TextPair) {
		var sb strings.Builder
		for _, p := range pairs {
			for _, side := range []string{p.Src, p.Tgt} {
				require.NotContains(t, side, "\t")
				require.NotContains(t, side, "\n")
				require.NotContains(t, side, "\x00")
				require.NotEmpty(t, strings.TrimSpace(side))
			}
			sb.WriteString(p.Src + "\t" + p.Tgt + "\n")
		}
		again, err := ParseTSV("f.tsv", []byte(sb.String()))
		require.NoError(t, err)
		require.Equal(t, pairs, again)
	})
}

// FuzzParseTextLines: any bytes either give non-blank trimmed lines that parse back to
// themselves, or an error naming the input; never a panic.
func FuzzParseTextLines(f *testing.F) {
	seeds := []string{"one\ntwo\n", " one \r\n\n", "bin\x00ary", "\xfe", "a\rb", "   \n"}
	fuzzReader(f, "f.txt", seeds, ParseTextLines, func(t *testing.T, lines []string) {
		for _, l := range lines {
			require.Equal(t, strings.TrimSpace(l), l)
			require.NotEmpty(t, l)
		}
		again, err := ParseTextLines("f.txt", []byte(strings.Join(lines, "\n")))
		require.NoError(t, err)
		require.Equal(t, lines, again)
	})
}

// fuzzReader is the fuzz target of a parser of user files: from the seeds and any
// other bytes, parse(name, b) either fails with an error that names the input or
// returns a value that check accepts; it never panics.
func fuzzReader[T any](f *testing.F, name string, seeds []string, parse func(name string, b []byte) (T, error), check func(t *testing.T, v T)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parse(name, b)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), name), "error %q names the file", err)
			return
		}
		check(t, v)
	})
}
