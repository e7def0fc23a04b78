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
	var masks uint64 // lanes of o in chunk c: bits 16c..16c+15
	for c := 0; c < 4; c++ {
		lanes := min(max(n-16*c, 0), 16)
		masks |= (1<<lanes - 1) << (16 * c)
	}
	axpyRows64AVX512(p, v, ldv, o, masks)
}

//go:noescape
func axpyRowsAVX512(p, v []float32, ldv int, o []float32)

//go:noescape
func axpyRows64AVX512(p, v []float32, ldv int, o []float32, masks uint64)
