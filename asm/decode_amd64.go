//go:build !purego

package asm

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
// The vector version adds rows j ≡ 0, 1, 2, 3 (mod 4) into four partial sums, so it
// agrees with the loop within rounding of the summation order.
//
//go:noescape
func AxpyRowsAVX512(p, v []float32, ldv int, o []float32)
