package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// lockDir holds the file .bkmtrain.lock in dir open without sharing (Windows cannot
// lock a directory itself) and deleted when closed, so that no lock file outlives the
// process: errDirLocked when another process holds it, an *fs.PathError when it cannot
// be created.
func lockDir(dir string) (unlock func(), err error) {
	name := filepath.Join(dir, ".bkmtrain.lock")
	path, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	h, err := windows.CreateFile(path, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil,
		windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_HIDDEN|windows.FILE_FLAG_DELETE_ON_CLOSE, 0)
	if errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
		return nil, errDirLocked
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return func() { windows.CloseHandle(h) }, nil
}

// notifyRankStop does nothing: Open MPI's mpirun, which forwards SIGUSR1 to the
// ranks, does not run on Windows.
func notifyRankStop(c chan<- os.Signal) {}
