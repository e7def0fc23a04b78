package asm

import "math"

// DotRowsGeneric is the reference loop of DotRowsAVX512.
func DotRowsGeneric(q, k []float32, ldk int, s []float32) {
	for j := range s {
		row := k[j*ldk : j*ldk+len(q)]
		var a float32
		for l, x := range q {
			a += x * row[l]
		}
		s[j] = a
	}
}

// SqDistRowsGeneric is the reference loop of SqDistRowsAVX512.
func SqDistRowsGeneric(q, k []float32, ldk int, s []float32) {
	for j := range s {
		row := k[j*ldk : j*ldk+len(q)]
		var a float32
		for l, x := range q {
			t := row[l] - x
			a += t * t
		}
		s[j] = a
	}
}

// AxpyRowsGeneric is the reference loop of AxpyRowsAVX512.
func AxpyRowsGeneric(p, v []float32, ldv int, o []float32) {
	for j, a := range p {
		row := v[j*ldv : j*ldv+len(o)]
		for l := range o {
			o[l] = FMA32(a, row[l], o[l])
		}
	}
}

// The running state of AttendRows, one query's online softmax: st[AttendM] is the
// running max of the logits (−Inf before any key; exp-family kinds only),
// st[AttendL] the running sum of the weights, st[AttendBias] the constant b of
// AttendSquare weights (read, never written), st[AttendScratch:AttendScratch+16]
// scratch (the weights of one group of keys), and st[AttendAcc:AttendAcc+len(q)]
// the accumulated weighted sum of the values, all relative to exp(st[AttendM]).
const (
	AttendM       = 0
	AttendL       = 1
	AttendBias    = 2
	AttendScratch = 16
	AttendAcc     = 32
	// AttendMaxDimAVX512 is the largest len(q) AttendRowsAVX512 takes: the query and
	// the accumulator stay in four ZMM registers each.
	AttendMaxDimAVX512 = 64
)

// Score kinds of AttendRows (kind & 7), and the flag that makes the weights exp-family.
const (
	AttendDot     = iota // Σ q·k
	AttendSqDist         // Σ (q − k)²
	AttendL1             // Σ |q − k|
	AttendMin            // Σ min(q, k)
	AttendReluMin        // Σ max(0, min(q, k))
	// AttendExp: the weight of a key is exp(c·score − max) under the online softmax;
	// without it, the weight is c·score.
	AttendExp = 8
	// AttendSquare: the weight of a key is (c·score + st[AttendBias])² (the kernel
	// (γ qᵀk + b)² with AttendDot); not with AttendExp.
	AttendSquare = 32
	// AttendPrefetch: a hint that K and V stream from beyond the caches (a long run of
	// keys); the AVX-512 kernel then prefetches them 32 rows ahead. It changes no
	// result; the twin ignores it.
	AttendPrefetch = 16
)

// attendScore is the score of kind (AttendDot … AttendReluMin) between q and row.
func attendScore(kind int, q, row []float32) float32 {
	row = row[:len(q)]
	var a float32
	for l, x := range q {
		y := row[l]
		switch kind {
		case AttendDot:
			a = FMA32(x, y, a)
		case AttendSqDist:
			t := x - y
			a = FMA32(t, t, a)
		case AttendL1:
			a += float32(math.Abs(float64(x - y)))
		case AttendMin:
			a += min(x, y)
		default:
			a += max(0, min(x, y))
		}
	}
	return a
}

// AttendRowsGeneric is the reference loop of AttendRowsAVX512.
func AttendRowsGeneric(q, k, v []float32, ld, n, kind int, c float32, st []float32) {
	d := len(q)
	acc := st[AttendAcc : AttendAcc+d]
	p := st[AttendScratch : AttendScratch+16]
	for j0 := 0; j0 < n; j0 += 16 {
		nb := min(16, n-j0)
		w := p[:nb]
		for j := range w {
			w[j] = c * attendScore(kind&7, q, k[(j0+j)*ld:])
			if kind&AttendSquare != 0 {
				t := w[j] + st[AttendBias]
				w[j] = t * t
			}
		}
		if kind&AttendExp != 0 {
			m := st[AttendM]
			mnew := m
			for _, x := range w {
				if x > mnew || x != x {
					mnew = x
				}
			}
			if mnew != m {
				alpha := Exp32(m - mnew)
				for l := range acc {
					acc[l] *= alpha
				}
				st[AttendL] *= alpha
				st[AttendM] = mnew
			}
			sub := st[AttendM]
			if math.IsInf(float64(sub), -1) {
				sub = 0 // nothing but −Inf (or NaN) so far: exp(−Inf − 0) = 0, NaN stays NaN
			}
			for j, x := range w {
				w[j] = Exp32(x - sub)
			}
		}
		for j, a := range w {
			st[AttendL] += a
			row := v[(j0+j)*ld : (j0+j)*ld+d]
			for l := range acc {
				acc[l] = FMA32(a, row[l], acc[l])
			}
		}
	}
}

// AttendHead is one head of an AttendHeads call: its query at q[Q:], its N keys and
// values at rows KV, KV+ld, … of k and v, its result at out[Out:] (offsets in floats).
type AttendHead struct{ Q, KV, N, Out int }

// attendState makes the AVX-512 heads kernel read each head's running state from
// out[Out:] and write it back there (AttendRowsAVX512) instead of a fresh state and a
// normalized result.
const attendState = 64

// AttendHeadsGeneric is the reference loop of AttendHeadsAVX512: each head from a
// fresh state in w (AttendStart; len(w) ≥ AttendAcc + d), its result written by
// AttendFinish.
func AttendHeadsGeneric(q, k, v, out []float32, heads []AttendHead, d, ld, kind int, c, bias, eps float32, w []float32) {
	st := w[:AttendAcc+d]
	for _, h := range heads {
		AttendStart(st, bias)
		AttendRowsGeneric(q[h.Q:h.Q+d], k[h.KV:], v[h.KV:], ld, h.N, kind, c, st)
		AttendFinish(out[h.Out:h.Out+d], st, kind, eps)
	}
}

// AttendStart makes st a fresh AttendRows state: zeros, st[AttendM] = −Inf (no key
// yet) and bias at st[AttendBias].
func AttendStart(st []float32, bias float32) {
	clear(st)
	st[AttendM] = float32(math.Inf(-1))
	st[AttendBias] = bias
}

// AttendFinish writes the normalized result of the AttendRows state st into dst:
// acc · s with s = 1/sum, except s = 0 when the sum is 0 (kind with AttendExp) or
// |sum| ≤ eps (the others), as attention's normalization does.
func AttendFinish(dst, st []float32, kind int, eps float32) {
	l := st[AttendL]
	s := 1 / l
	if kind&AttendExp != 0 && l == 0 || kind&AttendExp == 0 && !(math.Abs(float64(l)) > float64(eps)) {
		s = 0
	}
	for i, a := range st[AttendAcc : AttendAcc+len(dst)] {
		dst[i] = a * s
	}
}
