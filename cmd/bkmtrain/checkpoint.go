package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kernelmachines/bkm/train"
)

// Checkpoints are package train's format (train.Trainer.Save / ReadCheckpoint): model,
// AdamW state, step counters, data position and tokenizer, with a checksum, written
// atomically.

func (e *engine) save(path string) error {
	var data train.DataState
	if e.loader != nil {
		data = e.loader.State()
	}
	return e.tr.Save(path, data, e.tok)
}

// checkpointConfig returns the config stored in a checkpoint.
func checkpointConfig(path string) (train.Config, error) {
	hdr, _, _, err := train.ReadCheckpoint(path)
	if err != nil {
		return train.Config{}, fmt.Errorf("checkpoint: %w", err)
	}
	return hdr.Config, nil
}

// loadEngine rebuilds the engine of a checkpoint: model, optimizer, step counters,
// tokenizer and data position (ds nil: the model only). cfg is the checkpoint's config
// with the allowed overrides (steps, threads) applied.
func loadEngine(path string, cfg train.Config, ds *dataSet) (*engine, error) {
	hdr, _, _, err := train.ReadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	tok, err := hdr.Tokenizer.Tokenizer()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	e, err := newEngine(cfg, ds, tok)
	if err != nil {
		return nil, err
	}
	if _, err := e.tr.LoadInto(path); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if ds == nil {
		return e, nil
	}
	if err := e.loader.SetState(hdr.Data); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w (was it trained on other data?)", path, err)
	}
	return e, nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and renames it
// over path, so a crash leaves the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	// Each step runs only if the ones before it succeeded; the first error wins and
	// the temporary file is removed, so path is never replaced by a partial file.
	err = f.Chmod(0o644)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
