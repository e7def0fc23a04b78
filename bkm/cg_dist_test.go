package bkm

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// localGroup is an in-process Comm of size goroutines: each all-reduce waits for all
// ranks and sums their buffers in rank order, so every rank gets the same bits, as
// from MPI_Allreduce. It lets the default test run check the splitting on several
// ranks; the MPI run (cg_dist_mpi_test.go) checks it across processes.
type localGroup struct {
	mu      sync.Mutex
	cond    *sync.Cond
	parts   [][]float64
	sum     []float64
	arrived int
	leaving int
	round   int
	fail    error // returned by every all-reduce when set
}

type localRank struct {
	g          *localGroup
	rank, size int
}

func newLocalGroup(size int) []localRank {
	g := &localGroup{parts: make([][]float64, size)}
	g.cond = sync.NewCond(&g.mu)
	ranks := make([]localRank, size)
	for r := range ranks {
		ranks[r] = localRank{g, r, size}
	}
	return ranks
}

func (r localRank) Rank() int { return r.rank }
func (r localRank) Size() int { return r.size }

func (r localRank) AllReduceSumFloat64(buf []float64) error {
	g := r.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return g.fail
	}
	for g.leaving > 0 { // the previous round is still being read
		g.cond.Wait()
	}
	g.parts[r.rank] = append(g.parts[r.rank][:0], buf...)
	g.arrived++
	if g.arrived == r.size {
		g.sum = make([]float64, len(buf))
		for _, part := range g.parts {
			if len(part) != len(buf) {
				panic(fmt.Sprintf("localGroup: all-reduce of %d and %d values", len(part), len(buf)))
			}
			for i, v := range part {
				g.sum[i] += v
			}
		}
		g.arrived, g.leaving = 0, r.size
		g.round++
		g.cond.Broadcast()
	} else {
		for round := g.round; g.round == round; {
			g.cond.Wait()
		}
	}
	copy(buf, g.sum)
	g.leaving--
	if g.leaving == 0 {
		g.cond.Broadcast()
	}
	return nil
}

// solveOnRanks runs solve (SolveP1CGDistributed or SolveP2CGDistributed) on every
// rank of comms at once and checks that all ranks succeed or fail together and return
// the same coefficients after as many iterations.
func solveOnRanks[M interface{ Coefficients() []float64 }, C Comm](t *testing.T, solve func(*Problem, Options, Comm) (M, Report, error), p *Problem, o Options, comms []C) (M, Report, error) {
	t.Helper()
	mds := make([]M, len(comms))
	reps := make([]Report, len(comms))
	errs := make([]error, len(comms))
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Go(func() { mds[r], reps[r], errs[r] = solve(p, o, c) })
	}
	wg.Wait()
	for r := 1; r < len(comms); r++ {
		require.Equal(t, errs[0] == nil, errs[r] == nil, "rank %d: %v, rank 0: %v", r, errs[r], errs[0])
		if errs[0] == nil {
			require.Equal(t, mds[0].Coefficients(), mds[r].Coefficients(), "rank %d's coefficients differ from rank 0's", r)
			require.Equal(t, reps[0].Iterations, reps[r].Iterations)
		}
	}
	return mds[0], reps[0], errs[0]
}

