package train

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuickConfigValidates(t *testing.T) {
	for _, arch := range []string{"encdec", "decoder"} {
		cfg, err := QuickConfig(arch)
		require.NoError(t, err)
		require.Equal(t, arch, cfg.Model.Arch)
		cfg.Model.Vocab = 1000
		require.NoError(t, cfg.Validate(), arch)
	}
	_, err := QuickConfig("rnn")
	require.ErrorContains(t, err, `arch "rnn": want encdec or decoder`)
}
