package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/kernelmachines/bkm/onnx"
)

// runExport writes a translation checkpoint as ONNX models (package onnx does the work).
func runExport(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", stderr)
	dir := fs.String("onnx", "", "directory to write encoder.onnx, decoder_step.onnx, tokenizer.json and manifest.json into (required; created if missing, never overwritten)")
	ckpt := fs.String("checkpoint", "", "checkpoint file or run directory (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usagef("--onnx DIR is required")
	}
	if *ckpt == "" {
		return usagef("--checkpoint is required")
	}
	man, err := onnx.ExportCheckpoint(*dir, resolveCheckpoint(*ckpt))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (opset %d; kernels %v), %s, %s\n",
		filepath.Join(*dir, man.Encoder), man.DecoderStep, man.Opset, man.Kernels, man.Tokenizer, onnx.ManifestFile)
	return nil
}
