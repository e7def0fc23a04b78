package attention

import (
	"fmt"
	"sync"

	"github.com/kernelmachines/bkm/internal/par"
	"github.com/kernelmachines/bkm/simd"
)

// Tile sizes of the fused passes: tq query rows × tk key columns per score tile.
// Causal attention uses causalTileQ × causalTileK: on the diagonal, a tile is computed
// whole and masked, so larger tiles waste work (96 × 96 against 192 × 256: a causal
// T = 256 training step's attention took 89 ms against 126; 64 × 64 against 96 × 96:
// BenchmarkAttentionTrain, CPU ms per call, 12.6, 13.1, 13.5 against 13.5, 13.3, 14.5,
// with 64 × 96, 128 × 64 and 64 × 128 all slower). Short non-causal sequences use
// tileQ × tileK (one tile covers up to 96 keys). Other calls
// with at least bigTileQ queries and bigTileK keys use the larger tiles, which give
// the GEMMs longer products (forward+backward at N = 1024, d = 64, 1 thread: 103 →
// 111 GFLOP/s; of 96..256 squared and mixed, 192 × 256 was best). 96 × 96 and
// 192 × 256 are multiples of both GEMM register tiles (6×16 AVX2, 8×32 AVX-512) in
// their GEMM dimensions; the causal 64 × 64 only of AVX-512's: on AVX2 each query
// block ends in an edge tile (64 = 10·6 + 4), a cost not measured on AVX2.
// Tests shrink them to exercise every edge on small problems.
var (
	causalTileQ, causalTileK = 64, 64
	tileQ, tileK             = 96, 96
	bigTileQ, bigTileK       = 192, 256
	// causalStrip is the height of the row strips a tile crossing the causal diagonal
	// runs in: each strip computes only the keys its last row sees.
	causalStrip = 32
	// wideMaxKeys: Forward calls with at most this many keys take forwardWide (a query
	// tile's scores against every key in one buffer, 64 KiB a worker at T = 256).
	wideMaxKeys = 256
)

// tileSizes picks the tile sizes of one call.
func tileSizes(o *Options, nq, nk int) (tq, tk int) {
	switch {
	case o.Causal:
		return causalTileQ, causalTileK
	case nq >= bigTileQ && nk >= bigTileK:
		return bigTileQ, bigTileK
	}
	return tileQ, tileK
}

// Workspace holds every buffer the fused passes need: per-worker score tiles and
// accumulators, and per-call buffers (features, row norms, row terms of backward,
// private gradient accumulators). It grows to the largest problem it has seen and is
// reused, so steady-state calls do not allocate. A Workspace must not be used by two
// calls at the same time; pass nil to use an internal pool instead.
type Workspace struct {
	workers []workerBuf
	shared  []float32
	mh      []float32 // multi-head backward: dO, dQ, dK, dV
	c       call
	nw      int // goroutines a call runs on; 0: simd.Threads()
}

// NewWorkspace returns an empty workspace; buffers are sized on first use.
func NewWorkspace() *Workspace { return &Workspace{} }

// SetThreads makes the calls given ws run on up to n goroutines instead of
// simd.Threads() (n = 0: simd.Threads() again; n < 0 panics). A caller that runs
// several attention calls at once on the pool's goroutines — e.g. one data-parallel
// replica's step on each — gives each its own workspace with n = 1. The results do not
// change as long as B·H ≥ n (see Backward).
func (ws *Workspace) SetThreads(n int) {
	if n < 0 {
		panic(fmt.Sprintf("attention: Workspace.SetThreads: n = %d < 0", n))
	}
	ws.nw = n
}

// threads is how many goroutines a call given ws runs on.
func (ws *Workspace) threads() int {
	if ws.nw > 0 {
		return ws.nw
	}
	return threadCount()
}

// workerBuf is the scratch of one worker goroutine.
type workerBuf struct {
	s, r, dp []float32 // score tile, raw tile (γ qᵀk for poly/taylor), dP tile: tileQ×tileK
	o        []float32 // output accumulator: tileQ×D
	m, l     []float32 // running max and sum: tileQ
	mrow     []float32 // one row of the scaled dropout mask: max(tileQ, tileK)
	vt       []float32 // backwardKeyTile: Vᵀ of one key tile, D×tileK
	lin      []float32 // ForwardLinear: features, prefix sums
	// forwardWide: a query tile's scores against every key (tileQ × call.wide) and,
	// for poly and taylor, their raw γ qᵀk
	wide, rawWide []float32
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// prepare sizes the per-worker buffers for nw workers and head dimension dim, and
// the shared buffer for n floats, returning the shared buffer.
func (ws *Workspace) prepare(nw, dim, n, tq, tk int) []float32 {
	if len(ws.workers) < nw {
		ws.workers = append(ws.workers, make([]workerBuf, nw-len(ws.workers))...)
	}
	t := tq * tk
	for w := 0; w < nw; w++ {
		b := &ws.workers[w]
		b.s = grow(b.s, t)
		b.r = grow(b.r, t)
		b.dp = grow(b.dp, t)
		b.o = grow(b.o, tq*max(dim, 1))
		b.m = grow(b.m, tq)
		b.l = grow(b.l, tq)
		b.mrow = grow(b.mrow, max(tq, tk))
		b.vt = grow(b.vt, tk*max(dim, 1))
	}
	ws.shared = grow(ws.shared, n)
	return ws.shared
}

// prepareWide sizes the wide score buffers of nw workers for n floats (and the raw
// ones too when raw is set).
func (ws *Workspace) prepareWide(nw, n int, raw bool) {
	for w := 0; w < nw; w++ {
		b := &ws.workers[w]
		b.wide = grow(b.wide, n)
		if raw {
			b.rawWide = grow(b.rawWide, n)
		}
	}
}

var wsPool = sync.Pool{New: func() any { return NewWorkspace() }}

// phase says what the tasks of one parallel region do.
type phase int

const (
	phPrep        phase = iota // per head: row norms, features (and backward's D_i)
	phForward                  // per (head, query tile)
	phBackward                 // per head (all key tiles) or per (head, key tile)
	phChain                    // per head: feature gradients to dq, dk
	phReduce                   // per row block: add private dq accumulators
	phLinear                   // per head: ForwardLinear
	phTransposeDQ              // per head: dq = dQᵀᵀ (fast backward)
)

// run executes ntask tasks of phase ph on up to nw workers (the caller is worker 0).
func (c *call) run(ph phase, ntask, nw int) {
	c.phase = ph
	par.Run(ntask, nw, c)
}

// Task runs task t of the current phase with worker w's scratch.
func (c *call) Task(w, t int) {
	switch c.phase {
	case phPrep:
		c.prepHead(t)
	case phForward:
		c.forwardTile(w, t)
	case phBackward:
		c.backwardTask(w, t)
	case phChain:
		c.chainHead(t)
	case phReduce:
		c.reduceRows(t)
	case phLinear:
		c.linearHead(w, t)
	case phTransposeDQ:
		c.transposeDQ(t)
	}
}

func threadCount() int { return max(1, simd.Threads()) }
