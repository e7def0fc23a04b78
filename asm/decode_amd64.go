//go:build !purego

package asm

import "fmt"

// Row kernels of one-query attention (package attention's Decode): one query against
// a block of key rows, then the weighted sum of a block of value rows, each one call
// per block so that the per-row call cost of Dot and Axpy disappears.

// DotRowsAVX512 computes s[j] = Σ_l q[l]·k[j·ldk + l] for j < len(s), l < len(q):
// the dot products of q with len(s) rows of k (row stride ldk). len(q) ≥ 1,
// ldk ≥ len(q), len(k) ≥ (len(s)−1)·ldk + len(q). Reference loop (DotRowsGeneric):
//
//	for j := range s {
//		row := k[j*ldk : j*ldk+len(q)]
//		var a float32
//		for l, x := range q {
//			a += x * row[l]
//		}
//		s[j] = a
//	}
//
// Each row keeps 16 partial sums (fused multiply-adds), so it agrees with the loop
// within rounding of the summation order.
func DotRowsAVX512(q, k []float32, ldk int, s []float32) { dotRowsAVX512(q, k, ldk, s, 0) }

// SqDistRowsAVX512 computes s[j] = Σ_l (k[j·ldk + l] − q[l])² for j < len(s),
// l < len(q): the squared distances from q to len(s) rows of k, with the contract of
// DotRowsAVX512. Reference loop (SqDistRowsGeneric):
//
//	for j := range s {
//		row := k[j*ldk : j*ldk+len(q)]
//		var a float32
//		for l, x := range q {
//			t := row[l] - x
//			a += t * t
//		}
//		s[j] = a
//	}
func SqDistRowsAVX512(q, k []float32, ldk int, s []float32) { dotRowsAVX512(q, k, ldk, s, 1) }

// dotRowsAVX512 is DotRowsAVX512 (dist = 0) and SqDistRowsAVX512 (dist = 1): one loop,
// which multiplies k − q by itself instead of k by q when dist is set.
//
//go:noescape
func dotRowsAVX512(q, k []float32, ldk int, s []float32, dist int)

// AxpyRowsAVX512 computes o[l] += Σ_j p[j]·v[j·ldv + l] for l < len(o), j < len(p):
// o plus the combination of len(p) rows of v (row stride ldv) with weights p.
// len(o) ≥ 1, ldv ≥ len(o), len(v) ≥ (len(p)−1)·ldv + len(o). Reference loop
// (AxpyRowsGeneric):
//
//	for j, a := range p {
//		row := v[j*ldv : j*ldv+len(o)]
//		for l := range o {
//			o[l] = fma(a, row[l], o[l])
//		}
//	}
//
// Up to 64 floats of o stay in registers while the rows stream by once, even and odd
// rows into two partial sums; longer ones go 16 columns at a time over the rows, into
// four partial sums (rows j mod 4). Either agrees with the loop within rounding of the
// summation order.
func AxpyRowsAVX512(p, v []float32, ldv int, o []float32) {
	n := len(o)
	if n > 64 {
		axpyRowsAVX512(p, v, ldv, o)
		return
	}
	axpyRows64AVX512(p, v, ldv, o, laneMasks64(n))
}

// laneMasks64 returns the live lanes of the four 16-lane chunks of a vector of n ≤ 64
// floats: chunk c in bits 16c..16c+15.
func laneMasks64(n int) uint64 {
	var masks uint64
	for c := 0; c < 4; c++ {
		lanes := min(max(n-16*c, 0), 16)
		masks |= (1<<lanes - 1) << (16 * c)
	}
	return masks
}

//go:noescape
func axpyRowsAVX512(p, v []float32, ldv int, o []float32)

//go:noescape
func axpyRows64AVX512(p, v []float32, ldv int, o []float32, masks uint64)

