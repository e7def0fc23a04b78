package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/onnx"
	"github.com/stretchr/testify/require"
)

// TestExportCommand exports a trained run and refuses to export over it a second time.
func TestExportCommand(t *testing.T) {
	dir := contractDir(t)
	r := runIn(t, dir, "", "export", "--onnx", "out", "--checkpoint", "run")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "decoder_step.onnx")
	b, err := os.ReadFile(filepath.Join(dir, "out", onnx.ManifestFile))
	require.NoError(t, err)
	var man onnx.Manifest
	require.NoError(t, json.Unmarshal(b, &man))
	require.Equal(t, 17, man.Opset)
	for _, f := range []string{onnx.EncoderFile, onnx.DecoderStepFile, onnx.TokenizerFile} {
		require.FileExists(t, filepath.Join(dir, "out", f))
	}
	r = runIn(t, dir, "", "export", "--onnx", "out", "--checkpoint", "run")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "exists")
}
