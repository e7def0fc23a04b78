package train

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dpCorpus is a tiny parallel corpus whose batches (max_tokens 400) hold 5 to 12
// sentences, so 2 and 3 ranks all get rows.
func dpCorpus() *Corpus {
	c := &Corpus{Name: "synthetic"}
	for i := range 48 {
		s := syntheticCorpus(1, uint64(i))
		p := TextPair{Src: s, Tgt: s[:len(s)/2]}
		if i < 40 {
			c.Train = append(c.Train, p)
		} else {
			c.Valid = append(c.Valid, p)
		}
	}
	return c
}

// dpConfig is smallRun's model with dropout off: dropout masks are drawn per rank, so
// only a run without dropout can equal the single-process run.
func dpConfig() Config {
	cfg := DefaultConfig()
	cfg.Model.DModel, cfg.Model.Heads, cfg.Model.FFN, cfg.Model.EncLayers, cfg.Model.DecLayers = 32, 2, 64, 1, 1
	cfg.Model.MaxLen, cfg.Model.Vocab = 96, ByteTokenizer{}.VocabSize()
	cfg.Model.Dropout, cfg.Model.ActivationDropout, cfg.Model.AttentionDropout = 0, 0, 0
	cfg.Data.MaxTokens = 400
	cfg.Optim.Accumulate = 2
	cfg.Schedule.Warmup = 3
	cfg.Threads = 1
	return cfg
}

// onRanks runs body on every rank of an in-process group of size ranks (size 0: one
// session that is not distributed) and returns the sessions.
func onRanks(t *testing.T, size int, open func(rank int) *Session, body func(s *Session) error) []*Session {
	t.Helper()
	alone := size == 0
	comms := cluster.NewLocalGroup(max(size, 1))
	ss := make([]*Session, len(comms))
	errs := make([]error, len(comms))
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Go(func() {
			ss[r] = open(r)
			if !alone {
				if errs[r] = ss[r].Distribute(c); errs[r] != nil {
					return
				}
			}
			errs[r] = body(ss[r])
		})
	}
	wg.Wait()
	for r, err := range errs {
		require.NoError(t, err, "rank %d", r)
	}
	for r := 1; r < len(ss); r++ {
		require.Equal(t, ss[0].Trainer.Model.Params, ss[r].Trainer.Model.Params, "rank %d's parameters differ from rank 0's", r)
	}
	return ss
}

func newDPSession(t *testing.T) *Session {
	s, err := NewSession(dpConfig(), ByteTokenizer{})
	require.NoError(t, err)
	require.NoError(t, s.SetData(dpCorpus()))
	return s
}

// steps runs n updates and records the losses.
func steps(n int, losses *[]float64) func(s *Session) error {
	return func(s *Session) error {
		for range n {
			st, err := s.Step()
			if err != nil {
				return err
			}
			if s.IsRoot() {
				*losses = append(*losses, st.Loss)
			}
		}
		return nil
	}
}

// dpTolerance bounds the parameter difference between N ranks and one process after
// up to 20 updates. The ranks compute the same float32 products on fewer rows, so the
// weight gradients' sums over rows (inside the GEMMs) and the sum over ranks run in
// another order: each gradient differs by a few float32 ulps (~1e-7 relative). AdamW
// divides by √v, so a difference in a gradient near zero moves an update by up to
// lr·(relative difference), and the differences compound over steps; measured on this
// model: 5.3e-7 after 20 steps on 2 ranks, 4.8e-7 on 3 (lr 5e-4). The bound is 10 times that, far below a real
// error: a shard counted twice or missed, or a wrong scale, moves parameters by ~lr = 5e-4.
const dpTolerance = 5e-6

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestDistributedMatchesOneProcess: 2 and 3 in-process ranks, each on its rows of every
// global batch, end with the parameters and losses of one process on the same global
// batches after 20 updates (within dpTolerance), with identical parameters on every
// rank. The ranks > 0 start from other parameters, which Distribute replaces by rank
// 0's.
func TestDistributedMatchesOneProcess(t *testing.T) {
	const n = 20
	var want []float64
	one := onRanks(t, 0, func(int) *Session { return newDPSession(t) }, steps(n, &want))[0]
	for _, size := range []int{2, 3} {
		var got []float64
		ranks := onRanks(t, size, func(rank int) *Session {
			s := newDPSession(t)
			for i := range s.Trainer.Model.Params {
				s.Trainer.Model.Params[i] += float32(rank) // Distribute must overwrite this
			}
			return s
		}, steps(n, &got))
		d := maxAbsDiff(one.Trainer.Model.Params, ranks[0].Trainer.Model.Params)
		t.Logf("%d ranks: max |Δθ| = %.3g after %d steps; losses %.5f … %.5f (one process %.5f … %.5f)", size, d, n, got[0], got[n-1], want[0], want[n-1])
		require.LessOrEqual(t, d, dpTolerance)
		require.InDeltaSlice(t, want, got, 1e-5, "losses")
		for r, s := range ranks {
			require.Nil(t, s.Trainer.halves.second, "rank %d keeps the halves' replica, which it never uses", r)
		}
		require.Equal(t, n, ranks[1].Trainer.Steps)
		require.Equal(t, size, ranks[1].Trainer.Ranks())
		require.Equal(t, 1, ranks[1].Trainer.Rank())
	}
	require.Less(t, want[n-1], want[0]-0.1, "the run learns")
}

