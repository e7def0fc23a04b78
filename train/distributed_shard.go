package train

import (
	"cmp"
	"slices"
)

// shardPlan partitions the rows of a global micro-batch among the ranks of a
// data-parallel group so that their shards cost about the same to train: every rank
// gets ⌊B/N⌋ or ⌈B/N⌉ rows (the padded work of the matrix products), and, within
// that, rows are dealt largest first to the rank with the fewest real (non-padding)
// source and target tokens so far (the loss's softmax backward and the attention masks
// follow those). The PairLoader's batches hold sentences sorted by length, so cutting
// a batch in contiguous blocks would give the last rank the longest sentences: on the
// Bible recipe, ≈30% more CPU time per step than rank 0.
//
// The partition is a function of the batch, N and the micro-batch number alone (which
// ranks get the extra rows of a batch whose B is not a multiple of N rotates with it),
// so every rank computes the same one and each row is in exactly one shard. Which rows
// share a shard only changes the order of float32 sums: the update equals one
// process's on the global batch as before.
type shardPlan struct {
	cost, order, rank, load, count []int // per row / per rank scratch
	mine                           []int // this rank's rows, ascending
}

// rows returns the indices, ascending, of the rows of b that rank of size takes for
// the micro-batch numbered micro. The slice is valid until the next call.
func (p *shardPlan) rows(b *Batch, pad int32, size, rank int, micro uint64) []int {
	B := b.B
	p.cost = grow(p.cost, B)
	p.order = grow(p.order, B)
	p.rank = grow(p.rank, B)
	p.load = grow(p.load, size)
	p.count = grow(p.count, size)
	for i := range B {
		p.cost[i] = realTokens(b.Out[i*b.T:(i+1)*b.T], pad)
		if b.Src != nil {
			p.cost[i] += realTokens(b.Src[i*b.S:(i+1)*b.S], pad)
		}
		p.order[i] = i
	}
	slices.SortStableFunc(p.order, func(i, j int) int { return cmp.Compare(p.cost[j], p.cost[i]) })
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
		p.load[best] += p.cost[i]
		p.count[best]++
	}
	p.mine = p.mine[:0]
	for i := range B {
		if p.rank[i] == rank {
			p.mine = append(p.mine, i)
		}
	}
	return p.mine
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
	in, out, src := grow(dst.In, n*b.T), grow(dst.Out, n*b.T), dst.Src
	for k, i := range rows {
		copy(in[k*b.T:(k+1)*b.T], b.In[i*b.T:(i+1)*b.T])
		copy(out[k*b.T:(k+1)*b.T], b.Out[i*b.T:(i+1)*b.T])
	}
	T := max(usedWidth(in, n, b.T, pad), usedWidth(out, n, b.T, pad))
	compact(in, n, b.T, T)
	compact(out, n, b.T, T)
	*dst = Batch{B: n, T: T, In: in[:n*T], Out: out[:n*T]}
	if b.Src != nil {
		src = grow(src, n*b.S)
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
// source and target tokens.
type ShardLoad struct {
	Rows, Padded, Tokens int
}

func (l *ShardLoad) add(b *Batch, pad int32) {
	l.Rows += b.B
	l.Padded += b.B * (b.S + b.T)
	l.Tokens += realTokens(b.Out, pad) + realTokens(b.Src, pad)
}
