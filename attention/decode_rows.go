package attention

import (
	"fmt"

	"github.com/kernelmachines/bkm/internal/par"
	"github.com/kernelmachines/bkm/simd"
)

// DecodeRow is one row of a DecodeRows call: the batch entry of the key/value cache
// its query attends to (its cache slot, or its source sentence: the entry's keys start
// at Entry·kvs.Batch), the number of keys it sees (the entry's first Keys positions),
// and, when Options.KeyMask is set, where its key flags start: key j is visible iff
// KeyMask[Mask+j].
type DecodeRow struct{ Entry, Keys, Mask int }

// decodeRowsParallel is the least work (K and V floats read, summed over the rows
// and heads) for which DecodeRows spreads its rows over the worker pool: below it a
// call takes a few µs, the order of waking a parked pool goroutine.
const decodeRowsParallel = 1 << 16

// DecodeRows is Decode for a step whose rows (hypotheses of many sentences) each
// attend with one query per head to their own cache entry and number of keys, in one
// call: row r's query of head h is q[r·qs.Batch + h·qs.Head:][:D], its keys and values
// are rows 0..rows[r].Keys−1 of entry rows[r].Entry of k and v (strides kvs), its
// result goes to out[r·outs.Batch + h·outs.Head:][:D]. Rows may share an entry (the
// hypotheses of one source sentence in cross-attention). The result of each row is
// that of Decode with B = 1, Nq = 1 over its entry's first Keys keys and its mask, so
// o.Causal has no effect; o.Dropout must be 0.
//
// When the work is large enough and simd.Threads() > 1, rows are spread over the
// shared worker pool; each row is computed alike whichever worker takes it. DecodeRows
// does not allocate once ws has grown (ws nil: an internal pool). Programmer errors
// (shapes, strides, slices too short for a row, a row's mask beyond KeyMask) panic
// with a message naming the argument.
func DecodeRows(o *Options, rows []DecodeRow, H, D int, q []float32, qs Strides, k, v []float32, kvs Strides,
	out []float32, outs Strides, ws *DecodeWorkspace) {
	work := checkDecodeRows(o, rows, H, D, q, qs, k, v, kvs, out, outs)
	if len(rows) == 0 || H == 0 {
		return
	}
	if ws == nil {
		ws = decodePool.Get().(*DecodeWorkspace)
		defer decodePool.Put(ws)
	}
	j := &ws.rows
	*j = rowsJob{o: o, rows: rows, h: H, d: D, q: q, qs: qs, k: k, v: v, kvs: kvs, out: out, outs: outs, ws: ws}
	nw := 1
	if work >= decodeRowsParallel {
		nw = min(threadCount(), len(rows))
	}
	ws.prepareWorkers(nw)
	if nw == 1 {
		j.Task(0, 0)
	} else {
		j.tasks = min(len(rows), 4*nw)
		par.Run(j.tasks, nw, j)
	}
	*j = rowsJob{} // drop the references to the caller's data
}

