package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// The embedded splits are the files scripts/bible-corpus.sh writes (the sha256 sums
// doc.go records), and every line is a pair of non-empty UTF-8 sides.
func TestEmbeddedPairs(t *testing.T) {
	for _, split := range []struct {
		name, sha256 string
		data         []byte
		pairs        int
	}{
		{"train", "5fe6c924b073af04fb3dbf69a23052e9028a7286ea036a917df98cadfab4fc66", Train(), 29323},
		{"valid", "4fd226b3fb4c24bcacc4bf95c2a88b225c8bd414e0b3ef2c0a697e9db71adf08", Valid(), 468},
	} {
		sum := sha256.Sum256(split.data)
		require.Equal(t, split.sha256, hex.EncodeToString(sum[:]), split.name)
		lines := bytes.Split(bytes.TrimSuffix(split.data, []byte("\n")), []byte("\n"))
		require.Len(t, lines, split.pairs, split.name)
		for i, l := range lines {
			parts := bytes.Split(l, []byte("\t"))
			require.Len(t, parts, 2, "%s line %d: %q", split.name, i+1, l)
			for _, p := range parts {
				require.NotEmpty(t, p, "%s line %d", split.name, i+1)
				require.True(t, utf8.Valid(p), "%s line %d", split.name, i+1)
			}
		}
	}
	require.Contains(t, string(Train()), "EN el principio crió Dios los cielos y la tierra.\tIn the beginning, God created the heavens and the earth.\n")
}
