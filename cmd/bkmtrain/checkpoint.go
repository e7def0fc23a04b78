package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kernelmachines/bkm/train"
)

// Checkpoints are package train's format (train.Session.Save, train.ReadCheckpoint):
// model, AdamW state, step counters, data position and tokenizer, with a checksum,
// written atomically.

// checkpointPath is where a run keeps its latest checkpoint.
func checkpointPath(dir string) string { return filepath.Join(dir, "checkpoint.bkm") }

// resolveCheckpoint turns a run directory into its checkpoint file.
func resolveCheckpoint(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return checkpointPath(path)
	}
	return path
}

// readCheckpointHeader returns the header (config, counters, tokenizer) of a checkpoint.
func readCheckpointHeader(path string) (*train.CheckpointHeader, error) {
	hdr, _, _, err := train.ReadCheckpoint(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return hdr, nil
}

// openModel loads the model of a checkpoint file or run directory, without data.
func openModel(path string, threads int) (*train.Session, error) {
	if path == "" {
		return nil, usagef("--checkpoint is required")
	}
	s, err := train.OpenModel(resolveCheckpoint(path), threads)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return s, nil
}

// sameFile reports whether the paths name the same existing file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// runFiles are the files a run writes in its directory.
var runFiles = []string{"checkpoint.bkm", "metrics.jsonl"}

// checkOutDir refuses to replace another run's files in dir without --overwrite: a run
// writes into a directory without a checkpoint or metrics log, or into the directory of
// the checkpoint it resumes.
func checkOutDir(dir, resumed string, overwrite bool) error {
	if overwrite || (resumed != "" && sameFile(resumed, checkpointPath(dir))) {
		return nil
	}
	for _, name := range runFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("%s holds another run (%s): choose another --out, give --overwrite to replace it, or continue it with bkmtrain train --resume %s", dir, name, dir)
		}
	}
	return nil
}

// lockRunDir takes an exclusive lock on the run directory dir (lockDir: on Unix flock on
// the directory itself, so no lock file is left behind, and the kernel drops the lock
// with the process) for as long as the run writes into it, so that a second run started
// into the same --out fails at once instead of interleaving its metrics lines with
// the first's and replacing its checkpoint. unlock releases it.
func lockRunDir(dir string) (unlock func(), err error) {
	unlock, err = lockDir(dir)
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, errDirLocked):
		return nil, fmt.Errorf("%s is in use by another bkmtrain run: wait for it to end, or choose another --out", dir)
	case errors.As(err, &pathErr):
		return nil, fmt.Errorf("checkpoint directory %s: %w", dir, err)
	case err != nil:
		return nil, fmt.Errorf("locking checkpoint directory %s: %w", dir, err)
	}
	return unlock, nil
}

// errDirLocked is lockDir's answer when another process holds the directory's lock.
var errDirLocked = errors.New("directory locked by another process")
