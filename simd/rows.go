package simd

import (
	"fmt"

	"github.com/kernelmachines/bkm/asm"
)

// checkRows panics unless rows rows of width n with stride ld fit in a slice of length
// have.
func checkRows(fn, name string, rows, n, ld, have int) {
	if ld < n {
		panic(fmt.Sprintf("simd: %s: ld%s = %d < %d", fn, name, ld, n))
	}
	if rows > 0 && have < (rows-1)*ld+n {
		panic(fmt.Sprintf("simd: %s: len(%s) = %d < %d needed for %d rows of %d with stride %d",
			fn, name, have, (rows-1)*ld+n, rows, n, ld))
	}
}

// rowsPerCall bounds the rows of one assembly call to about chunk floats.
func rowsPerCall(n int) int { return max(1, chunk/max(n, 1)) }

// DotRows computes s[j] = Σ_l q[l]·k[j·ldk + l] for j < len(s), l < len(q): q against
// len(s) rows of the row-major k (stride ldk ≥ len(q)), as one-query attention scores
// a block of keys. It panics if k is too short.
func DotRows(q, k []float32, ldk int, s []float32) {
	vecRows("DotRows", active.dotRows, active.dot, q, k, ldk, s)
}

// SqDistRows computes s[j] = Σ_l (k[j·ldk + l] − q[l])² for j < len(s), l < len(q):
// the squared distances from q to len(s) rows of the row-major k (stride ldk ≥ len(q)),
// as rbf attention scores a block of keys. It panics if k is too short.
func SqDistRows(q, k []float32, ldk int, s []float32) {
	vecRows("SqDistRows", active.sqDistRows, sqDist, q, k, ldk, s)
}

// sqDist is the per-row fallback of SqDistRows.
func sqDist(q, k []float32) float32 {
	var a float32
	for l, x := range q {
		t := k[l] - x
		a += t * t
	}
	return a
}

// vecRows runs s[j] = f(q, row j of k) through kernel (nil: perRow on each row), at
// most rowsPerCall rows per assembly call.
func vecRows(fn string, kernel func(q, k []float32, ldk int, s []float32), perRow func(q, k []float32) float32,
	q, k []float32, ldk int, s []float32) {
	n := len(q)
	checkRows(fn, "k", len(s), n, ldk, len(k))
	if n == 0 {
		clear(s)
		return
	}
	if kernel == nil {
		for j := range s {
			s[j] = perRow(q, k[j*ldk:j*ldk+n])
		}
		return
	}
	for step := rowsPerCall(n); len(s) > 0; {
		r := min(step, len(s))
		kernel(q, k, ldk, s[:r])
		s = s[r:]
		if len(s) > 0 {
			k = k[r*ldk:]
		}
	}
}

// AxpyRows computes o[l] += Σ_j p[j]·v[j·ldv + l] for l < len(o), j < len(p): o plus
// the combination of len(p) rows of the row-major v (stride ldv ≥ len(o)) with weights
// p, as one-query attention sums a block of values. It panics if v is too short.
func AxpyRows(p, v []float32, ldv int, o []float32) {
	n := len(o)
	checkRows("AxpyRows", "v", len(p), n, ldv, len(v))
	if n == 0 {
		return
	}
	if active.axpyRows == nil {
		for j, a := range p {
			active.axpy(a, v[j*ldv:j*ldv+n], o)
		}
		return
	}
	for step := rowsPerCall(n); len(p) > 0; {
		r := min(step, len(p))
		active.axpyRows(p[:r], v, ldv, o)
		p = p[r:]
		if len(p) > 0 {
			v = v[r*ldv:]
		}
	}
}