// TestDistributedResumeOtherRanks: 2 ranks save at step 6, one process resumes to step
// 12 and saves, 3 ranks resume to step 18: the same curve and parameters as one process
// straight through. Only rank 0 writes its checkpoint.
func TestDistributedResumeOtherRanks(t *testing.T) {
	var want, got []float64
	straight := onRanks(t, 0, func(int) *Session { return newDPSession(t) }, steps(18, &want))[0]
	dir := t.TempDir()
	path := func(leg, rank int) string { return filepath.Join(dir, fmt.Sprintf("leg%d-rank%d.bkm", leg, rank)) }
	save := func(leg int, n int) func(s *Session) error {
		return func(s *Session) error {
			if err := steps(n, &got)(s); err != nil {
				return err
			}
			return s.Save(path(leg, s.Trainer.Rank()))
		}
	}
	resume := func(leg int) func(rank int) *Session {
		return func(rank int) *Session {
			s, err := ResumeSession(path(leg-1, 0), dpConfig(), dpCorpus())
			require.NoError(t, err)
			return s
		}
	}
	onRanks(t, 2, func(int) *Session { return newDPSession(t) }, save(1, 6))
	require.NoFileExists(t, path(1, 1), "rank 1 must not write")
	onRanks(t, 0, resume(2), save(2, 6))
	last := onRanks(t, 3, resume(3), save(3, 6))
	for r := 1; r < 3; r++ {
		require.NoFileExists(t, path(3, r))
	}
	require.FileExists(t, path(3, 0))
	require.InDeltaSlice(t, want, got, 1e-5, "the resumed curve continues the straight one")
	require.LessOrEqual(t, maxAbsDiff(straight.Trainer.Model.Params, last[0].Trainer.Model.Params), dpTolerance)
}

