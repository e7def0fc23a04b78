package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// Comm is what data-parallel training needs from a group of processes (ranks) that
// train one model together: who this rank is, in-place elementwise sums over all ranks
// that leave every rank the same result (MPI_Allreduce), and copies from one rank to
// all (MPI_Bcast). cluster.World (Open MPI, under mpirun) and cluster.Local (goroutines
// in one process, for tests) satisfy it.
type Comm interface {
	Rank() int
	Size() int
	AllReduceSumFloat32(buf []float32) error
	AllReduceSumFloat64(buf []float64) error
	BroadcastFloat32(buf []float32, root int) error
	BroadcastBytes(buf []byte, root int) error
	// StartReduceScatterFloat32 starts summing buf's blocks over the ranks, each on
	// the rank that owns it (rank r's: counts[r] elements after the blocks of ranks
	// 0..r−1; the other blocks are left as they were), and returns at once; scratch
	// holds (Size()−1)·counts[Rank()] elements. Both belong to the sum until the Pending
	// completes.
	StartReduceScatterFloat32(buf, scratch []float32, counts []int) (Pending, error)
	// AllGatherFloat32 copies every rank's block of buf (rank r's: counts[r] elements
	// after the blocks of ranks 0..r−1) into every other rank's buf (MPI_Allgatherv).
	AllGatherFloat32(buf []float32, counts []int) error
}

// Pending is a collective in flight (cluster.Pending): Test progresses it and reports
// whether it has completed, Wait returns when it has.
type Pending = interface {
	Test() (bool, error)
	Wait() error
}

// bucketFloats is the size a gradient bucket grows to (1 MiB) before a new one starts:
// large enough that a reduce-scatter's latency is small against its transfer, small
// enough that the first buckets go out while most of the backward is still to run.
const bucketFloats = 1 << 18

// bucket is a range [lo, hi) of the gradient arena summed across ranks in one call,
// complete after the first after GradsDone reports of a Backward (len(ReadyOrder())+1:
// only when Backward has returned). Data parallelism also keeps in it counts, the
// part of the bucket in each rank's update share (the reduce-scatter's blocks), and
// scratch, where this rank receives the other ranks' copies of its part.
type bucket struct {
	lo, hi, after int
	counts        []int
	scratch       []float32
}

// planBuckets groups the ranges of order (Model.ReadyOrder) into buckets of about
// target floats, merging neighbours that are adjacent in the arena and reported one
// after the other; the rest of [0, n) (embeddings, output projection, final norms) forms
// the last buckets. Every float is in exactly one bucket, and the buckets are in the
// order they complete: every rank computes the same plan and reduces in that order.
func planBuckets(order [][2]int, n, target int) []bucket {
	var bs []bucket
	covered := make([]bool, n)
	for k, r := range order {
		for i := r[0]; i < r[1]; i++ {
			covered[i] = true
		}
		if len(bs) > 0 {
			if last := &bs[len(bs)-1]; last.lo == r[1] && last.hi-last.lo < target {
				last.lo, last.after = r[0], k+1
				continue
			}
		}
		bs = append(bs, bucket{lo: r[0], hi: r[1], after: k + 1})
	}
	for lo := 0; lo < n; {
		if covered[lo] {
			lo++
			continue
		}
		hi := lo
		for hi < n && !covered[hi] && hi-lo < target {
			hi++
		}
		bs = append(bs, bucket{lo: lo, hi: hi, after: len(order) + 1})
		lo = hi
	}
	return bs
}

// dataParallel is the state of a Trainer that is one rank of a data-parallel group.
type dataParallel struct {
	comm       Comm
	rank, size int
	grads      []float32
	buckets    []bucket
	pending    []Pending        // the buckets' reduce-scatters in flight
	reported   int              // GradsDone reports in this step's last Backward
	started    int              // buckets whose reduce-scatter has started this step
	finished   int              // buckets known complete this step (or failed)
	err        error            // the step's first communication error
	shard      Batch            // this rank's rows of the current micro-batch (copies)
	split      shardPlan        // the partition of the current micro-batch's rows
	targets    int              // target tokens in this step's shards
	flag       []float64        // agree's one-element sum (allocated once: cgo passes it to MPI)
	readyFn    func(lo, hi int) // ready as a func value, made once (Model.GradsDone)
	sums       []float64        // loss sum, target tokens, squares of the gradient shares, then each rank's backward end (its own allocation: cgo passes it to MPI)
	times      CommTimes        // accumulated over the steps
	stepStart  time.Time
	cpuStart   time.Duration // processCPU at the step's start
	cpuComm    time.Duration // processCPU spent in ready and reduce this step
	sumsDone   time.Time     // when reduce returned: the update starts
	cpuSums    time.Duration // processCPU then
	// ZeRO-1: this rank updates the parameters [lo, hi) and keeps their AdamW moments;
	// counts[r] is rank r's share (the ranks' shares are consecutive).
	lo, hi   int
	counts   []int
	after    time.Duration // wall time in the collectives after the sums this step
	afterCPU time.Duration // processCPU spent in them
}