// Attention state layout and score kinds of AttendRows (see asm.AttendRowsGeneric).
const (
	// AttendM, AttendL, AttendAcc index the running max, the running sum and the
	// accumulator (len(q) floats) in AttendRows' state.
	AttendM   = asm.AttendM
	AttendL   = asm.AttendL
	AttendAcc = asm.AttendAcc
	// AttendBias indexes the constant b of AttendSquare weights in the state.
	AttendBias = asm.AttendBias

	AttendDot     = asm.AttendDot     // score Σ q·k (edp, poly)
	AttendSqDist  = asm.AttendSqDist  // Σ (q − k)² (rbf)
	AttendL1      = asm.AttendL1      // Σ |q − k| (laplace)
	AttendMin     = asm.AttendMin     // Σ min(q, k) (expint)
	AttendReluMin = asm.AttendReluMin // Σ max(0, min(q, k)) (intersection)
	// AttendExp: weights exp(c·score − running max) (online softmax), else c·score.
	AttendExp = asm.AttendExp
	// AttendSquare: weights (c·score + st[AttendBias])² (poly of degree 2); not with
	// AttendExp.
	AttendSquare = asm.AttendSquare
)

// attendKeysPerCall bounds the keys of one assembly call of AttendRows.
const attendKeysPerCall = 256

// attendPrefetchKeys is the least number of keys of an AttendRows call whose K and V
// the kernel prefetches (asm.AttendPrefetch): 2,048 keys of 64 floats are 1 MiB of
// K and V a head, which stream from L3 or memory rather than L2.
const attendPrefetchKeys = 2048

// AttendRows folds n keys into one query's online attention state st: key j is row j
// of k and its value row j of v (both with stride ld ≥ len(q)); its score is
// kind & 7 (AttendDot … AttendReluMin) between q and the key, times c, and its weight
// the exp of that minus the running max st[AttendM] under the online softmax when
// kind has AttendExp (the accumulator and st[AttendL] rescaled as the max grows),
// with AttendSquare the square of the scaled score plus st[AttendBias], else the
// scaled score itself. The weights add to st[AttendL] and the weighted value rows to
// st[AttendAcc:AttendAcc+len(q)]. A fresh state has st[AttendM] = −Inf, the bias at
// st[AttendBias] and zeros elsewhere; len(st) ≥ AttendAcc + len(q). Keys are taken in groups of 16
// (scored, exponentiated and summed together), which is what the kernels and their
// twin do alike. It panics if k, v or st is too short or kind is unknown.
func AttendRows(q, k, v []float32, ld, n, kind int, c float32, st []float32) {
	d := len(q)
	if n < 0 || badAttendKind(kind) {
		panic(fmt.Sprintf("simd: AttendRows: n = %d, kind = %d", n, kind))
	}
	checkRows("AttendRows", "k", n, d, ld, len(k))
	checkRows("AttendRows", "v", n, d, ld, len(v))
	if len(st) < AttendAcc+d {
		panic(fmt.Sprintf("simd: AttendRows: len(st) = %d < %d", len(st), AttendAcc+d))
	}
	kernel := active.attendRows
	if kernel == nil || d > active.attendMaxDim {
		kernel = asm.AttendRowsGeneric
	}
	if n >= attendPrefetchKeys {
		kind |= asm.AttendPrefetch
	}
	for n > 0 {
		r := min(n, attendKeysPerCall)
		kernel(q, k, v, ld, r, kind, c, st)
		n -= r
		if n > 0 {
			k, v = k[r*ld:], v[r*ld:]
		}
	}
}

// AttendRowsFast reports whether AttendRows runs on a vector kernel for queries of
// length d (otherwise it runs the pure-Go twin).
func AttendRowsFast(d int) bool { return active.attendRows != nil && d <= active.attendMaxDim }

// AttendHead is one head of an AttendHeads call: its query at q[Q:], its N keys and
// values at rows KV, KV+ld, … of k and v, its result at out[Out:] (offsets in floats).
type AttendHead = asm.AttendHead

