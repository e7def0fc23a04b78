package train

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeConfig: no config JSON panics the reader or Validate, and every config that
// validates can be written back as JSON — a NaN or infinite field used to pass, train,
// and then fail to save ("json: unsupported value: NaN"). The seed corpus
// (testdata/fuzz/FuzzDecodeConfig) holds the defaults, a language model, trailing data,
// unknown fields and out-of-range values.
func FuzzDecodeConfig(f *testing.F) {
	def, err := json.Marshal(DefaultConfig())
	require.NoError(f, err)
	f.Add(def)
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := DecodeConfig(bytes.NewReader(b), DefaultConfig())
		if err != nil {
			return
		}
		if cfg.Validate() != nil {
			return
		}
		out, err := json.Marshal(cfg)
		require.NoError(t, err, "a valid config saves")
		back, err := DecodeConfig(bytes.NewReader(out), Config{})
		require.NoError(t, err)
		require.NoError(t, back.Validate(), "and reads back valid")
	})
}
