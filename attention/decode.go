package attention

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/kernelmachines/bkm/simd"
)

// MaxDecodeQueries is the largest number of queries per head Decode takes: one new
// token per step, or a few (speculative or chunked decoding).
const MaxDecodeQueries = 8

// decodeBlock is the number of keys Decode scores at a time: their K and V rows
// (decodeBlock·D floats each) stay in L1 between the score pass and the value pass,
// so K and V are read from memory once.
const decodeBlock = 64

// decodeFeatureFloats bounds the key features (linear, favor) Decode holds per block.
const decodeFeatureFloats = 1 << 14

// Strides locate the rows of a [B, H, N, D] tensor stored with gaps: row i of head h
// of batch b starts at b·Batch + h·Head + i·Row. A key/value cache allocated for
// MaxLen positions and filled up to Nk has Head = MaxLen·D; the queries of a step
// taken straight out of a fused [B, 3·C] QKV projection have Batch = 3·C, Head = D.
type Strides struct{ Batch, Head, Row int }

// DenseStrides returns the strides of a contiguous [B, H, N, D] tensor.
func DenseStrides(H, N, D int) Strides { return Strides{Batch: H * N * D, Head: N * D, Row: D} }

// span returns the number of floats a [B, H, N, D] tensor with strides s needs.
func (s Strides) span(B, H, N, D int) int {
	if B == 0 || H == 0 || N == 0 {
		return 0
	}
	return (B-1)*s.Batch + (H-1)*s.Head + (N-1)*s.Row + D
}

func (s Strides) check(fn, name string, x []float32, B, H, N, D int) {
	if s.Batch < 0 || s.Head < 0 || s.Row < 0 || (N > 1 && s.Row < D) {
		panic(fmt.Sprintf("attention: %s: %s strides %+v (want ≥ 0, Row ≥ D = %d)", fn, name, s, D))
	}
	if n := s.span(B, H, N, D); len(x) < n {
		panic(fmt.Sprintf("attention: %s: len(%s) = %d < %d needed by strides %+v", fn, name, len(x), n, s))
	}
}

// checkOut is check for an output: it also panics when two elements of the tensor
// share a float (a Head stride below D, say), which would make the workers race. The
// dimensions of extent > 1, by increasing stride, must each step past the whole span of
// the smaller ones.
func (s Strides) checkOut(fn, name string, x []float32, B, H, N, D int) {
	s.check(fn, name, x, B, H, N, D)
	dims := [3][2]int{{s.Row, N}, {s.Head, H}, {s.Batch, B}}
	slices.SortStableFunc(dims[:], func(a, b [2]int) int { return a[0] - b[0] })
	span := D
	for _, d := range dims {
		if d[1] <= 1 {
			continue
		}
		if d[0] < span {
			panic(fmt.Sprintf("attention: %s: %s strides %+v overlap (B, H, N, D = %d, %d, %d, %d): an output's elements must not share memory", fn, name, s, B, H, N, D))
		}
		span = d[0]*(d[1]-1) + span
	}
}

// DecodeWorkspace holds Decode's scratch (accumulators, one block of scores, query
// and key features); it grows to the largest call it has seen. It must not be used
// by two calls at the same time; pass nil to Decode to use an internal pool.
type DecodeWorkspace struct {
	buf   []float32
	heads []simd.AttendHead // the heads of a simd.AttendHeads call
	dc    decoder
	rows  rowsJob           // DecodeRows's call
	more  []DecodeWorkspace // DecodeRows's pool workers 1, 2, …
}

var decodePool = sync.Pool{New: func() any { return new(DecodeWorkspace) }}

