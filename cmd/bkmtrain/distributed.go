package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/kernelmachines/bkm/cluster"
)

// distFlags are --distributed and --collective-timeout, shared by train and bkm fit.
type distFlags struct {
	on      bool
	timeout time.Duration
}

func (f *distFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "distributed", false, "run as one rank of an MPI job (mpirun/srun -n N bkmtrain ...; needs a build with -tags mpi); see docs/distributed.md")
	fs.DurationVar(&f.timeout, "collective-timeout", 2*time.Minute, "with --distributed: give up when the other ranks do not answer a collective for this long (a rank died or hangs; 0 = wait forever)")
}

// check rejects --distributed in a build without MPI and a negative timeout.
func (f *distFlags) check() error {
	if f.timeout < 0 {
		return usagef("--collective-timeout = %v: must be ≥ 0", f.timeout)
	}
	if f.on && !cluster.WithMPI {
		return usagef("--distributed: this bkmtrain was built without MPI; build it with `go build -tags mpi ./cmd/bkmtrain` (needs Open MPI: apt-get install openmpi-bin libopenmpi-dev) and start it with mpirun")
	}
	return nil
}

// join joins the MPI job when --distributed is on; a successful join is followed by
// a deferred leave.
func (f *distFlags) join() error {
	if !f.on {
		return nil
	}
	cluster.SetTimeout(f.timeout)
	if err := cluster.Init(); err != nil {
		return fmt.Errorf("--distributed: %w", err)
	}
	return nil
}

// leave leaves the MPI job joined by join; an error in leaving becomes *err unless
// *err already holds the command's own error.
func (f *distFlags) leave(err *error) {
	if !f.on {
		return
	}
	if lerr := cluster.Finalize(); *err == nil {
		*err = lerr
	}
}