// AttendRowsAVX512 folds n keys into one query's online attention state st (layout:
// AttendM, AttendL, AttendBias, AttendScratch, AttendAcc): the rows of k and v with
// stride ld, q of length d ≤ AttendMaxDimAVX512, len(st) ≥ AttendAcc + d, len(k) and
// len(v) ≥ (n−1)·ld + d, n ≥ 0. Reference loop (AttendRowsGeneric), per group of 16
// keys:
//
//	w[j] = c · score(kind & 7, q, row j of k)                 // AttendDot … AttendReluMin
//	if kind & AttendSquare != 0 { w[j] = (w[j] + st[AttendBias])² }
//	if kind & AttendExp != 0 {                                // online softmax
//		mnew = max(st[AttendM], max_j w[j]); if it changed, scale acc and st[AttendL] by exp(st[AttendM] − mnew)
//		w[j] = exp(w[j] − mnew)                           // (− 0 while mnew = −Inf)
//	}
//	st[AttendL] += Σ w[j];  acc += Σ w[j] · row j of v
//
// One call streams each K row once, scores 16 keys in registers (their 16
// accumulators reduced together), exponentiates them in one vector (Exp32's
// polynomial) and adds the 16 weighted V rows right after, so K and V are read once
// and nothing of the block goes through memory but the 16 weights. A last group of
// 1..15 keys is scored the same way (the rows it lacks read the last one again,
// their weights 0). kind may carry AttendPrefetch (K and V prefetched 32 rows ahead).
// It agrees with the loop within rounding of the summation orders; a NaN score makes
// st[AttendM] NaN in both (the max compare is unordered-or-greater, like the loop's
// x > m || x != x). It is AttendHeadsAVX512's kernel run on one head whose state is
// st. It panics if len(q) > AttendMaxDimAVX512 (the kernel holds q in four vectors).
func AttendRowsAVX512(q, k, v []float32, ld, n, kind int, c float32, st []float32) {
	if len(q) > AttendMaxDimAVX512 {
		panic(fmt.Sprintf("asm: AttendRowsAVX512: len(q) = %d > AttendMaxDimAVX512 = %d", len(q), AttendMaxDimAVX512))
	}
	if n == 0 {
		return
	}
	head := [1]AttendHead{{N: n}}
	attendHeadsKernel(q, k, v, st, head[:], len(q), ld, kind|attendState, c, st[AttendBias], 0, st)
}

// AttendHeadsAVX512 computes the one-query attention of each head of heads, its
// result normalized into out (AttendHeadsGeneric is the reference loop): head i's
// query is q[heads[i].Q:][:d], its keys and values the heads[i].N ≥ 1 rows of k and v
// from offset heads[i].KV (stride ld), d = len of each query ≤ AttendMaxDimAVX512,
// passed as d; w is scratch of at least AttendAcc + d floats. Each head is
// AttendRowsAVX512 from a fresh state, its result acc · s written to
// out[heads[i].Out:][:d] (s as AttendHeadsGeneric). One call runs every head, the
// groups of consecutive heads pipelined as those of one head are, so a head of a few
// keys costs no call of its own. The caller keeps calls short (a few thousand keys)
// and checks every head's offsets: the kernel does not.
func AttendHeadsAVX512(q, k, v, out []float32, heads []AttendHead, d, ld, kind int, c, bias, eps float32, w []float32) {
	if d > AttendMaxDimAVX512 {
		panic(fmt.Sprintf("asm: AttendHeadsAVX512: d = %d > AttendMaxDimAVX512 = %d", d, AttendMaxDimAVX512))
	}
	attendHeadsKernel(q, k, v, out, heads, d, ld, kind&^attendState, c, bias, eps, w)
}

// attendHeadsKernel runs the kernel for queries of d floats: two chunks a row up to
// 32, else four.
func attendHeadsKernel(q, k, v, out []float32, heads []AttendHead, d, ld, kind int, c, bias, eps float32, w []float32) {
	if d <= 32 {
		attendHeads32AVX512(q, k, v, out, heads, ld, kind, c, bias, eps, w, laneMasks64(d))
		return
	}
	attendHeadsAVX512(q, k, v, out, heads, ld, kind, c, bias, eps, w, laneMasks64(d))
}

// attendHeadsAVX512 is AttendHeadsAVX512 (and, with attendState in kind, each head's
// state read from and written back to out[Out:] instead of a result) with q in up to
// four 16-float chunks, attendHeads32AVX512 the same body for q of up to 32 floats
// (two chunks: no instructions for the lanes a head of 32 does not have).
//
//go:noescape
func attendHeadsAVX512(q, k, v, out []float32, heads []AttendHead, ld, kind int, c, bias, eps float32, w []float32, masks uint64)

//go:noescape
func attendHeads32AVX512(q, k, v, out []float32, heads []AttendHead, ld, kind int, c, bias, eps float32, w []float32, masks uint64)