// updateShares cuts n parameters into size consecutive shares of whole normChunk
// chunks (the gradient norm's chunks, so a share's sum of squares adds one process's
// chunk sums), as equal as whole chunks allow; a rank may get none when there are
// more ranks than chunks.
func updateShares(n, size int) []int {
	counts := make([]int, size)
	chunks := normChunks(n)
	for r, lo := 0, 0; r < size; r++ {
		hi := min(n, (chunks*(r+1)/size)*normChunk)
		counts[r], lo = hi-lo, hi
	}
	return counts
}

// updateRange is the range of the parameter arena this trainer updates: all of it
// alone, its share in a data-parallel group.
func (t *Trainer) updateRange() (lo, hi int) {
	if t.dp == nil {
		return 0, len(t.Model.Params)
	}
	return t.dp.lo, t.dp.hi
}

// CommTimes is where a data-parallel rank's training steps spent their wall time
// (Trainer.CommTimes). Step is every step's whole time; Progress the part spent during
// the backward starting the gradient buckets' reduce-scatters and letting MPI progress
// them; Wait the part after the backward, waiting for the sums to complete and summing
// the losses. The rest, Step − Progress − Wait, is this rank's computing: forward,
// backward, clipping and update, of which Update is the last part (gradient norm,
// clipping and AdamW, after the sums). ComputeCPU and UpdateCPU are the CPU time the
// process (all its threads) used in those, 0 where the system cannot say: well below
// the wall time means the rank waited for its core (something else ran on it); ranks
// that differ in it differ in the work itself.
//
// Lag is the part of Wait until the last rank's backward ended (every rank sends the
// moment its own backward ended with the loss sums; across hosts it relies on their
// clocks agreeing): waiting for slower ranks, not for the network. Wait − Lag is the
// sums themselves once every rank had reached them.
//
// Gather is the communication after the sharded update (ZeRO-1: whether any rank's
// update overflowed, and the all-gather of the updated parameters); it is not part of
// Update, UpdateCPU or ComputeCPU. (The ranks' squared gradient norms are summed with
// the losses, in Wait; computing this rank's is computing.)
type CommTimes struct {
	Steps                            int
	Step, Progress, Wait, ComputeCPU time.Duration
	Lag, Update, UpdateCPU           time.Duration
	Gather                           time.Duration
	Shards                           ShardLoad // what the steps' shards held
}

// CommTimes returns the time the trainer's steps spent computing and communicating
// since Distribute (zero when it trains alone).
func (t *Trainer) CommTimes() CommTimes {
	if t.dp == nil {
		return CommTimes{}
	}
	return t.dp.times
}

