package train

import (
	"runtime"

	"github.com/kernelmachines/bkm/internal/par"
	"github.com/kernelmachines/bkm/simd"
)

// halves is the in-process data parallelism of a Trainer's step. Every micro-batch of
// two rows or more is cut into two shards (shardPlan, the cost-balanced cut the ranks of
// a data-parallel group make), and the trainer's model and a replica sharing its
// parameters run forward and backward on one shard each, into their own gradient arenas,
// as two tasks of the worker pool: at 2 threads each on its own core with every kernel
// on one goroutine (no product, attention or element-wise pass split in two, no barrier
// between them), at 1 thread one after the other. The replica's gradients are then added
// into the model's in a fixed order (sumSquares).
//
// The cut is a property of the step, not of the thread count, so 1 and 2 threads give
// bit-identical losses (TestThreadCountInvariance); the replica draws its dropout masks
// from replicaSeed(seed, 1), as rank 1 of a data-parallel group does.
type halves struct {
	second  *Model     // the replica: shares the model's parameters, own gradients and activations
	models  [2]*Model  // the model and the replica
	plan    shardPlan  // which rows go to which half
	rows    [2][]int   // each half's rows of the current micro-batch
	shards  [2]Batch   // each half's rows (copies, cut to their own longest row)
	cur     [2]*Batch  // this micro-batch's shards (nil: no rows)
	loss    [2]float64 // each half's summed loss
	scale   float32    // the backward's scale, 1/targets of the step
	dirty   bool       // the replica's gradient arena may hold gradients
	gemms   int        // concurrent GEMMs whose scratch simd keeps for the halves
	threads int        // simd.Threads() at begin
	pending []*Batch   // the batches the first step reserves the halves for (reserveHalvesAtFirstStep)
	job     halvesJob
	sum     gradSumJob
}

// halvesJob runs half i of a micro-batch (a par.Job).
type halvesJob struct{ h *halves }

func (j *halvesJob) Task(_, i int) {
	h := j.h
	b := h.cur[i]
	if b == nil {
		return
	}
	m := h.models[i]
	if m.Profile && m.ProfClock != nil {
		// Profiled by CPU time: each half reads its own thread's, so that two halves
		// running at once each count their own.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		clock := m.ProfClock
		m.ProfClock = threadCPU
		defer func() { m.ProfClock = clock }()
	}
	h.loss[i], _ = m.Forward(b)
	m.Backward(h.scale)
}

// halving reports whether the step cuts b in halves: alone (not distributed) and when b
// has two rows or more.
func (t *Trainer) halving(b *Batch) bool { return !halvesOff && t.dp == nil && b.B >= 2 }

// halvesOff makes every step run whole batches (tests compare the two).
var halvesOff bool

// zeroGrad clears the replica's gradients at the start of a step when a step stopped
// before sumSquares cleared them.
func (h *halves) zeroGrad() {
	if h.dirty {
		h.second.ZeroGrad()
		h.dirty = false
	}
}

// begin readies the replica for a micro-batch: its config, dropout seed and profiling
// as the model's, and both models' kernels on their share of the threads (end gives
// the model back all of them).
func (h *halves) begin(m *Model) {
	if h.second == nil {
		h.second = m.trainingReplica()
	}
	s := h.second
	s.Cfg = m.Cfg
	s.DropoutSeed = replicaSeed(m.DropoutSeed, 1)
	s.Training, s.DropoutStep = m.Training, m.DropoutStep
	s.Profile, s.ProfClock = m.Profile, m.ProfClock
	h.models = [2]*Model{m, s}
	// Two halves on up to two goroutines; with more threads each half's kernels get
	// their share.
	h.threads = max(1, simd.Threads())
	inner := max(1, h.threads/2)
	m.setThreads(inner)
	s.setThreads(inner)
	if g := min(2, h.threads) * inner; g > h.gemms {
		// the halves' GEMMs overlap: keep the scratch of that many at once, so that a
		// step never allocates the first time they do
		simd.ReserveScratch(g)
		h.gemms = g
	}
}

func (h *halves) end(m *Model) { m.setThreads(0) }

// cut sets h.cur to the halves of micro-batch b, the micro-batch numbered micro.
func (h *halves) cut(m *Model, b *Batch, micro uint64) {
	h.plan.rows(b, m.Cfg.Pad, 2, 0, micro)
	for r := range h.rows {
		h.rows[r] = h.rows[r][:0]
	}
	for i := range b.B {
		r := h.plan.rank[i]
		h.rows[r] = append(h.rows[r], i)
	}
	for r := range h.cur {
		h.cur[r] = nil
		if len(h.rows[r]) > 0 {
			h.cur[r] = gatherRows(&h.shards[r], b, h.rows[r], m.Cfg.Pad)
		}
	}
}

