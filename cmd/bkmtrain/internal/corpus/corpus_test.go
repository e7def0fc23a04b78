package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestEmbeddedPairs(t *testing.T) {
	for name, data := range map[string][]byte{"train": Train(), "valid": Valid()} {
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		require.Greater(t, len(lines), 400, name)
		for i, l := range lines {
			parts := bytes.Split(l, []byte("\t"))
			require.Len(t, parts, 2, "%s line %d: %q", name, i+1, l)
			for _, p := range parts {
				require.NotEmpty(t, p, "%s line %d", name, i+1)
				require.True(t, utf8.Valid(p), "%s line %d", name, i+1)
			}
		}
	}
	// The sha256 sums doc.go records, which scripts/bible-corpus.sh prints.
	for name, want := range map[string]string{
		"train": "5fe6c924b073af04fb3dbf69a23052e9028a7286ea036a917df98cadfab4fc66",
		"valid": "4fd226b3fb4c24bcacc4bf95c2a88b225c8bd414e0b3ef2c0a697e9db71adf08",
	} {
		data := Train()
		if name == "valid" {
			data = Valid()
		}
		sum := sha256.Sum256(data)
		require.Equal(t, want, hex.EncodeToString(sum[:]), name)
	}
	require.Contains(t, string(Train()), "EN el principio crió Dios los cielos y la tierra.\tIn the beginning, God created the heavens and the earth.\n")
}