// TestDistributedRejectsDifferentRuns: a rank with another seed, or other training
// data, is caught before any step, on every rank, with a message saying so.
func TestDistributedRejectsDifferentRuns(t *testing.T) {
	cases := map[string]func(rank int) *Session{
		"seed": func(rank int) *Session {
			cfg := dpConfig()
			cfg.Seed += uint64(rank)
			s, err := NewSession(cfg, ByteTokenizer{})
			require.NoError(t, err)
			require.NoError(t, s.SetData(dpCorpus()))
			return s
		},
		"data": func(rank int) *Session {
			s, err := NewSession(dpConfig(), ByteTokenizer{})
			require.NoError(t, err)
			c := dpCorpus()
			c.Train = c.Train[rank:]
			require.NoError(t, s.SetData(c))
			return s
		},
	}
	for name, open := range cases {
		comms := cluster.NewLocalGroup(2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for r, c := range comms {
			wg.Go(func() { errs[r] = open(r).Distribute(c) })
		}
		wg.Wait()
		require.ErrorContains(t, errs[0], "rank 0 of 2: the config, tokenizer, training data or data position differ from rank 0's on 1 rank(s)", name)
		require.ErrorContains(t, errs[1], "on 1 rank(s) (this rank's among them): every rank must run the same command on the same files", name)
	}
}

// TestDistributedCommError: a broken link during a step is an error naming the rank
// on every rank, not a hang; so is a failure at Save.
func TestDistributedCommError(t *testing.T) {
	broken := errors.New("link down")
	comms := cluster.NewLocalGroup(2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Go(func() {
			s := newDPSession(t)
			if errs[r] = s.Distribute(c); errs[r] != nil {
				return
			}
			if _, errs[r] = s.Step(); errs[r] != nil {
				return
			}
			if r == 1 {
				c.Fail(broken)
			}
			_, errs[r] = s.Step()
		})
	}
	wg.Wait()
	for r, err := range errs {
		require.ErrorIs(t, err, broken, "rank %d", r)
		require.ErrorContains(t, err, fmt.Sprintf("step 2: rank %d of 2: summing the gradients", r))
	}
}

// TestDistributedStopAgrees: a stop asked by one rank stops all of them.
func TestDistributedStopAgrees(t *testing.T) {
	var mu sync.Mutex
	stops := map[int]bool{}
	onRanks(t, 3, func(int) *Session { return newDPSession(t) }, func(s *Session) error {
		stop, err := s.Stop(s.Trainer.Rank() == 2)
		mu.Lock()
		stops[s.Trainer.Rank()] = stop
		mu.Unlock()
		return err
	})
	assert.Equal(t, map[int]bool{0: true, 1: true, 2: true}, stops)
	stop, err := newDPSession(t).Stop(false)
	require.NoError(t, err)
	require.False(t, stop)
}

// TestPlanBuckets: every gradient is in exactly one bucket, the buckets are in the
// order they complete, and the blocks' buckets come before the rest.
func TestPlanBuckets(t *testing.T) {
	for _, arch := range []string{"encdec", "decoder"} {
		m := tinyModel(t, arch)
		order := m.ReadyOrder()
		for _, target := range []int{1, 100, 1 << 20} {
			bs := planBuckets(order, len(m.Grads), target)
			seen := make([]int, len(m.Grads))
			for k, b := range bs {
				require.Less(t, b.lo, b.hi)
				for i := b.lo; i < b.hi; i++ {
					seen[i]++
				}
				if k > 0 {
					require.LessOrEqual(t, bs[k-1].after, b.after)
				}
				require.True(t, b.hi-b.lo <= target || b.after <= len(order), "only block ranges exceed the target")
			}
			for i, n := range seen {
				require.Equal(t, 1, n, "%s target %d: gradient %d", arch, target, i)
			}
			if target == 1 { // no merging: one bucket per block, sent as it is done
				for k := range order {
					require.Equal(t, k+1, bs[k].after)
				}
			}
		}
	}
}

// lagging is a Local rank whose started sums report completion only at their third
// Test (or at Wait), as MPI's do when the other ranks are still busy, and whose Tests
// fail with testErr when it is set and take slow longer each.
type lagging struct {
	*cluster.Local
	starts, tests, waits int
	testErr              error
	slow                 time.Duration
}

type lagged struct {
	c     *lagging
	tests int
}

func (l *lagging) StartReduceScatterFloat32(buf, scratch []float32, counts []int) (Pending, error) {
	l.starts++
	p, err := l.Local.StartReduceScatterFloat32(buf, scratch, counts)
	if err != nil {
		return nil, err
	}
	if err := p.Wait(); err != nil {
		return nil, err
	}
	return &lagged{c: l}, nil
}

func (p *lagged) Test() (bool, error) {
	time.Sleep(p.c.slow)
	p.c.tests++
	p.tests++
	return p.tests >= 3, p.c.testErr
}

func (p *lagged) Wait() error {
	p.c.waits++
	return nil
}

// onLagging runs body on a new session distributed over each of the lagging ranks and
// returns the sessions once every rank has finished without error.
func onLagging(t *testing.T, lag []*lagging, body func(s *Session) error) []*Session {
	t.Helper()
	ss := make([]*Session, len(lag))
	errs := make([]error, len(lag))
	var wg sync.WaitGroup
	for r := range ss {
		wg.Go(func() {
			ss[r] = newDPSession(t)
			if errs[r] = ss[r].Distribute(lag[r]); errs[r] == nil {
				errs[r] = body(ss[r])
			}
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	return ss
}

// TestDistributedProgressDuringBackward: the buckets' sums are started and tested
// during the backward, and sums that complete late (at a later Test or at the end)
// give one process's parameters; CommTimes counts the steps. A Test that fails fails
// the step, and every sum started is still waited for.
func TestDistributedProgressDuringBackward(t *testing.T) {
	const n = 5
	var want, got []float64
	one := onRanks(t, 0, func(int) *Session { return newDPSession(t) }, steps(n, &want))[0]
	comms := cluster.NewLocalGroup(2)
	lag := []*lagging{{Local: comms[0]}, {Local: comms[1]}}
	ss := onLagging(t, lag, steps(n, &got))
	require.LessOrEqual(t, maxAbsDiff(one.Trainer.Model.Params, ss[0].Trainer.Model.Params), dpTolerance)
	require.InDeltaSlice(t, want, got, 1e-5)
	nb := len(ss[0].Trainer.dp.buckets)
	assert.Equal(t, n*nb, lag[0].starts, "every bucket every step")
	assert.Greater(t, lag[0].tests, 0, "sums progressed during the backward")
	ct := ss[1].Trainer.CommTimes()
	assert.Equal(t, n, ct.Steps)
	assert.Greater(t, ct.Step, ct.Progress+ct.Wait)
	assert.LessOrEqual(t, ct.Lag, ct.Wait, "the wait for slower ranks is part of the wait")
	assert.Positive(t, ct.Update, "the update after the sums is timed")
	assert.Less(t, ct.Update, ct.Step-ct.Progress-ct.Wait, "and is part of the computing")

	broken := errors.New("test failed")
	errs := make([]error, len(ss))
	var wg sync.WaitGroup
	for r := range ss {
		lag[r].testErr = broken
		lag[r].starts, lag[r].waits = 0, 0
		wg.Go(func() { _, errs[r] = ss[r].Step() })
	}
	wg.Wait()
	for r, err := range errs {
		require.ErrorIs(t, err, broken, "rank %d", r)
		require.ErrorContains(t, err, "summing the gradients", "rank %d", r)
		require.Positive(t, lag[r].starts, "rank %d", r)
		assert.Equal(t, lag[r].starts, lag[r].waits, "rank %d: every sum started is waited for", r)
	}
}

// TestDistributedLag: when one rank's backward ends later than the other's, the
// other's CommTimes.Lag holds the difference, its own stays smaller.
func TestDistributedLag(t *testing.T) {
	const n, slow = 3, 20 * time.Millisecond
	comms := cluster.NewLocalGroup(2)
	lag := []*lagging{{Local: comms[0]}, {Local: comms[1], slow: slow}}
	ss := onLagging(t, lag, func(s *Session) error {
		for range n {
			if _, err := s.Step(); err != nil {
				return err
			}
		}
		return nil
	})
	fast, late := ss[0].Trainer.CommTimes(), ss[1].Trainer.CommTimes()
	assert.GreaterOrEqual(t, fast.Lag, n*slow/2, "rank 0 waited for rank 1's slow Tests")
	assert.LessOrEqual(t, fast.Lag, fast.Wait)
	assert.Less(t, late.Lag, fast.Lag)
}

// TestShardPlan: for every batch of dpCorpus and 1 to 4 ranks, the shards cover every
// row exactly once, and the costliest shard costs no more than in the deal by rows the
// plan starts from (every rank ⌊B/N⌋ or ⌈B/N⌉ rows, the extra rows moving with the
// micro-batch number).
func TestShardPlan(t *testing.T) {
	s := newDPSession(t)
	pad := s.Trainer.Cfg.Model.Pad
	var p shardPlan
	for _, b := range s.loader.Batches() {
		for size := 1; size <= 4; size++ {
			for micro := range uint64(size) {
				seen := make([]int, b.B)
				costs := make([]int, size)
				for r := range size {
					rows := p.rows(b, pad, size, r, micro)
					for _, i := range rows {
						seen[i]++
					}
					costs[r] = p.shardCost(b.B, r, -1, -1)
				}
				for i, n := range seen {
					require.Equal(t, 1, n, "B = %d, %d ranks: row %d", b.B, size, i)
				}
				p.dealByRows(b.B, size, micro)
				extra := map[int]bool{}
				byRows := 0
				for r := range size {
					n := 0
					for _, q := range p.rank[:b.B] {
						if q == r {
							n++
						}
					}
					require.Contains(t, []int{b.B / size, (b.B + size - 1) / size}, n)
					if n > b.B/size {
						extra[r] = true
					}
					byRows = max(byRows, p.shardCost(b.B, r, -1, -1))
				}
				require.Len(t, extra, b.B%size)
				for r := range b.B % size {
					require.True(t, extra[(r+int(micro))%size], "the extra rows rotate with the micro-batch")
				}
				require.LessOrEqual(t, slices.Max(costs), byRows, "B = %d, %d ranks", b.B, size)
			}
		}
	}
}

// TestShardPlanByCost: with an odd row count, the rank with the shorter rows takes one
// row more, so both shards cost the same — a deal by rows leaves one row's difference.
func TestShardPlanByCost(t *testing.T) {
	const pad, B, T = 0, 5, 6
	lens := []int{4, 4, 4, 6, 6} // targets; sources of the same lengths
	b := &Batch{B: B, S: T, T: T, Src: make([]int32, B*T), In: make([]int32, B*T), Out: make([]int32, B*T)}
	for i, n := range lens {
		for j := range n {
			b.Src[i*T+j], b.In[i*T+j], b.Out[i*T+j] = 1, 1, 1
		}
	}
	var p shardPlan
	short := slices.Clone(p.rows(b, pad, 2, 0, 0))
	long := slices.Clone(p.rows(b, pad, 2, 1, 0))
	if len(short) < len(long) {
		short, long = long, short
	}
	require.Equal(t, []int{0, 1, 2}, short)
	require.Equal(t, []int{3, 4}, long)
	require.Equal(t, p.shardCost(B, 0, -1, -1), p.shardCost(B, 1, -1, -1)) // 3·8+24 = 2·12+24
	require.Equal(t, 0, p.spread, "24 tokens each")
	require.Equal(t, 8, p.rowSpread, "a deal by rows (the plan's start): rows 3, 0, 2 (28 tokens) and 4, 1 (20)")
}

// TestGatherRows: a shard holds its rows' tokens and drops the columns that are
// padding in all of them, and nothing else.
func TestGatherRows(t *testing.T) {
	const pad = 0
	b := &Batch{B: 3, S: 4, T: 5,
		Src: []int32{1, 2, 0, 0, 3, 4, 5, 6, 7, 0, 0, 0},
		In:  []int32{9, 1, 0, 0, 0, 9, 1, 2, 3, 0, 9, 0, 0, 0, 0},
		Out: []int32{1, 8, 0, 0, 0, 1, 2, 3, 8, 0, 8, 0, 0, 0, 0}}
	var dst Batch
	s := gatherRows(&dst, b, []int{0, 2}, pad)
	require.Equal(t, Batch{B: 2, S: 2, T: 2, Src: []int32{1, 2, 7, 0}, In: []int32{9, 1, 9, 0}, Out: []int32{1, 8, 8, 0}}, *s)
	s = gatherRows(&dst, b, []int{1}, pad)
	require.Equal(t, Batch{B: 1, S: 4, T: 4, Src: []int32{3, 4, 5, 6}, In: []int32{9, 1, 2, 3}, Out: []int32{1, 2, 3, 8}}, *s)
}

// TestUpdateShares: the shares cover the arena in consecutive whole norm chunks (the
// last may be cut), as equal as whole chunks allow.
func TestUpdateShares(t *testing.T) {
	for _, c := range []struct {
		n, size int
		want    []int
	}{
		{1437696, 2, []int{44 * normChunk, 1437696 - 44*normChunk}},
		{3 * normChunk, 2, []int{normChunk, 2 * normChunk}},
		{100, 3, []int{0, 0, 100}},
		{100, 1, []int{100}},
		{5*normChunk + 7, 3, []int{2 * normChunk, 2 * normChunk, normChunk + 7}},
	} {
		require.Equal(t, c.want, updateShares(c.n, c.size), "n = %d, size = %d", c.n, c.size)
	}
}

// TestDistributedShardsTheUpdate: each rank updates only its share of the parameters
// and keeps only its share's moments (ZeRO-1) — a share's moments elsewhere stay as
// Distribute left them — until Save gathers them: then every rank holds every moment,
// equal to one process's up to the float32 reassociation of the gradients.
func TestDistributedShardsTheUpdate(t *testing.T) {
	const n = 3
	cfg := dpConfig()
	cfg.Model.DModel, cfg.Model.FFN = 64, 256 // more than one norm chunk of parameters
	open := func(int) *Session {
		s, err := NewSession(cfg, ByteTokenizer{})
		require.NoError(t, err)
		require.NoError(t, s.SetData(dpCorpus()))
		return s
	}
	var want, got []float64
	one := onRanks(t, 0, open, steps(n, &want))[0]
	ranks := onRanks(t, 2, open, steps(n, &got))
	d0, d1 := ranks[0].Trainer.dp, ranks[1].Trainer.dp
	require.Equal(t, 0, d0.lo)
	require.Equal(t, d0.hi, d1.lo)
	require.Equal(t, len(one.Trainer.Model.Params), d1.hi)
	require.Positive(t, d0.hi-d0.lo)
	require.Positive(t, d1.hi-d1.lo)
	require.Equal(t, d0.counts, []int{d0.hi, d1.hi - d1.lo})
	o0, o1 := ranks[0].Trainer.Opt, ranks[1].Trainer.Opt
	require.True(t, allZero(o0.M[d1.lo:]) && allZero(o0.V[d1.lo:]), "rank 0 keeps no moments of rank 1's share")
	require.True(t, allZero(o1.M[:d0.hi]) && allZero(o1.V[:d0.hi]), "rank 1 keeps no moments of rank 0's share")

	dir := t.TempDir()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r, s := range ranks {
		wg.Go(func() { errs[r] = s.Save(filepath.Join(dir, fmt.Sprintf("rank%d.bkm", r))) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	require.Equal(t, o0.State, o1.State, "Save gathers the moments on every rank")
	scale := 0.0
	for _, v := range one.Trainer.Opt.State {
		scale = max(scale, math.Abs(float64(v)))
	}
	require.LessOrEqual(t, maxAbsDiff(one.Trainer.Opt.State, o0.State), 1e-4*scale)
	require.False(t, allZero(o0.M[d1.lo:]))
}

func allZero(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}

// TestDistributedDivergence: a step that diverges on sharded ranks leaves every rank
// in the same last good state. A bad update on one rank's share only (an infinite
// moment there) is undone on every rank; a NaN loss from bad parameters (all of them
// overwritten) then makes every rank restore its share of the last good state (before
// the undone update) and gather the others'.
func TestDistributedDivergence(t *testing.T) {
	var mu sync.Mutex
	goods := map[int][]float32{}
	ranks := onRanks(t, 2, func(int) *Session { return newDPSession(t) }, func(s *Session) error {
		tr := s.Trainer
		if _, err := s.Step(); err != nil {
			return err
		}
		if _, err := s.Step(); err != nil {
			return err
		}
		before := slices.Clone(tr.Model.Params)
		if tr.Rank() == 1 {
			tr.Opt.V[tr.dp.lo] = float32(math.Inf(1)) // only rank 1's update overflows
		}
		_, err := s.Step()
		if !errors.Is(err, ErrDiverged) || !slices.Equal(before, tr.Model.Params) || tr.Steps != 2 {
			return fmt.Errorf("rank %d: a bad update on one share: %v, steps %d", tr.Rank(), err, tr.Steps)
		}
		tr.Opt.V[tr.dp.lo] = 0
		for i := range tr.Model.Params {
			tr.Model.Params[i] = 1e30
		}
		if _, err := s.Step(); !errors.Is(err, ErrDiverged) {
			return fmt.Errorf("rank %d: a NaN loss: %v", tr.Rank(), err)
		}
		mu.Lock()
		goods[tr.Rank()] = before
		mu.Unlock()
		return nil
	})
	require.Equal(t, goods[0], goods[1])
	for r, s := range ranks {
		require.Equal(t, goods[r], s.Trainer.Model.Params, "rank %d holds the parameters after step 2", r)
		require.Equal(t, 2, s.Trainer.Steps)
	}
}

// TestBackwardReportsFinalRanges: Backward reports the ranges of ReadyOrder, in order,
// and never writes a range after reporting it (the data-parallel sums read it from
// then on) — the decoder's token table, reported before the encoder's backward, only
// when the encoder does not share it.
func TestBackwardReportsFinalRanges(t *testing.T) {
	for _, c := range []struct {
		arch     string
		shareAll bool
	}{{"encdec", false}, {"encdec", true}, {"decoder", false}} {
		cfg := DefaultConfig()
		cfg.Model = tinyModelConfig(c.arch)
		cfg.Model.ShareAllEmbeddings = c.shareAll
		cfg.Data = DataConfig{MaxTokens: 64, Batch: 2, Context: 8}
		tr, err := NewTrainer(cfg)
		require.NoError(t, err)
		m := tr.Model
		var got [][2]int
		var at [][]float32
		m.GradsDone = func(lo, hi int) {
			got = append(got, [2]int{lo, hi})
			at = append(at, slices.Clone(m.Grads[lo:hi]))
		}
		m.Forward(tinyBatch(c.arch))
		m.Backward(1)
		require.Equal(t, m.ReadyOrder(), got, "%+v", c)
		for k, r := range got {
			require.Equal(t, at[k], m.Grads[r[0]:r[1]], "%+v: range %v changed after it was reported", c, r)
		}
		hasTable := slices.Contains(got, m.decTable)
		assert.Equal(t, c.arch == "encdec" && !c.shareAll, hasTable, "%+v: the decoder's table reported early", c)
	}
}
