//go:build unix && !aix

package main

import (
	"errors"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// lockDir takes flock's exclusive lock on the directory dir itself, without waiting:
// errDirLocked when another process holds it, an *fs.PathError when dir cannot be opened.
func lockDir(dir string) (unlock func(), err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		d.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errDirLocked
		}
		return nil, err
	}
	return func() { d.Close() }, nil
}

// notifyRankStop relays to c the signal mpirun forwards to the ranks when it is
// interrupted (SIGUSR1), so that a distributed run saves and stops like a single one.
func notifyRankStop(c chan<- os.Signal) { signal.Notify(c, unix.SIGUSR1) }
