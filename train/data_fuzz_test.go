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
	for _, s := range []string{"hola\thello\n", "a\tb\r\nc\td", "a\tb\tc\n", "no tab\n", "\xff\tb\n", "a\x00\tb\n", "a\tb\rc\td\r", "\n\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pairs, err := ParseTSV("f.tsv", b)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "f.tsv"), "error %q names the file", err)
			return
		}
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
	for _, s := range []string{"one\ntwo\n", " one \r\n\n", "bin\x00ary", "\xfe", "a\rb", "   \n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := ParseTextLines("f.txt", b)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "f.txt"), "error %q names the file", err)
			return
		}
		for _, l := range lines {
			require.Equal(t, strings.TrimSpace(l), l)
			require.NotEmpty(t, l)
		}
		again, err := ParseTextLines("f.txt", []byte(strings.Join(lines, "\n")))
		require.NoError(t, err)
		require.Equal(t, lines, again)
	})
}