// Distribute makes t one of comm.Size() ranks that train one model on disjoint shards
// of every global batch (data parallelism). Every rank calls it at the same point,
// after building its trainer from the same config (and checkpoint), and then calls
// Step with the same global batches: each rank runs forward and backward on its rows
// of every micro-batch, scaled by the global batch's target count; during the last
// micro-batch's backward the gradients are summed across ranks in buckets of about
// 1 MiB, each bucket's sum started as soon as its layers are done and progressed
// between the later blocks on the backward's own goroutine, so the communication
// overlaps the rest of the backward; then the loss sums and token
// counts are summed, and the ranks share the clipped AdamW update (ZeRO-1): rank r
// updates only its share of the parameters (updateShares: consecutive, of whole
// gradient-norm chunks) and keeps only that share's moments, so a bucket's sum is a
// reduce-scatter that leaves each rank the sum of its share only (splitBuckets), the ranks add their
// shares' squared gradient norms (with the losses), agree on whether every share stayed finite, and
// all-gather the updated parameters — the single-process update on the global batch
// up to the order of float32 sums. Save gathers the moments before rank 0 writes, and
// a divergence restores each share and gathers again, so checkpoints and the last good
// state are whole.
//
// Distribute copies rank 0's parameters, optimizer moments and counters to every rank,
// so the ranks start identical whatever they loaded. The dropout masks of rank r > 0
// come from a seed mixed with r (rank 0 keeps the config's): ranks draw independent
// masks for their rows. A failing collective is returned as an error by Step; the
// trainer must not be used after it.
func (t *Trainer) Distribute(comm Comm) error {
	rank, size := comm.Rank(), comm.Size()
	var counters [24]byte
	binary.LittleEndian.PutUint64(counters[0:], uint64(t.Steps))
	binary.LittleEndian.PutUint64(counters[8:], t.Micro)
	binary.LittleEndian.PutUint64(counters[16:], uint64(t.Opt.T))
	err := comm.BroadcastBytes(counters[:], 0)
	for _, buf := range [][]float32{t.Model.Params, t.Opt.State} {
		if err == nil {
			err = comm.BroadcastFloat32(buf, 0)
		}
	}
	if err != nil {
		return fmt.Errorf("rank %d of %d: copying rank 0's parameters: %w", rank, size, err)
	}
	t.Steps = int(binary.LittleEndian.Uint64(counters[0:]))
	t.Micro = binary.LittleEndian.Uint64(counters[8:])
	t.Opt.T = int(binary.LittleEndian.Uint64(counters[16:]))
	t.good.valid = false
	if rank > 0 {
		t.Model.DropoutSeed = replicaSeed(t.Cfg.Seed, rank)
	}
	d := &dataParallel{comm: comm, rank: rank, size: size, grads: t.Model.Grads, sums: make([]float64, 3+size),
		buckets: planBuckets(t.Model.ReadyOrder(), len(t.Model.Grads), bucketFloats),
		counts:  updateShares(len(t.Model.Params), size)}
	for _, c := range d.counts[:rank] {
		d.lo += c
	}
	d.hi = d.lo + d.counts[rank]
	d.splitBuckets()
	d.flag, d.readyFn = make([]float64, 1), d.ready
	d.pending = make([]Pending, len(d.buckets))
	t.dp = d
	// A rank runs its shard whole (halving): it reserves no halves at its first step,
	// and drops the replica of steps taken before it became a rank.
	t.halves = halves{}
	return nil
}

// splitBuckets cuts every bucket in the ranks' update shares (d.counts): a bucket's
// sum is a reduce-scatter that leaves each rank the sum of its own share only, all its
// update needs, and sends half the bytes of an all-reduce (which would also give every
// rank the sums of the others' shares, gathered again as parameters after the update).
// This rank's parts of the buckets are disjoint, so their scratch spaces are too.
func (d *dataParallel) splitBuckets() {
	scratch := make([]float32, (d.size-1)*(d.hi-d.lo))
	for i := range d.buckets {
		b := &d.buckets[i]
		b.counts = make([]int, d.size)
		for r, lo := 0, 0; r < d.size; r++ {
			hi := lo + d.counts[r]
			b.counts[r] = max(0, min(hi, b.hi)-max(lo, b.lo))
			lo = hi
		}
		at := max(b.lo, d.lo) - d.lo
		if b.counts[d.rank] == 0 {
			at = 0
		}
		b.scratch = scratch[(d.size-1)*at : (d.size-1)*(at+b.counts[d.rank])]
	}
}

// Rank is the trainer's rank in its data-parallel group (0 when it trains alone).
func (t *Trainer) Rank() int {
	if t.dp == nil {
		return 0
	}
	return t.dp.rank
}

// Ranks is the size of the trainer's data-parallel group (1 when it trains alone).
func (t *Trainer) Ranks() int {
	if t.dp == nil {
		return 1
	}
	return t.dp.size
}

// begin and end bracket a step (Trainer.Step), for CommTimes.
func (d *dataParallel) begin() {
	d.stepStart, d.cpuStart, d.cpuComm, d.targets = time.Now(), processCPU(), 0, 0
	d.after, d.afterCPU = 0, 0
}

