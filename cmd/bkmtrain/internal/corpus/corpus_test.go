package corpus

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestEmbeddedPairs(t *testing.T) {
	for name, data := range map[string][]byte{"train": Train(), "valid": Valid()} {
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		require.Greater(t, len(lines), 50, name)
		for i, l := range lines {
			parts := bytes.Split(l, []byte("\t"))
			require.Len(t, parts, 2, "%s line %d: %q", name, i+1, l)
			for _, p := range parts {
				require.NotEmpty(t, p, "%s line %d", name, i+1)
				require.LessOrEqual(t, len(p), 80, "%s line %d", name, i+1)
				require.True(t, utf8.Valid(p), "%s line %d", name, i+1)
			}
		}
	}
	require.Contains(t, string(Train()), "EN el principio crió Dios los cielos y la tierra.\tIn the beginning, God created the heavens and the earth.\n")
}