// attendHeadsKeysPerCall bounds the keys of one assembly call of AttendHeads (the
// heads of a call are whole: a head of more than attendKeysPerCall keys goes through
// AttendRows' calls instead).
const attendHeadsKeysPerCall = 1024

// AttendHeads computes one-query attention for every head of heads (the heads of a
// decoding step, and of several hypotheses or sentences): head h's query q[h.Q:][:d]
// against its h.N keys and values, rows h.KV, h.KV+ld, … of k and v, weighted as
// AttendRows weights them (kind, c, and bias in place of st[AttendBias]) from a fresh
// state, and its normalized result Σ w_j·v_j / Σ w_j written to out[h.Out:][:d] — 0
// when the sum is 0 (exp family) or |sum| ≤ eps (the others), so a head without keys
// gets zeros. w is scratch of at least AttendAcc + d floats. The vector kernel runs
// many heads a call, the groups of one head overlapping the next head's, so a head of
// a few dozen keys costs no call, state round trip or normalization pass of its own;
// heads of more than attendKeysPerCall keys go through AttendRows. It panics if a
// head's rows lie outside q, k, v or out, ld < d, w is too short or kind is unknown.
func AttendHeads(q, k, v, out []float32, heads []AttendHead, d, ld, kind int, c, bias, eps float32, w []float32) {
	checkAttendHeads(q, k, v, out, heads, d, ld, kind, w)
	if d == 0 {
		return
	}
	kernel := active.attendHeads
	if kernel == nil || d > active.attendMaxDim {
		kernel = asm.AttendHeadsGeneric
	}
	for i := 0; i < len(heads); {
		j, keys := i, 0
		for j < len(heads) && heads[j].N > 0 && heads[j].N <= attendKeysPerCall && (j == i || keys+heads[j].N <= attendHeadsKeysPerCall) {
			keys += heads[j].N
			j++
		}
		if j > i {
			kernel(q, k, v, out, heads[i:j], d, ld, kind, c, bias, eps, w)
			i = j
			continue
		}
		h := heads[i] // no keys, or many
		st := w[:AttendAcc+d]
		asm.AttendStart(st, bias)
		if h.N > 0 {
			AttendRows(q[h.Q:h.Q+d], k[h.KV:], v[h.KV:], ld, h.N, kind, c, st)
		}
		asm.AttendFinish(out[h.Out:h.Out+d], st, kind, eps)
		i++
	}
}

// checkAttendHeads panics on AttendHeads' programmer errors.
func checkAttendHeads(q, k, v, out []float32, heads []AttendHead, d, ld, kind int, w []float32) {
	if d < 0 || ld < d || badAttendKind(kind) {
		panic(fmt.Sprintf("simd: AttendHeads: d = %d, ld = %d, kind = %d", d, ld, kind))
	}
	if len(w) < AttendAcc+d {
		panic(fmt.Sprintf("simd: AttendHeads: len(w) = %d < %d", len(w), AttendAcc+d))
	}
	for i, h := range heads {
		if h.Q < 0 || h.KV < 0 || h.N < 0 || h.Out < 0 || h.Q+d > len(q) || h.Out+d > len(out) ||
			h.N > 0 && (h.KV+(h.N-1)*ld+d > len(k) || h.KV+(h.N-1)*ld+d > len(v)) {
			panic(fmt.Sprintf("simd: AttendHeads: heads[%d] = %+v outside len(q), len(k), len(v), len(out) = %d, %d, %d, %d (d = %d, ld = %d)",
				i, h, len(q), len(k), len(v), len(out), d, ld))
		}
	}
}

// badAttendKind reports whether kind is not a kernel AttendRows and AttendHeads run:
// unknown bits, an unknown kernel in the low three bits, or both AttendExp and
// AttendSquare.
func badAttendKind(kind int) bool {
	return kind&^(AttendExp|AttendSquare|7) != 0 || kind&7 > AttendReluMin || kind&(AttendExp|AttendSquare) == AttendExp|AttendSquare
}