func (d *dataParallel) end() {
	now, cpu := time.Now(), processCPU()
	d.times.Steps++
	d.times.Step += now.Sub(d.stepStart)
	d.times.ComputeCPU += cpu - d.cpuStart - d.cpuComm
	if !d.sumsDone.IsZero() { // the step reached its update
		d.times.Update += now.Sub(d.sumsDone) - d.after
		d.times.UpdateCPU += cpu - d.cpuSums - d.afterCPU
		d.times.Gather += d.after
		d.sumsDone = time.Time{}
	}
}

// afterSums runs one collective of the update (allFinite, gather) and
// times it for CommTimes.Gather.
func (d *dataParallel) afterSums(call func() error) error {
	t0, c0 := time.Now(), processCPU()
	err := call()
	cpu := processCPU() - c0
	d.after += time.Since(t0)
	d.afterCPU += cpu
	d.cpuComm += cpu
	return err
}

// allFinite makes *finite true on every rank when every rank's update left its
// shard finite.
func (d *dataParallel) allFinite(finite *bool) error {
	var bad bool
	err := d.afterSums(func() (err error) {
		bad, err = d.agree(!*finite)
		return err
	})
	*finite = !bad
	return err
}

// gather copies every rank's share of x (parameters or a moment) into every rank.
func (d *dataParallel) gather(x []float32) error {
	if err := d.afterSums(func() error { return d.comm.AllGatherFloat32(x, d.counts) }); err != nil {
		return d.errorf("gathering the updated parameters: %w", err)
	}
	return nil
}

// shardOf returns this rank's rows of the global micro-batch b, the micro-batch
// numbered micro (Trainer.Micro), or nil when it has none (shardPlan says which rows;
// the shard is a copy, cut to its own longest row). Before the step's last
// micro-batch it starts watching the backward for complete buckets.
func (d *dataParallel) shardOf(m *Model, b *Batch, micro uint64, last bool) *Batch {
	if last {
		d.reported, d.started, d.finished, d.err = 0, 0, 0, nil
		m.GradsDone = d.readyFn
	}
	rows := d.split.rows(b, m.Cfg.Pad, d.size, d.rank, micro)
	d.times.Shards.Spread += d.split.spread
	d.times.Shards.RowSpread += d.split.rowSpread
	if len(rows) == 0 {
		return nil
	}
	s := gatherRows(&d.shard, b, rows, m.Cfg.Pad)
	d.times.Shards.add(s, m.Cfg.Pad)
	d.targets += s.Targets(m.Cfg.Pad)
	return s
}

// ready is Model.GradsDone during the last backward of a step: it starts the
// reduce-scatter of every bucket now complete and lets MPI progress those in flight, on the
// backward's own goroutine between two blocks. No thread waits in MPI while the
// backward runs: with one core per rank such a thread would take turns with the
// compute on that core, and a blocking MPI call polls at full speed.
func (d *dataParallel) ready(lo, hi int) {
	t0, c0 := time.Now(), processCPU()
	d.reported++
	d.start(d.reported)
	d.progress()
	d.times.Progress += time.Since(t0)
	d.cpuComm += processCPU() - c0
}

// start starts the reduce-scatter of every bucket complete after reports reports.
func (d *dataParallel) start(reports int) {
	for d.started < len(d.buckets) && d.buckets[d.started].after <= reports {
		if d.err == nil {
			b := d.buckets[d.started]
			d.pending[d.started], d.err = d.comm.StartReduceScatterFloat32(d.grads[b.lo:b.hi], b.scratch, b.counts)
		}
		d.started++
	}
}

// progress tests the reduce-scatters in flight in the order they started, up to the first
// that is not complete (each test lets MPI progress all of them) or the first failure:
// reduce then waits for every one still pending.
func (d *dataParallel) progress() {
	for ; d.err == nil && d.finished < d.started; d.finished++ {
		p := d.pending[d.finished]
		if p == nil {
			continue
		}
		done, err := p.Test()
		if err != nil {
			d.err = err
			return
		}
		if !done {
			return
		}
		d.pending[d.finished] = nil
	}
}

