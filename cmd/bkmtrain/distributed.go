package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/kernelmachines/bkm/cluster"
	"github.com/kernelmachines/bkm/train"
)

// distFlags are --distributed and --collective-timeout, shared by train and bkm fit.
type distFlags struct {
	on      bool
	timeout time.Duration
}

func (f *distFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "distributed", false, "run as one rank of an MPI job (mpirun/srun -n N bkmtrain ...; needs a build with -tags mpi); see docs/distributed.md")
	fs.DurationVar(&f.timeout, "collective-timeout", 10*time.Minute, "with --distributed: give up when the other ranks do not answer a collective for this long (a rank died or hangs; 0 = wait forever); longer than rank 0's validation and checkpoint writes, which the others wait for")
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

// printCommTimes prints where each rank's training steps spent their time (every rank
// calls it: it gathers the figures; only rank 0's w is not io.Discard).
func printCommTimes(w io.Writer, s *train.Session) error {
	times, err := s.RankCommTimes()
	if err != nil {
		return err
	}
	ms := func(d time.Duration, n int) float64 { return d.Seconds() * 1e3 / float64(max(n, 1)) }
	for r, t := range times {
		n, sh := max(t.Steps, 1), t.Shards
		fmt.Fprintf(w, "rank %d: %d steps, per step %.1f ms: computing %.1f ms (CPU %.1f ms; of it the update of this rank's share after the sums %.1f ms, CPU %.1f ms), starting and progressing the gradient sums during the backward %.2f ms, waiting for the sums after it %.2f ms (%.2f ms of it until the last rank's backward ended), gathering the updated parameters %.2f ms; shards per step %.1f rows, %.0f padded positions, %.0f tokens, the largest minus the smallest rank's %.1f tokens (%.1f in a deal by rows)\n",
			r, t.Steps, ms(t.Step, t.Steps), ms(t.Step-t.Progress-t.Wait-t.Gather, t.Steps), ms(t.ComputeCPU, t.Steps), ms(t.Update, t.Steps), ms(t.UpdateCPU, t.Steps),
			ms(t.Progress, t.Steps), ms(t.Wait, t.Steps), ms(t.Lag, t.Steps), ms(t.Gather, t.Steps),
			float64(sh.Rows)/float64(n), float64(sh.Padded)/float64(n), float64(sh.Tokens)/float64(n),
			float64(sh.Spread)/float64(n), float64(sh.RowSpread)/float64(n))
	}
	return nil
}