// TestP1CGDistributedMatchesOneRank splits the rows over 2 and 3 in-process ranks (and
// over more ranks than some sides have tiles) and compares with SolveP1CG. The split
// is in whole tiles, so only the float64 sums of the ranks' partials are reordered:
// on these sizes the results agree to the last bit, and the bound is the 1e-6.
func TestP1CGDistributedMatchesOneRank(t *testing.T) {
	p := asymProblem(17, attention.RBF(), 300, 200, 10, 9, 8, 2)
	mirror := *asymProblem(18, attention.RBF(), 150, 1100, 10, 9, 8, 2) // 3 column tiles of 512
	mirror.Y, mirror.Z = nil, randMat(newRNG(18), mirror.M, mirror.P, 1)
	tiny := asymProblem(19, attention.EDP(), 3, 5, 4, 4, 4, 1)
	both, tikh := []Regularizer{RegRKBS, RegTikhonov}, []Regularizer{RegTikhonov}
	cases := []struct {
		name  string
		p     *Problem
		ranks int
		regs  []Regularizer
	}{{"Y", p, 2, both}, {"Y", p, 3, tikh}, {"Z", &mirror, 2, tikh}, {"tiny", tiny, 4, both}}
	for _, c := range cases {
		for _, reg := range c.regs {
			if testing.Short() && reg == RegRKBS && c.name != "tiny" {
				continue // hundreds of iterations: too slow under -race
			}
			for _, pre := range []bool{false, true} {
				name := fmt.Sprintf("%s/ranks=%d/%v/precond=%v", c.name, c.ranks, reg, pre)
				o := Options{Lambda: 2, Regularizer: reg, Tol: 1e-10, MaxIter: 3000, Precondition: pre}
				one, rep1, err := SolveP1CG(c.p, o)
				require.NoError(t, err, "%s: %v", name, rep1)
				md, rep, err := solveOnRanks(t, SolveP1CGDistributed, c.p, o, newLocalGroup(c.ranks))
				require.NoError(t, err, "%s: %v", name, rep)
				e := relErr(md.C, one.C)
				t.Logf("%s: %d iterations (1 rank: %d), coefficient rel diff %.3g", name, rep.Iterations, rep1.Iterations, e)
				require.Less(t, e, 1e-6, name)
			}
		}
	}
}

// TestP1CGDistributedOneRankIsSolveP1CG: on a single rank the distributed solve is
// SolveP1CG's, bit for bit.
func TestP1CGDistributedOneRankIsSolveP1CG(t *testing.T) {
	p := asymProblem(20, attention.RBF(), 120, 90, 6, 6, 6, 1)
	o := Options{Lambda: 0.3, Regularizer: RegTikhonov, Tol: 1e-8, MaxIter: 1000, Precondition: true}
	want, _, err := SolveP1CG(p, o)
	require.NoError(t, err)
	got, _, err := solveOnRanks(t, SolveP1CGDistributed, p, o, newLocalGroup(1))
	require.NoError(t, err)
	require.Equal(t, want.C, got.C)
}

func TestP1CGDistributedCommError(t *testing.T) {
	p := asymProblem(21, attention.RBF(), 40, 30, 4, 4, 4, 1)
	ranks := newLocalGroup(2)
	lost := errors.New("rank 1 is gone")
	ranks[0].g.fail = lost
	md, _, err := solveOnRanks(t, SolveP1CGDistributed, p, Options{Lambda: 0.3}, ranks)
	require.ErrorIs(t, err, lost)
	require.ErrorContains(t, err, "distributed CG on rank 0 of 2")
	require.Nil(t, md)
}

// p2Split is a masked P2 problem whose observations span 3 row tiles (n = 300), so 2
// and 3 ranks all hold some, with every 5th pair unobserved.
func p2Split(seed uint64) *Problem {
	p := asymProblem(seed, attention.RBF(), 300, 40, 6, 5, 4, 1)
	p.Y, p.P = nil, 0
	p.Mask = make([]bool, p.N*p.M)
	for i := range p.Mask {
		p.Mask[i] = i%5 != 2
	}
	return p
}