// Decode is attention for a decoding step: Nq ≤ MaxDecodeQueries queries per head
// against a key/value cache of Nk keys, for B batch entries (hypotheses) of H heads of
// dimension D. q, k, v and out are [B, H, N, D] tensors laid out with the given
// strides (k and v share theirs), so a cache that is filled one row per step is used
// in place. The result is that of Forward (o.Kernel, o.Scale, o.Causal, o.KeyMask,
// o.Unnormalized have the same meaning; causal query i sees key j iff
// j ≤ i + Nk − Nq), without the row statistics; o.Dropout must be 0.
//
// Each head streams once over its keys. The exp family, intersection and poly of
// degree 2 go through simd.AttendRows, which scores 16 keys in registers, weights them
// (online softmax for the exp family) and adds their values right after; the other
// kernels go in blocks that stay in L1: the block's scores (or logits) for every query
// (simd.DotRows for the dot-product and feature kernels), a running sum, then the
// weighted sum of the block's values (simd.AxpyRows). The scores of keys a query
// may not see are discarded and their values never read, so padding rows of a cache
// may hold anything, NaN included. Decode runs on the calling goroutine (callers parallelize over
// hypotheses if they want to) and does not allocate once ws has grown; ws may be nil
// (pooled). With Nk = 0, or every key masked, a normalized row is zero.
func Decode(o *Options, B, H, Nq, Nk, D int, q []float32, qs Strides, k, v []float32, kvs Strides,
	out []float32, outs Strides, ws *DecodeWorkspace) {
	checkShape("Decode", o, B, H, Nq, Nk, D)
	if Nq > MaxDecodeQueries {
		panic(fmt.Sprintf("attention: Decode: Nq = %d > MaxDecodeQueries = %d", Nq, MaxDecodeQueries))
	}
	if o.Dropout != 0 {
		panic(fmt.Sprintf("attention: Decode: Dropout = %v: decoding does not drop", o.Dropout))
	}
	qs.check("Decode", "q", q, B, H, Nq, D)
	kvs.check("Decode", "k", k, B, H, Nk, D)
	kvs.check("Decode", "v", v, B, H, Nk, D)
	outs.check("Decode", "out", out, B, H, Nq, D)
	if ws == nil {
		ws = decodePool.Get().(*DecodeWorkspace)
		defer decodePool.Put(ws)
	}
	dc := &ws.dc
	dc.init(o, Nq, Nk, D, ws)
	if dc.batched(o.KeyMask, kvs.Row) {
		heads := ws.headList(B * H)
		for b := 0; b < B; b++ {
			for h := 0; h < H; h++ {
				heads = append(heads, simd.AttendHead{Q: b*qs.Batch + h*qs.Head, KV: b*kvs.Batch + h*kvs.Head, N: Nk,
					Out: b*outs.Batch + h*outs.Head})
			}
		}
		dc.attendHeads(q, k, v, out, heads, kvs.Row)
		*dc = decoder{}
		return
	}
	for b := 0; b < B; b++ {
		var mask []bool
		if o.KeyMask != nil {
			mask = o.KeyMask[b*Nk : b*Nk+Nk]
		}
		for h := 0; h < H; h++ {
			dc.head(q[b*qs.Batch+h*qs.Head:], qs.Row, k[b*kvs.Batch+h*kvs.Head:], v[b*kvs.Batch+h*kvs.Head:],
				kvs.Row, mask, out[b*outs.Batch+h*outs.Head:], outs.Row)
		}
	}
	*dc = decoder{} // drop the references to the caller's data
}

// decoder is the state of one Decode call.
type decoder struct {
	z         *zooKernel
	g         float32
	exp       bool
	unnorm    bool
	causal    bool
	nq, nk, d int
	f         int       // feature dimension (linear, favor), else 0
	blk       int       // keys per block
	fused     int       // simd.AttendRows score kind (fused path), or -1
	c, bias   float32   // its scale and st[simd.AttendBias]
	st        []float32 // fused path: one simd.AttendRows state per query, stride stLen
	stLen     int
	acc       []float32
	m, l      []float32 // running max (exp-family), running sum: [nq]
	s         []float32 // scores of one block: [nq, blk]
	fq, fk    []float32 // features of the queries [nq, f] and of the block's keys [blk, f]
	fm        featurizer
}