// step runs forward and backward of micro-batch b, the micro-batch numbered micro,
// with the gradient scaled by scale, on the two halves, and returns the summed loss.
func (h *halves) step(m *Model, b *Batch, micro uint64, scale float32) float64 {
	h.begin(m)
	h.cut(m, b, micro)
	h.dirty = true
	h.scale, h.loss = scale, [2]float64{}
	h.job.h = h
	sec := m.ProfSection // called once for the halves as a whole (profile.go)
	m.ProfSection = nil
	par.Run(2, min(2, h.threads), &h.job)
	m.ProfSection = sec
	h.end(m)
	m.mergeProfile(h.second)
	if m.Profile && sec != nil {
		sec(ProfHalves)
	}
	return h.loss[0] + h.loss[1]
}

// reserveHalvesAtFirstStep has t's next step reserve the halves for batches
// (reserveHalves) before it runs: Session.SetData does not know yet whether Distribute
// will make the trainer a rank, which runs its shards whole and never builds the replica.
func (t *Trainer) reserveHalvesAtFirstStep(batches []*Batch) { t.halves.pending = batches }

// reservePending reserves the halves a step of a run alone needs for the batches of
// reserveHalvesAtFirstStep, once.
func (t *Trainer) reservePending() {
	if b := t.halves.pending; b != nil {
		t.halves.pending = nil
		t.reserveHalves(b)
	}
}

// reserveHalves sizes both models' activation arenas and attention workspaces for
// the halves of every batch of batches that a step cuts (an odd batch's extra row
// with either half), so that no step grows them (reservePending, at the first step of
// a run alone).
func (t *Trainer) reserveHalves(batches []*Batch) {
	h, m := &t.halves, t.Model
	var src, tgt [2]int
	type shape struct{ r, B, S, T int }
	seen := map[shape]bool{}
	begun := false
	for _, b := range batches {
		if !t.halving(b) {
			continue
		}
		if !begun { // the replica only for a run whose steps are cut
			h.begin(m)
			defer h.end(m)
			begun = true
		}
		for micro := range uint64(2) {
			h.cut(m, b, micro)
			for r, c := range h.cur {
				if c == nil {
					continue
				}
				src[r], tgt[r] = max(src[r], c.B*c.S), max(tgt[r], c.B*c.T)
				if k := (shape{r, c.B, c.S, c.T}); !seen[k] {
					seen[k] = true
					h.models[r].reserveAttention(c.B, c.S, c.T)
				}
			}
		}
	}
	if !begun {
		return
	}
	for r, mr := range h.models {
		mr.Reserve(src[r], tgt[r])
	}
}

// replicaSeed is the dropout seed of replica (or data-parallel rank) r > 0 of a run
// seeded seed: its rows draw masks independent of replica 0's.
func replicaSeed(seed uint64, r int) uint64 { return seed ^ (uint64(r) * 0x9e3779b97f4a7c15) }

// sumSquares adds the replica's gradients into g (g += the replica's, element by
// element: a fixed order), clears the replica's for the next step, and returns the sum
// of squares of the result (gradSquares' chunks, bit for bit), all in one pass over
// the arenas with the chunks in parallel; part holds normChunks(len(g)) partial sums.
func (h *halves) sumSquares(m *Model, part []float64) float64 {
	if !h.dirty {
		return m.par.gradSquares(m.Grads, part)
	}
	h.dirty = false
	g := m.Grads
	nc := normChunks(len(g))
	h.sum = gradSumJob{g, h.second.Grads, part[:nc]}
	m.par.split.run(&h.sum, nc, 3*len(g))
	h.sum = gradSumJob{}
	var sq float64
	for _, v := range part[:nc] {
		sq += v
	}
	return sq
}

// gradSumJob is sumSquares over a range of gradient-norm chunks.
type gradSumJob struct {
	g, other []float32
	part     []float64
}

func (j *gradSumJob) run(lo, hi int) {
	for c := lo; c < hi; c++ {
		a, b := c*normChunk, min((c+1)*normChunk, len(j.g))
		simd.Add(j.g[a:b], j.g[a:b], j.other[a:b])
		clear(j.other[a:b])
		j.part[c] = sumSquares(j.g[a:b])
	}
}

// mergeProfile adds r's profile (sections and GEMMs) into m's and clears r's.
func (m *Model) mergeProfile(r *Model) {
	if !m.Profile {
		return
	}
	for i, d := range r.Prof {
		m.Prof[i] += d
	}
	for _, g := range r.Gemms {
		m.addGemm(g)
	}
	r.ResetProfile()
}