// TestP2CGDistributedMatchesOneRank: masked P2 on 2 and 3 in-process ranks, Tikhonov,
// with and without preconditioning. The ranks' parts are exact splits of one
// computation: 2 and 3 ranks agree to 1e-9 (only the float64 sums of the all-reduce
// are reordered; on these sizes they agree bit for bit). Against SolveP2CG the bound is
// 1e-3: on several ranks every product has the rank's rows as a dimension (K_rᵀ (E_r Kᵀ)
// where SolveP2CG forms (Kᵀ E) Kᵀ, cheaper on one process when n > m), and the kernel
// products round their float64 inputs to float32, so the two operators differ by ~1e-7
// relative, amplified by this system's conditioning (300 iterations): measured 6e-5.
// On one rank SolveP2CGDistributed is SolveP2CG bit for bit.
func TestP2CGDistributedMatchesOneRank(t *testing.T) {
	p := p2Split(31)
	// RKBS is not compared: on this problem SolveP2CG itself stalls at a relative
	// residual of 7e-4 (the float32 floor times the conditioning).
	for _, reg := range []Regularizer{RegTikhonov} {
		for _, pre := range []bool{false, true} {
			o := Options{Lambda: 20, Regularizer: reg, Tol: 1e-10, MaxIter: 3000, Precondition: pre}
			if testing.Short() { // under -race: one looser solve, the same comparisons
				if !pre {
					continue
				}
				o.Tol = 1e-5
			}
			one, rep1, err := SolveP2CG(p, o)
			require.NoError(t, err, "%v", rep1)
			var two *P2Model
			for _, ranks := range []int{2, 3} {
				name := fmt.Sprintf("ranks=%d/%v/precond=%v", ranks, reg, pre)
				md, rep, err := solveOnRanks(t, SolveP2CGDistributed, p, o, newLocalGroup(ranks))
				require.NoError(t, err, "%s: %v", name, rep)
				e := relErr(md.Coefficients(), one.Coefficients())
				t.Logf("%s: %d iterations (1 rank: %d), coefficient rel diff %.3g", name, rep.Iterations, rep1.Iterations, e)
				require.Less(t, e, 1e-3, name)
				if two == nil {
					two = md
				} else {
					require.Less(t, relErr(md.Coefficients(), two.Coefficients()), 1e-9, "%s against 2 ranks", name)
				}
			}
		}
	}
	o := Options{Lambda: 20, Regularizer: RegTikhonov, MaxIter: 30, Precondition: true}
	want, _, werr := SolveP2CG(p, o)
	got, _, err := solveOnRanks(t, SolveP2CGDistributed, p, o, newLocalGroup(1))
	require.Equal(t, werr, err)
	require.Equal(t, want.Coefficients(), got.Coefficients())

	// A broken link is an error on every rank, not a hang.
	g := newLocalGroup(2)
	g[0].g.fail = errors.New("link down")
	_, _, err = solveOnRanks(t, SolveP2CGDistributed, p, o, g)
	require.ErrorContains(t, err, "bkm: distributed CG on rank 0 of 2: link down")
}

// TestFitDistributed: FitDistributed on 2 in-process ranks returns the same model on
// both, equal to Fit's within the distributed solvers' bounds; the dense solver is
// refused on more than one rank.
func TestFitDistributed(t *testing.T) {
	p1 := asymProblem(41, attention.RBF(), 300, 60, 6, 5, 4, 2)
	p1.R = nil
	p2 := p2Split(42)
	o := FitOptions{Options: Options{Lambda: 20, Regularizer: RegTikhonov, Tol: 1e-10, MaxIter: 3000, Precondition: true}, Solver: SolverCG}
	for _, c := range []struct {
		p     *Problem
		bound float64
	}{{p1, 1e-6}, {p2, 1e-3}} {
		if testing.Short() && c.p == p2 {
			continue // TestP2CGDistributedMatchesOneRank covers it
		}
		want, _, err := Fit(c.p, o)
		require.NoError(t, err)
		comms := newLocalGroup(2)
		mds := make([]*Model, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for r, comm := range comms {
			wg.Go(func() { mds[r], _, errs[r] = FitDistributed(c.p, o, comm) })
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		require.Equal(t, mds[0].Coefficients(), mds[1].Coefficients())
		require.Less(t, relErr(mds[0].Coefficients(), want.Coefficients()), c.bound)
	}
	_, _, err := FitDistributed(p1, FitOptions{Options: o.Options, Solver: SolverDense}, newLocalGroup(2)[0])
	require.ErrorIs(t, err, ErrDenseDistributed)
}
