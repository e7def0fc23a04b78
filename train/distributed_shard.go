package train

import (
	"cmp"
	"slices"
)

// shardPlan partitions the rows of a global micro-batch among the ranks of a
// data-parallel group so that their shards cost about the same to train. A shard's
// cost is its padded positions — rows × (S + T), cut to its own longest source and
// target, the work of the matrix products — plus its real source and target tokens
// (the loss's softmax backward and the attention masks follow those): shardCost.
//
// It starts from a deal by rows: every rank gets ⌊B/N⌋ or ⌈B/N⌉ rows (which ranks get
// the extra rows of a batch whose B is not a multiple of N rotates with the micro-batch
// number), dealt largest first to the rank with the fewest tokens so far. The
// PairLoader's batches hold sentences of similar length, so when N does not divide B
// one rank has a whole row more (on the Bible recipe, 44 of 90 steps: 43 target tokens
// and 4–6 ms of CPU more a step). It then balances by cost, not rows: while moving a
// row from the costliest rank to another, or swapping two rows between them, lowers
// the larger of the two costs, it does the best such move. The ranks with the shorter
// rows then take more rows: e.g. 12 rows of 40 tokens against 11 of 44.
//
// Cutting a batch in contiguous blocks instead would give the last rank the longest
// sentences (the loader sorts a batch by length): on the Bible recipe ≈30% more CPU time
// per step than rank 0.
//
// The partition is a function of the batch, N and the micro-batch number alone, so
// every rank computes the same one and each row is in exactly one shard. Which rows
// share a shard only changes the order of float32 sums (the loss is still scaled by
// the global batch's target count): the update equals one process's on the global
// batch as before.
type shardPlan struct {
	tokens, sw, tw, order, rank []int // per row: real tokens, source and target width, scratch
	load, count, cost           []int // per rank
	mine                        []int // this rank's rows, ascending
	// The difference in real tokens between the largest and the smallest shard of the
	// last plan, and of the deal by rows it started from.
	spread, rowSpread int
}

// tokenSpread is the difference in real tokens between the ranks' largest and
// smallest shards.
func (p *shardPlan) tokenSpread(B, size int) int {
	clear(p.load[:size])
	for i := range B {
		p.load[p.rank[i]] += p.tokens[i]
	}
	return slices.Max(p.load[:size]) - slices.Min(p.load[:size])
}

// rows returns the indices, ascending, of the rows of b that rank of size takes for
// the micro-batch numbered micro. The slice is valid until the next call.
func (p *shardPlan) rows(b *Batch, pad int32, size, rank int, micro uint64) []int {
	B := b.B
	p.tokens, p.sw, p.tw = grow(p.tokens, B), grow(p.sw, B), grow(p.tw, B)
	p.order, p.rank = grow(p.order, B), grow(p.rank, B)
	p.load, p.count, p.cost = grow(p.load, size), grow(p.count, size), grow(p.cost, size)
	for i := range B {
		in, out := b.In[i*b.T:(i+1)*b.T], b.Out[i*b.T:(i+1)*b.T]
		p.tokens[i] = realTokens(out, pad)
		p.tw[i] = max(usedWidth(in, 1, b.T, pad), usedWidth(out, 1, b.T, pad))
		p.sw[i] = 0
		if b.Src != nil {
			src := b.Src[i*b.S : (i+1)*b.S]
			p.tokens[i] += realTokens(src, pad)
			p.sw[i] = usedWidth(src, 1, b.S, pad)
		}
		p.order[i] = i
	}
	p.dealByRows(B, size, micro)
	p.rowSpread = p.tokenSpread(B, size)
	p.balance(B, size)
	p.spread = p.tokenSpread(B, size)
	p.mine = p.mine[:0]
	for i := range B {
		if p.rank[i] == rank {
			p.mine = append(p.mine, i)
		}
	}
	return p.mine
}

// dealByRows deals the rows largest first to the rank with the fewest tokens among
// those with room, every rank holding ⌊B/N⌋ or ⌈B/N⌉ rows.
func (p *shardPlan) dealByRows(B, size int, micro uint64) {
	slices.SortStableFunc(p.order, func(i, j int) int { return cmp.Compare(p.tokens[j], p.tokens[i]) })
	clear(p.load)
	clear(p.count)
	base, extra, rot := B/size, B%size, int(micro%uint64(size))
	capacity := func(r int) int {
		if (r-rot+size)%size < extra {
			return base + 1
		}
		return base
	}
	for _, i := range p.order {
		best := -1
		for r := range size {
			if p.count[r] < capacity(r) && (best < 0 || p.load[r] < p.load[best]) {
				best = r
			}
		}
		p.rank[i] = best
		p.load[best] += p.tokens[i]
		p.count[best]++
	}
}

// shardCost is the cost of rank r's shard (padded positions plus real tokens) without
// row out and with row in (−1: none).
func (p *shardPlan) shardCost(B, r, out, in int) int {
	n, s, t, tokens := 0, 0, 0, 0
	add := func(i int) {
		n++
		s, t = max(s, p.sw[i]), max(t, p.tw[i])
		tokens += p.tokens[i]
	}
	for i := range B {
		if p.rank[i] == r && i != out {
			add(i)
		}
	}
	if in >= 0 {
		add(in)
	}
	return n*(s+t) + tokens
}