// reduce finishes a step: it starts the buckets complete only now, waits for all the
// gradient sums, and sums the loss, the target tokens and the squares of the ranks'
// shares of the gradient (the square of the gradient norm, for clipping) over the
// ranks, checking that the ranks' shards covered the global batch's total targets
// exactly once. With them goes the moment each rank's backward ended (CommTimes.Lag).
// Summing this rank's squares (normPart is gradSquares' scratch) is computing, not
// waiting, in CommTimes.
func (d *dataParallel) reduce(m *Model, loss float64, total int, normPart []float64) (lossSum, squares float64, err error) {
	m.GradsDone = nil
	t0, c0 := time.Now(), processCPU()
	var own, ownCPU time.Duration
	defer func() {
		d.sumsDone, d.cpuSums = time.Now(), processCPU()
		d.times.Wait += d.sumsDone.Sub(t0) - own
		d.cpuComm += d.cpuSums - c0 - ownCPU
	}()
	d.start(math.MaxInt)
	// Wait for every sum started, even after a failure: MPI writes into d.grads until
	// each completes (or times out, abandoned). The first error wins.
	for i, p := range d.pending[:d.started] {
		if p != nil {
			if err := p.Wait(); err != nil && d.err == nil {
				d.err = err
			}
			d.pending[i] = nil
		}
	}
	d.finished = d.started
	if d.err != nil {
		return 0, 0, d.errorf("summing the gradients: %w", d.err)
	}
	t1, c1 := time.Now(), processCPU()
	sq := m.par.gradSquares(d.grads[d.lo:d.hi], normPart)
	own, ownCPU = time.Since(t1), processCPU()-c1
	clear(d.sums)
	d.sums[0], d.sums[1], d.sums[2] = loss, float64(d.targets), sq
	d.sums[3+d.rank] = float64(t0.UnixMicro()) // exact in a float64 (< 2⁵³ µs)
	if err := d.comm.AllReduceSumFloat64(d.sums); err != nil {
		return 0, 0, d.errorf("summing the losses: %w", err)
	}
	last := time.UnixMicro(int64(slices.Max(d.sums[3:])))
	d.times.Lag += min(max(last.Sub(t0), 0), time.Since(t0)-own)
	if int(d.sums[1]) != total {
		return 0, 0, d.errorf("the ranks' shards hold %v targets, the global batch %d: the ranks are not reading the same batches", d.sums[1], total)
	}
	return d.sums[0], d.sums[2], nil
}

func (d *dataParallel) errorf(format string, args ...any) error {
	return fmt.Errorf("rank %d of %d: "+format, append([]any{d.rank, d.size}, args...)...)
}

// agree returns whether any rank passes true (one all-reduce).
func (d *dataParallel) agree(local bool) (bool, error) {
	v := d.flag[:1]
	v[0] = 0
	if local {
		v[0] = 1
	}
	if err := d.comm.AllReduceSumFloat64(v); err != nil {
		return false, d.errorf("%w", err)
	}
	return v[0] > 0, nil
}

// sameAsRoot checks that this rank's digest equals rank 0's on every rank: it returns
// an error on every rank if any rank differs, naming how many.
func (d *dataParallel) sameAsRoot(digest []byte, what string) error {
	root := bytes.Clone(digest)
	if err := d.comm.BroadcastBytes(root, 0); err != nil {
		return d.errorf("comparing %s: %w", what, err)
	}
	differ := []float64{0}
	if !bytes.Equal(root, digest) {
		differ[0] = 1
	}
	if err := d.comm.AllReduceSumFloat64(differ); err != nil {
		return d.errorf("comparing %s: %w", what, err)
	}
	if differ[0] > 0 {
		mine := ""
		if !bytes.Equal(root, digest) {
			mine = " (this rank's among them)"
		}
		return d.errorf("%s differ from rank 0's on %v rank(s)%s", what, differ[0], mine)
	}
	return nil
}

