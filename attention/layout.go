package attention

// Layout gives the strides of the tensors of ForwardStrided and BackwardStrided: Q of
// q and dq, K of k and dk, V of v and dv, Out of out and dout. With MergedStrides the
// heads of a projection's output [B·N, ld] are read and written in place (a fused QKV
// row holds Q, K and V side by side), so no split into [B, H, N, D] and no merge back
// are needed.
type Layout struct{ Q, K, V, Out Strides }

// DenseLayout is the layout of contiguous q, out [B, H, Nq, D] and k, v [B, H, Nk, D]
// (Forward's and Backward's).
func DenseLayout(H, Nq, Nk, D int) Layout {
	q, k := DenseStrides(H, Nq, D), DenseStrides(H, Nk, D)
	return Layout{Q: q, K: k, V: k, Out: q}
}

// MergedStrides returns the strides of the heads of a [B·N, ld] matrix whose columns
// h·D .. h·D+D−1 (from the start of the slice passed with them) hold head h: row i of
// batch entry b is matrix row b·N+i.
func MergedStrides(N, D, ld int) Strides { return Strides{Batch: N * ld, Head: D, Row: ld} }

// view is one [B, H, N, D] operand of a call, addressed through its strides.
type view struct {
	x []float32
	s Strides
	h int // heads: head bh is batch entry bh/h, head bh%h
}

// rows returns the operand from row i of head bh on; its rows are s.Row apart.
func (v view) rows(bh, i int) []float32 {
	return v.x[(bh/v.h)*v.s.Batch+(bh%v.h)*v.s.Head+i*v.s.Row:]
}

// row returns row i of head bh (d values).
func (v view) row(bh, i, d int) []float32 {
	r := v.rows(bh, i)
	return r[:d:d]
}

// clearRows zeroes rows i0..i1-1 of head bh.
func (v view) clearRows(bh, i0, i1, d int) {
	if v.s.Row == d {
		if i1 > i0 {
			clear(v.rows(bh, i0)[:(i1-i0)*d])
		}
		return
	}
	for i := i0; i < i1; i++ {
		clear(v.row(bh, i, d))
	}
}

// dense reports whether the operand is contiguous [B, H, N, D].
func (v view) dense(n, d int) bool { return v.s == DenseStrides(v.h, n, d) }
