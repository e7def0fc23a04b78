//go:build !windows && (!unix || aix)

package main

import "os"

// lockDir takes no lock: these systems (AIX, Plan 9, WebAssembly) have no flock, so
// two runs into one --out are told apart only by checkOutDir's look for another run's
// files.
func lockDir(dir string) (unlock func(), err error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	return func() {}, nil
}

// notifyRankStop does nothing: mpirun's SIGUSR1 is relayed on the Unix systems only.
func notifyRankStop(c chan<- os.Signal) {}