// balance improves the partition in p.rank: while moving one row from the costliest
// rank a to another rank q, or swapping a row of a with one of q, makes both costs
// lower than a's, it makes the move that lowers the larger of the two most. Each move
// lowers the sorted costs lexicographically, so it ends; the bound on the moves only
// caps the work.
func (p *shardPlan) balance(B, size int) {
	for r := range size {
		p.cost[r] = p.shardCost(B, r, -1, -1)
	}
	for range 4 * B {
		a := 0
		for r := range size {
			if p.cost[r] > p.cost[a] {
				a = r
			}
		}
		best, bi, bj, bq, ca, cq := p.cost[a], -1, -1, -1, 0, 0
		try := func(i, j, q int) {
			x, y := p.shardCost(B, a, i, j), p.shardCost(B, q, j, i)
			if m := max(x, y); m < best {
				best, bi, bj, bq, ca, cq = m, i, j, q, x, y
			}
		}
		for i := range B {
			if p.rank[i] != a {
				continue
			}
			for q := range size {
				if q == a {
					continue
				}
				try(i, -1, q) // move i to q
				for j := range B {
					if p.rank[j] == q {
						try(i, j, q) // swap i and j
					}
				}
			}
		}
		if bi < 0 {
			return
		}
		p.rank[bi] = bq
		if bj >= 0 {
			p.rank[bj] = a
		}
		p.cost[a], p.cost[bq] = ca, cq
	}
}

// grow returns x resized to n elements, reusing its array when large enough.
func grow[E any](x []E, n int) []E {
	if cap(x) < n {
		return make([]E, n)
	}
	return x[:n]
}

// realTokens counts the entries of row that are not pad.
func realTokens(row []int32, pad int32) int {
	n := 0
	for _, id := range row {
		if id != pad {
			n++
		}
	}
	return n
}

// usedWidth is one past the last column of the rows×width matrix x holding anything
// but pad (at least 1): the columns after it are padding in every row.
func usedWidth(x []int32, rows, width int, pad int32) int {
	used := 1
	for r := range rows {
		row := x[r*width : (r+1)*width]
		for j := len(row) - 1; j >= used; j-- {
			if row[j] != pad {
				used = j + 1
				break
			}
		}
	}
	return used
}

// gatherRows copies rows of b into dst (reusing its arrays) and cuts the columns that
// are padding in every gathered row: a shard of short sentences does not pay for the
// global batch's longest. Cutting them leaves every real token's result unchanged —
// padding sits at the right of every row, padded source keys are masked, the decoder
// is causal, and padded targets have no loss — so their gradients were exact zeros.
func gatherRows(dst *Batch, b *Batch, rows []int, pad int32) *Batch {
	n := len(rows)
	// Sized for the whole batch: shards of varying rows then reuse the arrays.
	in, out, src := grow(dst.In, b.B*b.T), grow(dst.Out, b.B*b.T), dst.Src
	for k, i := range rows {
		copy(in[k*b.T:(k+1)*b.T], b.In[i*b.T:(i+1)*b.T])
		copy(out[k*b.T:(k+1)*b.T], b.Out[i*b.T:(i+1)*b.T])
	}
	T := max(usedWidth(in, n, b.T, pad), usedWidth(out, n, b.T, pad))
	compact(in, n, b.T, T)
	compact(out, n, b.T, T)
	*dst = Batch{B: n, T: T, In: in[:n*T], Out: out[:n*T]}
	if b.Src != nil {
		src = grow(src, b.B*b.S)
		for k, i := range rows {
			copy(src[k*b.S:(k+1)*b.S], b.Src[i*b.S:(i+1)*b.S])
		}
		S := usedWidth(src, n, b.S, pad)
		compact(src, n, b.S, S)
		dst.S, dst.Src = S, src[:n*S]
	}
	return dst
}

// compact rewrites the rows×width matrix x in place as rows×used, keeping each row's
// first used columns.
func compact(x []int32, rows, width, used int) {
	for r := 1; r < rows; r++ {
		copy(x[r*used:(r+1)*used], x[r*width:r*width+used])
	}
}

// ShardLoad is what a rank's shards held, summed over its steps: rows, padded
// positions (rows × (S + T) of each shard, the work of the matrix products) and real
// source and target tokens. Spread is the sum over the micro-batches of the difference
// in real tokens between the largest and the smallest rank's shard, RowSpread the
// same for the deal by rows the plan started from (shardPlan): what balancing by cost
// changed.
type ShardLoad struct {
	Rows, Padded, Tokens int
	Spread, RowSpread    int
}

func (l *ShardLoad) add(b *Batch, pad int32) {
	l.Rows += b.B
	l.Padded += b.B * (b.S + b.T)
	l.Tokens += realTokens(b.Out, pad) + realTokens(b.Src, pad)
}