// checkDecodeRows panics on DecodeRows's programmer errors and returns the K and V
// floats the call reads.
func checkDecodeRows(o *Options, rows []DecodeRow, H, D int, q []float32, qs Strides, k, v []float32, kvs Strides,
	out []float32, outs Strides) (work int) {
	const fn = "DecodeRows"
	checkShape(fn, o, 0, H, 1, 0, D)
	if o.Dropout != 0 {
		panic(fmt.Sprintf("attention: %s: Dropout = %v: decoding does not drop", fn, o.Dropout))
	}
	R := len(rows)
	qs.check(fn, "q", q, R, H, 1, D)
	outs.check(fn, "out", out, R, H, 1, D)
	if kvs.Batch < 0 || kvs.Head < 0 || kvs.Row < 0 {
		panic(fmt.Sprintf("attention: %s: kvs strides %+v (want ≥ 0)", fn, kvs))
	}
	for r, row := range rows {
		if row.Entry < 0 || row.Keys < 0 || row.Mask < 0 {
			panic(fmt.Sprintf("attention: %s: rows[%d] = %+v (want Entry, Keys, Mask ≥ 0)", fn, r, row))
		}
		if row.Keys == 0 || H == 0 {
			continue
		}
		if row.Keys > 1 && kvs.Row < D {
			panic(fmt.Sprintf("attention: %s: kvs.Row = %d < D = %d (rows[%d].Keys = %d)", fn, kvs.Row, D, r, row.Keys))
		}
		need := row.Entry*kvs.Batch + kvs.span(1, H, row.Keys, D)
		if len(k) < need || len(v) < need {
			panic(fmt.Sprintf("attention: %s: len(k) = %d, len(v) = %d < %d needed by rows[%d] = %+v with strides %+v",
				fn, len(k), len(v), need, r, row, kvs))
		}
		if o.KeyMask != nil && len(o.KeyMask) < row.Mask+row.Keys {
			panic(fmt.Sprintf("attention: %s: len(KeyMask) = %d < %d needed by rows[%d] = %+v",
				fn, len(o.KeyMask), row.Mask+row.Keys, r, row))
		}
		work += 2 * H * row.Keys * D
	}
	return work
}

// rowsJob is one DecodeRows call, a par.Job over chunks of its rows; the
// workspace keeps it so that the pool gets a pointer (no allocation).
type rowsJob struct {
	o       *Options
	rows    []DecodeRow
	h, d    int
	q, k, v []float32
	out     []float32
	qs, kvs Strides
	outs    Strides
	ws      *DecodeWorkspace
	tasks   int // chunks of rows (0: one, run by the caller)
}

// prepareWorkers makes sure nw−1 extra workspaces exist for the pool's workers.
func (ws *DecodeWorkspace) prepareWorkers(nw int) {
	if len(ws.more) < nw-1 {
		ws.more = append(ws.more, make([]DecodeWorkspace, nw-1-len(ws.more))...)
	}
}

// Task runs chunk t of the rows as worker w (worker 0 is the caller's workspace).
func (j *rowsJob) Task(w, t int) {
	ws := j.ws
	if w > 0 {
		ws = &j.ws.more[w-1]
	}
	lo, hi := 0, len(j.rows)
	if j.tasks > 0 {
		lo, hi = par.Chunk(t, j.tasks, len(j.rows))
	}
	dc := &ws.dc
	dc.init(j.o, 1, 0, j.d, ws)
	if dc.batched(j.o.KeyMask, j.kvs.Row) {
		heads := ws.headList((hi - lo) * j.h)
		for r := lo; r < hi; r++ {
			row := j.rows[r]
			for h := 0; h < j.h; h++ {
				kv := 0 // an empty row's entry need not exist
				if row.Keys > 0 {
					kv = row.Entry*j.kvs.Batch + h*j.kvs.Head
				}
				heads = append(heads, simd.AttendHead{Q: r*j.qs.Batch + h*j.qs.Head, KV: kv, N: row.Keys,
					Out: r*j.outs.Batch + h*j.outs.Head})
			}
		}
		dc.attendHeads(j.q, j.k, j.v, j.out, heads, j.kvs.Row)
		*dc = decoder{}
		return
	}
	for r := lo; r < hi; r++ {
		row := j.rows[r]
		dc.setKeys(row.Keys)
		var mask []bool
		if j.o.KeyMask != nil {
			mask = j.o.KeyMask[row.Mask : row.Mask+row.Keys]
		}
		for h := 0; h < j.h; h++ {
			k, v := j.k[:0], j.v[:0] // an empty row's entry need not exist
			if row.Keys > 0 {
				kv := row.Entry*j.kvs.Batch + h*j.kvs.Head
				k, v = j.k[kv:], j.v[kv:]
			}
			dc.head(j.q[r*j.qs.Batch+h*j.qs.Head:], j.qs.Row, k, v, j.kvs.Row, mask,
				j.out[r*j.outs.Batch+h*j.outs.Head:], j.outs.Row)
		}
	}
	*dc = decoder{}
}