// writeFloatBits writes float32 slices bit for bit (to a hash).
func writeFloatBits(h io.Writer, xs ...[]float32) {
	var buf [4096]byte
	for _, x := range xs {
		for len(x) > 0 {
			n := min(len(x), len(buf)/4)
			for i, v := range x[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			h.Write(buf[:4*n])
			x = x[n:]
		}
	}
}

// Distribute makes the session one rank of a data-parallel group (Trainer.Distribute).
// It first proves that every rank runs the same job — the same config (but for the
// thread count), tokenizer, training batches and data position as rank 0 — and fails
// on every rank with an error saying what differs if not; then the ranks take rank 0's
// parameters. Every rank then calls Step, Validate, Save and Stop in the same order.
func (s *Session) Distribute(comm Comm) error {
	cfg := s.Trainer.Cfg
	cfg.Threads = 0
	h := sha256.New()
	js, err := json.Marshal(struct {
		Config Config
		Tok    *TokenizerSpec
		Data   DataState
	}{cfg, Spec(s.Tok), s.dataState()})
	if err != nil {
		return err
	}
	h.Write(js)
	if s.loader != nil {
		for _, b := range s.loader.Batches() {
			for _, x := range [][]int32{b.Src, b.In, b.Out} {
				binary.Write(h, binary.LittleEndian, x)
			}
		}
	}
	probe := &dataParallel{comm: comm, rank: comm.Rank(), size: comm.Size()}
	if err := probe.sameAsRoot(h.Sum(nil), "the config, tokenizer, training data or data position"); err != nil {
		return fmt.Errorf("%w: every rank must run the same command on the same files", err)
	}
	return s.Trainer.Distribute(comm)
}

// IsRoot reports whether the session is rank 0 of its group, or trains alone: the rank
// that prints, writes metrics and checkpoints.
func (s *Session) IsRoot() bool { return s.Trainer.Rank() == 0 }

// Stop returns whether the run should stop now: local alone, or, in a data-parallel
// group, whether any rank asks to (one all-reduce), so that all ranks stop after the
// same step.
func (s *Session) Stop(local bool) (bool, error) {
	if s.Trainer.dp == nil {
		return local, nil
	}
	return s.Trainer.dp.agree(local)
}

// saveDistributed is Save in a data-parallel group: every rank checks that its
// parameters and moments are bit-identical to rank 0's, rank 0 alone writes, and every
// rank learns whether the write succeeded.
func (s *Session) saveDistributed(write func() error) error {
	d := s.Trainer.dp
	// Each rank holds the moments of its share only (ZeRO-1): gather them all.
	for _, x := range [][]float32{s.Trainer.Opt.M, s.Trainer.Opt.V} {
		if err := d.comm.AllGatherFloat32(x, d.counts); err != nil {
			return d.errorf("gathering the optimizer moments: %w", err)
		}
	}
	h := sha256.New()
	writeFloatBits(h, s.Trainer.Model.Params, s.Trainer.Opt.State)
	if err := d.sameAsRoot(h.Sum(nil), fmt.Sprintf("the parameters after step %d", s.Trainer.Steps)); err != nil {
		return err
	}
	var werr error
	if d.rank == 0 {
		werr = write()
	}
	failed, err := d.agree(werr != nil)
	switch {
	case werr != nil:
		return werr
	case err != nil:
		return err
	case failed:
		return d.errorf("rank 0 could not write the checkpoint")
	}
	return nil
}

// RankCommTimes returns every rank's Trainer.CommTimes, indexed by rank (one
// all-reduce: every rank of the group calls it). Alone, it returns the trainer's.
func (s *Session) RankCommTimes() ([]CommTimes, error) {
	d := s.Trainer.dp
	if d == nil {
		return []CommTimes{s.Trainer.CommTimes()}, nil
	}
	const fields = 14
	v := make([]float64, fields*d.size)
	t := d.times
	copy(v[fields*d.rank:], []float64{float64(t.Steps), float64(t.Step), float64(t.Progress), float64(t.Wait), float64(t.ComputeCPU),
		float64(t.Shards.Rows), float64(t.Shards.Padded), float64(t.Shards.Tokens), float64(t.Lag), float64(t.Update), float64(t.UpdateCPU),
		float64(t.Gather), float64(t.Shards.Spread), float64(t.Shards.RowSpread)})
	if err := d.comm.AllReduceSumFloat64(v); err != nil {
		return nil, d.errorf("gathering the step times: %w", err)
	}
	out := make([]CommTimes, d.size)
	for r := range out {
		x := v[fields*r:]
		out[r] = CommTimes{Steps: int(x[0]), Step: time.Duration(x[1]), Progress: time.Duration(x[2]), Wait: time.Duration(x[3]), ComputeCPU: time.Duration(x[4]),
			Shards: ShardLoad{Rows: int(x[5]), Padded: int(x[6]), Tokens: int(x[7]), Spread: int(x[12]), RowSpread: int(x[13])},
			Lag:    time.Duration(x[8]), Update: time.Duration(x[9]), UpdateCPU: time.Duration(x[10]), Gather: time.Duration(x[11])}
	}
	return out, nil
}