func (dc *decoder) init(o *Options, nq, nk, d int, ws *DecodeWorkspace) {
	z := o.kernel()
	*dc = decoder{z: z, g: o.Gamma(d), exp: z.ExpFamily(), unnorm: o.Unnormalized, causal: o.Causal,
		nq: nq, nk: nk, d: d, blk: decodeBlock}
	if z.usesFeatures() {
		dc.f = z.FeatureDim(d)
		dc.blk = max(1, min(decodeBlock, decodeFeatureFloats/dc.f))
	}
	dc.fused, dc.c, dc.bias = fusedKind(z, dc.g)
	if dc.fused >= 0 && !simd.AttendRowsFast(d) {
		dc.fused = -1
	}
	if dc.fused >= 0 {
		dc.stLen = simd.AttendAcc + d
		dc.setKeys(nk)
	}
	sizes := []int{nq * d, nq, nq, nq * dc.blk, nq * dc.f, dc.blk * dc.f, nq * dc.stLen, dc.f}
	if dc.fused >= 0 {
		sizes = []int{0, 0, 0, 0, 0, 0, nq * dc.stLen, 0}
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	ws.buf = grow(ws.buf, total)
	buf := ws.buf
	var tmp []float32
	for i, p := range []*[]float32{&dc.acc, &dc.m, &dc.l, &dc.s, &dc.fq, &dc.fk, &dc.st, &tmp} {
		*p, buf = buf[:sizes[i]:sizes[i]], buf[sizes[i]:]
	}
	if dc.f > 0 {
		dc.fm = newFeaturizer(z, dc.g, d, tmp)
	}
}

// setKeys makes nk the number of keys; a fused decoder of one query takes them all as
// one block (no block to keep in L1 for a next query). The fused path's buffers do not
// depend on the block, so DecodeRows sets it row by row.
func (dc *decoder) setKeys(nk int) {
	dc.nk = nk
	if dc.fused >= 0 && dc.nq == 1 {
		dc.blk = max(1, nk)
	}
}

// fusedKind returns the simd.AttendRows score kind, scale c and bias (AttendSquare's
// b) of the kernels whose weights it computes in registers (the exp family,
// intersection and poly of degree 2), or −1.
func fusedKind(z *zooKernel, g float32) (kind int, c, bias float32) {
	switch z.kind {
	case kEDP:
		return simd.AttendDot | simd.AttendExp, g, 0
	case kRBF:
		return simd.AttendSqDist | simd.AttendExp, -g / 2, 0
	case kLaplace:
		return simd.AttendL1 | simd.AttendExp, -g, 0
	case kExpInt:
		return simd.AttendMin | simd.AttendExp, g, 0
	case kIntersection:
		return simd.AttendReluMin, 1, 0
	case kPoly:
		if z.p == 2 {
			return simd.AttendDot | simd.AttendSquare, g, float32(z.c)
		}
	}
	return -1, 0, 0
}

// batched reports whether the call's heads go to simd.AttendHeads, many heads a
// call: the fused kernels with one query, no key mask, normalized, and key rows at
// least D apart.
func (dc *decoder) batched(mask []bool, ldk int) bool {
	return dc.fused >= 0 && dc.nq == 1 && mask == nil && !dc.unnorm && ldk >= dc.d
}

// headList returns the workspace's head list, emptied, with room for n heads.
func (ws *DecodeWorkspace) headList(n int) []simd.AttendHead {
	if cap(ws.heads) < n {
		ws.heads = make([]simd.AttendHead, 0, n)
	}
	return ws.heads[:0]
}

// attendHeads runs heads (one query each, offsets into q, k, v and out) through
// simd.AttendHeads, dc.st its scratch.
func (dc *decoder) attendHeads(q, k, v, out []float32, heads []simd.AttendHead, ldk int) {
	simd.AttendHeads(q, k, v, out, heads, dc.d, ldk, dc.fused, dc.c, dc.bias, guardEps, dc.st)
}

// fusedHead is head for the fused kernels: each query's keys go through
// simd.AttendRows block by block (blocks small enough to stay in L1 for the next
// query), in runs of visible keys.
func (dc *decoder) fusedHead(q []float32, ldq int, k, v []float32, ldk int, mask []bool, out []float32, ldo int) {
	d, nq, n := dc.d, dc.nq, dc.stLen
	clear(dc.st)
	for i := 0; i < nq; i++ {
		dc.st[i*n+simd.AttendM] = float32(math.Inf(-1))
		dc.st[i*n+simd.AttendBias] = dc.bias
	}
	if nq == 1 && mask == nil { // a decoder's step: one run of every key
		simd.AttendRows(q[:d], k, v, ldk, dc.nk, dc.fused, dc.c, dc.st)
	} else {
		dc.fusedBlocks(q, ldq, k, v, ldk, mask)
	}
	for i := 0; i < nq; i++ {
		st := dc.st[i*n : (i+1)*n]
		dc.finish(out[i*ldo:i*ldo+d], st[simd.AttendAcc:simd.AttendAcc+d], st[simd.AttendM], st[simd.AttendL])
	}
}

// fusedBlocks runs fusedHead's queries block by block, each over its runs of
// visible keys.
func (dc *decoder) fusedBlocks(q []float32, ldq int, k, v []float32, ldk int, mask []bool) {
	d, nq, n := dc.d, dc.nq, dc.stLen
	for j0 := 0; j0 < dc.nk; j0 += dc.blk {
		nc := min(dc.blk, dc.nk-j0)
		for i := 0; i < nq; i++ {
			qi, st := q[i*ldq:i*ldq+d], dc.st[i*n:(i+1)*n]
			vis := dc.visible(i, j0, nc)
			for j := 0; j < vis; {
				if mask != nil && !mask[j0+j] {
					j++
					continue
				}
				e := j + 1
				for e < vis && (mask == nil || mask[j0+e]) {
					e++
				}
				simd.AttendRows(qi, k[(j0+j)*ldk:], v[(j0+j)*ldk:], ldk, e-j, dc.fused, dc.c, st)
				j = e
			}
		}
	}
}

// finish writes one query's output: its accumulator acc under running max m and sum l.
func (dc *decoder) finish(dst, acc []float32, m, l float32) {
	copy(dst, acc)
	simd.Scale(outScale(dc.exp, dc.unnorm, m, l), dst)
}

// visible returns how many keys of the block starting at j0 (nc keys) query i may see
// under the causal rule; the key mask is applied separately.
func (dc *decoder) visible(i, j0, nc int) int {
	if !dc.causal {
		return nc
	}
	return max(0, min(nc, i+dc.nk-dc.nq+1-j0))
}

// head computes one head: queries q (row stride ldq), keys k and values v (row
// stride ldk), key mask (nil: all visible), outputs out (row stride ldo).
func (dc *decoder) head(q []float32, ldq int, k, v []float32, ldk int, mask []bool, out []float32, ldo int) {
	if dc.fused >= 0 {
		dc.fusedHead(q, ldq, k, v, ldk, mask, out, ldo)
		return
	}
	d, nq := dc.d, dc.nq
	clear(dc.acc)
	clear(dc.l)
	for i := range dc.m {
		dc.m[i] = float32(math.Inf(-1))
	}
	for i := 0; i < nq; i++ {
		qi := q[i*ldq : i*ldq+d]
		if dc.f > 0 {
			dc.fm.row(qi, dc.fq[i*dc.f:(i+1)*dc.f])
		}
	}
	for j0 := 0; j0 < dc.nk; j0 += dc.blk {
		nc := min(dc.blk, dc.nk-j0)
		dc.block(q, ldq, k[j0*ldk:], v[j0*ldk:], ldk, j0, nc, mask)
	}
	for i := 0; i < nq; i++ {
		dc.finish(out[i*ldo:i*ldo+d], dc.acc[i*d:i*d+d], dc.m[i], dc.l[i])
	}
}

// block folds keys j0..j0+nc-1 (k and v start at key j0) into the accumulators.
func (dc *decoder) block(q []float32, ldq int, k, v []float32, ldk, j0, nc int, mask []bool) {
	d, f, g, z := dc.d, dc.f, dc.g, dc.z
	seen := dc.visible(dc.nq-1, j0, nc) // the last query sees the most keys
	for j := 0; j < seen && f > 0; j++ {
		if mask == nil || mask[j0+j] {
			dc.fm.row(k[j*ldk:j*ldk+d], dc.fk[j*f:(j+1)*f])
		}
	}
	fill := float32(0)
	if dc.exp {
		fill = float32(math.Inf(-1))
	}
	for i := 0; i < dc.nq; i++ {
		qi := q[i*ldq : i*ldq+d]
		vis := dc.visible(i, j0, nc)
		row := dc.s[i*dc.blk : i*dc.blk+vis]
		switch z.kind {
		case kEDP:
			if vis > 0 {
				simd.DotRows(qi, k, ldk, row)
			}
			simd.Scale(g, row)
		case kPoly, kTaylor:
			if vis > 0 {
				simd.DotRows(qi, k, ldk, row)
			}
			for j, x := range row {
				row[j] = z.dotValue(g * x)
			}
		case kRBF:
			// The logit as Kernel.Logit defines it, −(γ/2)‖q − k‖², which avoids the
			// cancellation of the expanded form.
			if vis > 0 {
				simd.SqDistRows(qi, k, ldk, row)
			}
			simd.Scale(-g/2, row)
		case kLinear, kFavor:
			if vis > 0 {
				simd.DotRows(dc.fq[i*f:(i+1)*f], dc.fk, f, row)
			}
		default:
			for j := range row {
				row[j] = z.pairScore(g, qi, k[j*ldk:j*ldk+d])
			}
		}
		if mask != nil {
			for j := range row {
				if !mask[j0+j] {
					row[j] = fill
				}
			}
		}
		acc := dc.acc[i*d : i*d+d]
		if dc.exp {
			onlineUpdate(row, &dc.m[i], &dc.l[i], acc)
		} else {
			dc.l[i] += simd.Sum(row)
		}
		// Weighted sum of the visible values, in runs of unmasked keys (a masked row of
		// V is not read: it may hold anything).
		for j := 0; j < len(row); {
			if mask != nil && !mask[j0+j] {
				j++
				continue
			}
			e := j + 1
			for e < len(row) && (mask == nil || mask[j0+e]) {
				e++
			}
			simd.AxpyRows(row[j:e], v[j*ldk:], ldk, acc)
			j = e
		}
	}
}
