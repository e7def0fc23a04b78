package simd

import (
	"fmt"
	"unsafe"

	"github.com/kernelmachines/bkm/internal/par"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices, where
// op(X) is X or Xᵀ. op(A) is m×k, op(B) is k×n, C is m×n.
//
//	A is stored m×k with lda ≥ k (transA = false) or k×m with lda ≥ m (transA = true);
//	B is stored k×n with ldb ≥ n (transB = false) or n×k with ldb ≥ k (transB = true);
//	C is stored m×n with ldc ≥ n.
//
// BLAS semantics: beta = 0 ignores C's old contents (NaN included); alpha = 0 (or
// k = 0) skips the product and only scales C. Large problems run on up to Threads()
// goroutines; small ones run on the caller's goroutine. Packing buffers are pooled, so
// steady-state calls do not allocate. Bad dimensions, strides or lengths panic with a
// message naming the argument, and so does a C that shares an element with the part
// of A or B the product reads (C is written while A and B are still being read, so
// such a call would compute garbage); C may share a backing array with A or B as long
// as the elements are disjoint, e.g. side-by-side column blocks of one matrix.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmOn(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmThreads is Sgemm on up to threads goroutines instead of Threads() (threads < 1
// panics): a caller running several products at once on the pool's goroutines — e.g.
// one data-parallel replica's step on each — keeps each product on its own goroutine
// with threads = 1. The result is Sgemm's bit for bit (the split never cuts the k sum).
func SgemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if threads < 1 {
		panic(fmt.Sprintf("simd: SgemmThreads: threads = %d < 1", threads))
	}
	sgemmOn(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmOn is Sgemm on up to threads goroutines, Threads() when threads is 0 (so
// that Sgemm, a call of it, stays within the inliner's budget).
func sgemmOn(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// The argument checks' fast path, written out here because it is too big for the
	// inliner and a call costs as much as the checks: all dimensions positive, every
	// stride and length fitting, and C's span disjoint from A's and B's (so no element
	// is shared). Anything else (empty products, overlapping spans, bad arguments)
	// goes to checkGemm, which tests exactly and panics naming the argument.
	ra, ca := m, k // A as stored
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n // B as stored
	if transB {
		rb, cb = n, k
	}
	if m <= 0 || n <= 0 || k <= 0 || lda < ca || ldb < cb || ldc < n ||
		len(a) < (ra-1)*lda+ca || len(b) < (rb-1)*ldb+cb || len(c) < (m-1)*ldc+n ||
		!disjoint(a, (ra-1)*lda+ca, c, (m-1)*ldc+n) || !disjoint(b, (rb-1)*ldb+cb, c, (m-1)*ldc+n) {
		checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	}
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	if takesSmall(m, n, k) {
		if s := smallFor(active); s != nil {
			if tile := s.oneTile(transB, m, n); tile != nil {
				rsA, csA := lda, 1
				if transA {
					rsA, csA = 1, lda
				}
				if s.staticNarrow && m <= s.mr && n <= s.narrowNR {
					callNarrow(k, a, rsA, csA, b, ldb, c, ldc, m, n, alpha, beta)
				} else {
					tile(k, a, rsA, csA, b, ldb, c, ldc, m, n, alpha, beta)
				}
				return
			}
			if s.widePanels(transA, transB, m, n) {
				for j := 0; j < n; j += s.wideNR {
					s.wide(k, a, lda, b[j:], ldb, c[j:], ldc, m, alpha, beta)
				}
				return
			}
			if s.wholePanels(transA, transB, m, n) {
				for j := 0; j < n; j += s.nr {
					s.panel(k, a, lda, b[j:], ldb, c[j:], ldc, m, alpha, beta, 0, 0, 0)
				}
				return
			}
			sgemmSmall(s, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			return
		}
	}
	if threads == 0 {
		threads = Threads()
	}
	sgemm(active, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// MatMul computes C = A·B for row-major A (m×k), B (k×n) and C (m×n), densely stored.
func MatMul(m, n, k int, a, b, c []float32) {
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
}

// disjoint reports whether x[:nx] and c[:nc] (both non-empty) share no memory.
func disjoint(x []float32, nx int, c []float32, nc int) bool {
	px, pc := uintptr(unsafe.Pointer(unsafe.SliceData(x))), uintptr(unsafe.Pointer(unsafe.SliceData(c)))
	return px >= pc+uintptr(nc)*4 || pc >= px+uintptr(nx)*4
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		badDims(m, n, k)
	}
	needA := checkMatrix("A", transA, m, k, a, lda)
	needB := checkMatrix("B", transB, k, n, b, ldb)
	needC := checkMatrix("C", false, m, n, c, ldc)
	if needC == 0 {
		return
	}
	// Two compares per operand on the fast path: only an operand whose span overlaps
	// C's takes the exact, strided test.
	pc := uintptr(unsafe.Pointer(unsafe.SliceData(c)))
	endC := pc + uintptr(needC)*4
	if pa := uintptr(unsafe.Pointer(unsafe.SliceData(a))); needA > 0 && pa < endC && pc < pa+uintptr(needA)*4 &&
		sharesElement(a, lda, transA, m, k, c, ldc, m, n) {
		panic("simd: Sgemm: c aliases a (C shares elements with the part of A the product reads)")
	}
	if pb := uintptr(unsafe.Pointer(unsafe.SliceData(b))); needB > 0 && pb < endC && pc < pb+uintptr(needB)*4 &&
		sharesElement(b, ldb, transB, k, n, c, ldc, m, n) {
		panic("simd: Sgemm: c aliases b (C shares elements with the part of B the product reads)")
	}
}

func badDims(m, n, k int) {
	for _, d := range []struct {
		name string
		v    int
	}{{"m", m}, {"n", n}, {"k", k}} {
		if d.v < 0 {
			panic(fmt.Sprintf("simd: Sgemm: %s = %d < 0", d.name, d.v))
		}
	}
}

// checkMatrix validates a rows×cols operand stored row-major (transposed if trans)
// and returns how many elements of x it spans (0 if it is empty).
func checkMatrix(name string, trans bool, rows, cols int, x []float32, ld int) int {
	if trans {
		rows, cols = cols, rows
	}
	if rows == 0 || cols == 0 {
		if ld < max(1, cols) {
			badMatrix(name, rows, cols, len(x), ld)
		}
		return 0
	}
	need := (rows-1)*ld + cols
	if ld < cols || len(x) < need {
		badMatrix(name, rows, cols, len(x), ld)
	}
	return need
}

// badMatrix panics with the message for a stored rows×cols operand that fails
// checkMatrix (kept apart so that checkMatrix stays small enough to inline).
func badMatrix(name string, rows, cols, n, ld int) {
	x := lowerName(name)
	if ld < max(1, cols) {
		panic(fmt.Sprintf("simd: Sgemm: ld%s = %d < max(1, %d)", x, ld, cols))
	}
	panic(fmt.Sprintf("simd: Sgemm: len(%s) = %d < %d needed for a %d×%d matrix with ld%s = %d",
		x, n, (rows-1)*ld+cols, rows, cols, x, ld))
}

// sharesElement reports whether the stored xRows×xCols operand x (of the op(X) shape
// given, transposed in storage if trans) and the m×n matrix c, both row-major with
// strides ldx and ldc, have an element in common. It runs only when their spans
// overlap: one step per row of c.
func sharesElement(x []float32, ldx int, trans bool, xRows, xCols int, c []float32, ldc, m, n int) bool {
	if trans {
		xRows, xCols = xCols, xRows
	}
	px := uintptr(unsafe.Pointer(unsafe.SliceData(x)))
	pc := uintptr(unsafe.Pointer(unsafe.SliceData(c)))
	if (pc-px)%4 != 0 {
		return true // misaligned views of one array (only unsafe code makes them)
	}
	off := (int(pc) - int(px)) / 4 // c[0] is x[off]
	for i := 0; i < m; i++ {
		// Row i of c is x[s, s+n); row r of x is x[r·ldx, r·ldx+xCols). They meet when
		// r·ldx < s+n and r·ldx+xCols > s: take the first r past the lower bound.
		s := off + i*ldc
		r := 0
		if lo := s - xCols; lo >= 0 {
			r = lo/ldx + 1
		}
		if r < xRows && r*ldx < s+n {
			return true
		}
	}
	return false
}

func lowerName(s string) string { return string(s[0] | 0x20) }

// scaleMatrix computes C = beta·C, writing zeros (not beta·NaN) when beta = 0.
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			Scale(beta, row)
		}
	}
}

// gemmBuffers are the packing buffers of one worker: a kc×mc block of A and a kc×nc
// block of B, laid out as the micro-kernel reads them, plus one mr×nr tile for edges.
type gemmBuffers struct {
	a, b, tile []float32
}

// gemmFree keeps packing buffers for reuse. Unlike a sync.Pool it is not emptied by
// the garbage collector: a pool would drop the 2 MiB buffers at every other GC and
// make steady-state calls allocate them again (seen with -benchmem as B/op > 0 on
// parallel calls). It holds at most 16 sets (about 37 MiB), enough for 16 calls
// running at once; more concurrent calls allocate and then drop their extra sets.
var gemmFree = par.NewFreeList[gemmBuffers](16)

func putBuffers(v *gemmBuffers) { gemmFree.Put(v) }

// getBuffers returns packing buffers big enough for an mc×kc block of A and a kc×nc
// block of B (both rounded up to whole tiles).
func getBuffers(im *impl, mc, nc, kc int) *gemmBuffers {
	needA := kc * roundUp(mc, im.mr)
	needB := kc * roundUp(nc, im.nr)
	v := gemmFree.Get()
	if v == nil {
		v = new(gemmBuffers)
	}
	// Grow to the implementation's full blocks, so that one buffer serves every size.
	if len(v.a) < needA {
		v.a = make([]float32, max(needA, im.kc*roundUp(im.mc, im.mr)))
	}
	if len(v.b) < needB {
		v.b = make([]float32, max(needB, im.kc*roundUp(im.nc, im.nr)))
	}
	if len(v.tile) < im.mr*im.nr {
		v.tile = make([]float32, im.mr*im.nr)
	}
	return v
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// parallelMinWork is the smallest m·n·k worth splitting over goroutines (128³, ~35 µs
// on one core): below it handing a part to a worker, even a polling one, is not paid
// back. (Measured with polling workers: 128³ on 2 threads 1.6–1.8× of 1 thread.)
const parallelMinWork = 1 << 21

// sgemm splits the product over up to threads goroutines (large problems only) and
// runs each part with sgemmSerial. The split is by whole tiles over the rows of C when
// there are enough of them, else over the columns: each part packs its own A and B
// blocks, so the parts never wait for each other.
func sgemm(im *impl, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if im.narrow != nil && 2*n <= im.nr {
		im = im.narrow
	}
	parts, byRows := splitProduct(threads, m, n, k, im.mr, im.nr)
	if parts <= 1 {
		sgemmSerial(im, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	call := getCall()
	call.im, call.transA, call.transB, call.byRows, call.parts = im, transA, transB, byRows, parts
	call.m, call.n, call.k, call.alpha, call.beta = m, n, k, alpha, beta
	call.a, call.b, call.c, call.lda, call.ldb, call.ldc = a, b, c, lda, ldb, ldc
	par.Run(parts, parts, call)
	putCall(call)
}

// splitTiles returns how many parts an m×n×k product with mr×nr tiles runs in on up
// to threads goroutines (1 below parallelMinWork) and whether they are bands of C's
// rows (when there are enough row tiles) or of its columns.
func splitTiles(threads, m, n, k, mr, nr int) (parts int, byRows bool) {
	parts = 1
	if threads > 1 && m*n*k >= parallelMinWork {
		parts = threads
	}
	rowTiles, colTiles := (m+mr-1)/mr, (n+nr-1)/nr
	byRows = rowTiles >= 2*parts || rowTiles >= colTiles
	if byRows {
		return min(parts, rowTiles), true
	}
	return min(parts, colTiles), false
}

// overSplitWork is the m·n·k from which a parallel product is cut into two parts per
// goroutine (2^27: ~1.3 ms on one core). Parts are claimed, so when a goroutine starts
// late — woken from parking, or its CPU held by another process — the others take its
// second part instead of waiting for its one half.
const overSplitWork = 1 << 27

// splitProduct is splitTiles for Sgemm. Each part packs the operand it does not split
// whole, so a product of at least overSplitWork is split along the longer side of C
// (the operand packed again per part is then the narrower one: for 2048×256×1024 B's
// 1 MiB, ~1% of a part's time) into two parts per goroutine.
func splitProduct(threads, m, n, k, mr, nr int) (parts int, byRows bool) {
	parts, byRows = splitTiles(threads, m, n, k, mr, nr)
	if parts < 2 || m*n*k < overSplitWork {
		return parts, byRows
	}
	if m >= n {
		return min(2*parts, (m+mr-1)/mr), true
	}
	return min(2*parts, (n+nr-1)/nr), false
}

// gemmCall holds the arguments of one parallel Sgemm; its tasks are the parts, bands
// of whole tiles of C's rows or columns. Calls are kept on a free list (like
// gemmFree, and for the same reason) so that handing one to the pool allocates
// nothing; the pool holds no reference to a call once par.Run returns.
type gemmCall struct {
	im             *impl
	transA, transB bool
	byRows         bool
	parts          int
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

var freeCalls = par.NewFreeList[gemmCall](16)

func getCall() *gemmCall {
	if call := freeCalls.Get(); call != nil {
		return call
	}
	return new(gemmCall)
}

func putCall(call *gemmCall) {
	call.a, call.b, call.c = nil, nil, nil
	freeCalls.Put(call)
}

// tileBand returns the range [lo, hi) of part p of parts over size rows (or columns)
// cut into whole tiles of tile; it is empty when p has no tile.
func tileBand(p, parts, size, tile int) (lo, hi int) {
	t0, t1 := par.Chunk(p, parts, (size+tile-1)/tile)
	return t0 * tile, min(size, t1*tile)
}

// Task computes part p: a band of whole tiles of C's rows or columns.
func (g *gemmCall) Task(_, p int) {
	im, parts := g.im, g.parts
	if g.byRows {
		i0, i1 := tileBand(p, parts, g.m, im.mr)
		if i0 >= i1 {
			return
		}
		var a []float32
		if g.transA {
			a = g.a[i0:]
		} else {
			a = g.a[i0*g.lda:]
		}
		sgemmSerial(im, g.transA, g.transB, i1-i0, g.n, g.k, g.alpha, a, g.lda, g.b, g.ldb, g.beta, g.c[i0*g.ldc:], g.ldc)
		return
	}
	j0, j1 := tileBand(p, parts, g.n, im.nr)
	if j0 >= j1 {
		return
	}
	var b []float32
	if g.transB {
		b = g.b[j0*g.ldb:]
	} else {
		b = g.b[j0:]
	}
	sgemmSerial(im, g.transA, g.transB, g.m, j1-j0, g.k, g.alpha, g.a, g.lda, b, g.ldb, g.beta, g.c[j0:], g.ldc)
}

// The unpacked paths of sgemmSerial, chosen by directPath.
const (
	packedPath    = iota // pack A and B (the Goto/BLIS loop nest)
	directInPlace        // sgemmDirect: A and B read in place
	directPanels         // sgemmDirectPanels: A in place, B copied panel by panel
)

// directPath picks how sgemmSerial runs a product: unpacked when there are no
// transposes, k fits one depth block and m·n is small enough (directMaxMN); then B is
// read in place if its column panels stay in L1 (stridedFitsL1), else copied panel by
// panel when the two panels fit L1 (directCopyMaxK) and there are more than one and
// at most directCopyMaxTiles row tiles to share each copy. (avx512, k = 64, ldb =
// 1024, GFLOP/s of the thread's CPU time on the busy machine, copied panels vs
// packing: 16 rows 146 vs 108, 32 rows 149 vs 122, 48 rows 117 vs 155, 64 rows 125
// vs 137.)
func directPath(im *impl, transA, transB bool, m, n, k, ldb int) int {
	if im.gemmDirect == nil || transA || transB || k > im.kc || m*n > directMaxMN {
		return packedPath
	}
	if stridedFitsL1(k, ldb, im.nr) {
		return directInPlace
	}
	if im.gemmDirectCopy != nil && m > im.mr && m <= directCopyMaxTiles*im.mr && k <= directCopyMaxK {
		return directPanels
	}
	return packedPath
}

// sgemmSerial is the Goto/BLIS loop nest on the caller's goroutine: jc over nc-wide
// column blocks of B and C, pc over kc-deep slices of the product (B block packed
// once, reused by every A block), ic over mc-tall row blocks of A (packed), then the
// macro-kernel walks the mr×nr tiles.
func sgemmSerial(im *impl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	switch directPath(im, transA, transB, m, n, k, ldb) {
	case directInPlace:
		sgemmDirect(im, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	case directPanels:
		sgemmDirectPanels(im, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	buf := getBuffers(im, min(m, im.mc), min(n, im.nc), min(k, im.kc))
	for jc := 0; jc < n; jc += im.nc {
		nc := min(im.nc, n-jc)
		for pc := 0; pc < k; pc += im.kc {
			kc := min(im.kc, k-pc)
			betaEff := beta
			if pc > 0 {
				betaEff = 1
			}
			packB(im, transB, kc, nc, b, ldb, pc, jc, buf.b)
			for ic := 0; ic < m; ic += im.mc {
				mc := min(im.mc, m-ic)
				packA(im, transA, mc, kc, a, lda, ic, pc, buf.a)
				macroKernel(im, mc, nc, kc, alpha, buf.a, buf.b, betaEff, c[ic*ldc+jc:], ldc, buf.tile)
			}
		}
	}
	putBuffers(buf)
}

// packATGroup is how many panels of op(A) = Aᵀ one packAT call fills. packAT reads
// each row of A across its panels and writes one 64-byte line to each panel per two
// rows: too few panels and the rows are read in short pieces, one page apart each
// when lda is large; too many and the panels' lines (a panel apart: 8 KiB at kc = 256)
// exceed the ways of their L1 set. (Packing every block of a 2,048×256 / 2,048×1,024
// Aᵀ, avx512, GB/s: one panel a call 23 / 14, 6 panels 40–47 / 28–38, 8 panels 36–45 /
// 29–37, all 18 of a block 17 / 16; busy machine.)
const packATGroup = 6

// packA copies the mc×kc block of op(A) at (ic, pc) into panels of mr rows: panel r
// holds, for p = 0..kc-1, the mr values op(A)[ic+r·mr+i, pc+p]; rows past mc are zero.
func packA(im *impl, trans bool, mc, kc int, a []float32, lda, ic, pc int, dst []float32) {
	mr := im.mr
	r0 := 0
	if trans && im.packAT != nil {
		// The full panels, packATGroup at a time (see asm.PackA8TAVX).
		r0 = mc / mr * mr
		for q := 0; q < r0/mr; q += packATGroup {
			im.packAT(kc, a[pc*lda+ic+q*mr:], lda, dst[q*mr*kc:], min(packATGroup, r0/mr-q))
		}
	}
	for r := r0; r < mc; r += mr {
		rows := min(mr, mc-r)
		panel := dst[r*kc : r*kc+kc*mr]
		switch {
		case trans:
			// op(A)[i, p] = a[p·lda + i]: mr contiguous values per step of p.
			src := a[pc*lda+ic+r:]
			for p := 0; p < kc; p++ {
				out := panel[p*mr : p*mr+mr]
				copy(out[:rows], src[p*lda:p*lda+rows])
				clear(out[rows:])
			}
		case rows == mr && im.packA != nil:
			im.packA(kc, a[(ic+r)*lda+pc:], lda, panel)
		default:
			clear(panel)
			for i := 0; i < rows; i++ {
				row := a[(ic+r+i)*lda+pc:][:kc]
				for p, v := range row {
					panel[p*mr+i] = v
				}
			}
		}
	}
}

// packBRows is how many rows of B packB copies into every panel before moving on.
// (Measured at 1024³, avx512, 1 thread, three runs each: 8 rows 151–162 GFLOP/s,
// 16 rows 145–153, whole panels (256 rows) 143–158; PackB32AVX512's share of the
// profile 3.0% → 1.6% with 8.)
const packBRows = 8

// packB copies the kc×nc block of op(B) at (pc, jc) into panels of nr columns: panel s
// holds, for p = 0..kc-1, the nr values op(B)[pc+p, jc+s·nr+j]; columns past nc are zero.
func packB(im *impl, trans bool, kc, nc int, b []float32, ldb, pc, jc int, dst []float32) {
	nr := im.nr
	s0 := 0
	if !trans && im.packB != nil {
		// Full panels, packBRows rows at a time across all of them: each row of B is
		// then read front to back in one sweep (a hardware-prefetchable stream per
		// row) instead of in nr-float pieces a panel apart, each row a new page when
		// ldb is large.
		s0 = nc / nr * nr
		for p0 := 0; p0 < kc; p0 += packBRows {
			rows := min(packBRows, kc-p0)
			src := b[(pc+p0)*ldb+jc:]
			for s := 0; s < s0; s += nr {
				im.packB(rows, src[s:], ldb, dst[s*kc+p0*nr:])
			}
		}
	}
	for s := s0; s < nc; s += nr {
		cols := min(nr, nc-s)
		panel := dst[s*kc : s*kc+kc*nr]
		if trans && cols == nr && im.packBT != nil {
			im.packBT(kc, b[(jc+s)*ldb+pc:], ldb, panel)
			continue
		}
		if !trans {
			src := b[pc*ldb+jc+s:]
			for p := 0; p < kc; p++ {
				out := panel[p*nr : p*nr+nr]
				copy(out[:cols], src[p*ldb:p*ldb+cols])
				clear(out[cols:])
			}
			continue
		}
		// op(B)[p, j] = b[j·ldb + p]: walk each stored row of B once.
		if cols < nr {
			clear(panel)
		}
		for j := 0; j < cols; j++ {
			row := b[(jc+s+j)*ldb+pc:][:kc]
			for p, v := range row {
				panel[p*nr+j] = v
			}
		}
	}
}

// macroKernel multiplies a packed mc×kc block of A by a packed kc×nc block of B into
// C (already offset to the block's corner). Full tiles go straight to C; partial
// tiles at the bottom and right edges go through the scratch tile.
func macroKernel(im *impl, mc, nc, kc int, alpha float32, pa, pb []float32, beta float32, c []float32, ldc int, tile []float32) {
	mr, nr := im.mr, im.nr
	kernel := im.gemmKernel
	for j := 0; j < nc; j += nr {
		cols := min(nr, nc-j)
		bp := pb[j*kc : j*kc+kc*nr]
		for i := 0; i < mc; i += mr {
			rows := min(mr, mc-i)
			ap := pa[i*kc : i*kc+kc*mr]
			if rows == mr && cols == nr {
				kernel(kc, ap, bp, c[i*ldc+j:], ldc, alpha, beta)
				continue
			}
			kernel(kc, ap, bp, tile, nr, alpha, 0)
			mergeTile(rows, cols, tile, nr, beta, c[i*ldc+j:], ldc)
		}
	}
}

// mergeTile stores the rows×cols corner of an edge tile (alpha already applied) into
// C: C = tile when beta = 0, else fma(beta, C, tile), as the kernels do.
func mergeTile(rows, cols int, tile []float32, ldt int, beta float32, c []float32, ldc int) {
	for ii := 0; ii < rows; ii++ {
		crow := c[ii*ldc : ii*ldc+cols]
		trow := tile[ii*ldt : ii*ldt+cols]
		if beta == 0 {
			copy(crow, trow)
		} else {
			for jj := range crow {
				crow[jj] = fma32(beta, crow[jj], trow[jj])
			}
		}
	}
}

// directMaxMN is the largest m·n that sgemmDirect handles without packing: past it
// the re-reads of unpacked A and B from L2 cost more than packing (measured:
// 512×512×64 and 1024×1024×64 lose 10-20% unpacked, 64³ gains 35%).
const directMaxMN = 256 * 256

// stridedFitsL1 reports whether k rows of B read in place (nr floats: one 64-byte line
// each for nr = 16, two for nr = 32, ldb floats apart) stay cached while the direct
// kernel sweeps them once per row tile of A. Power-of-two strides map the rows onto
// few of L1's 64 sets: 128³ (8 sets, 16 lines each) ran unpacked as fast as 64³, 256³
// (4 sets, 64 lines each) at 60% of the packed speed (nr = 16). So: at most 16 lines
// per set.
func stridedFitsL1(k, ldb, nr int) bool {
	const sets, linesPerSet = 64, 16
	lines := max(1, nr*4/64) // lines per row of B
	used := sets
	if bytes := 4 * ldb; bytes%64 == 0 {
		used = min(sets, sets/gcd(sets, bytes/64)*lines)
	}
	return k*lines <= used*linesPerSet
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// sgemmDirect computes C = alpha·A·B + beta·C (no transposes, k ≤ kc) with the direct
// micro-kernel, which reads A and B in place. Full tiles go straight to C; the bottom
// rows and right columns go through directEdges. Only those edges take packing
// buffers from the pool: a problem of whole tiles (64³, the attention tiles) skips
// the pool's two channel operations.
func sgemmDirect(im *impl, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := im.mr, im.nr
	m0, n0 := m/mr*mr, n/nr*nr
	direct := im.gemmDirect
	for j := 0; j < n0; j += nr {
		for i := 0; i < m0; i += mr {
			direct(k, a[i*lda:], lda, b[j:], ldb, c[i*ldc+j:], ldc, alpha, beta)
		}
	}
	if m0 == m && n0 == n {
		return
	}
	buf := getBuffers(im, mr, nr, k)
	aEdge := bottomRows(im, m, k, a, lda, buf)
	for j := 0; j < n0 && aEdge != nil; j += nr {
		directEdge(im, m-m0, nr, k, alpha, aEdge, k, b[j:], ldb, beta, c[m0*ldc+j:], ldc, buf)
	}
	rightColumns(im, m, n, k, alpha, a, lda, aEdge, b, ldb, beta, c, ldc, buf)
	putBuffers(buf)
}

// directCopyMaxK is the deepest product sgemmDirectPanels takes: its two k×nr panels
// of B (2·128·32 floats, 32 KiB, on avx512) must stay in L1 beside A's rows.
const directCopyMaxK = 128

// directCopyMaxTiles is the most row tiles sgemmDirectPanels takes (see directPath).
const directCopyMaxTiles = 4

// sgemmDirectPanels is sgemmDirect for a B whose rows are too many lines apart for a
// column panel of it to stay in L1 (stridedFitsL1 fails: B's rows a large power of
// two apart, as in 16×1024×64, map onto one or two of L1's sets). Reading B in place
// would then fetch every line again from L2 for each row tile, and column by column
// even the packer waits on those sets (16×1024×64 on avx512: 142 GFLOP/s in place,
// 128 packing all of B first). Instead each column panel of B is copied into a dense
// k×nr panel by the kernels computing the panel before it: gemmDirectCopy spreads the
// copy over the full row tiles of that panel (at most two rows per four steps of k),
// so the loads overlap the FMAs; every row tile then reads its B panel from L1. A is
// read in place. The first panel is packed before the loop; the bottom rows and the
// right columns are the edges of sgemmDirect.
func sgemmDirectPanels(im *impl, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := im.mr, im.nr
	m0, n0 := m/mr*mr, n/nr*nr
	buf := getBuffers(im, mr, 2*nr, k)
	panels := [2][]float32{buf.b[:k*nr], buf.b[k*nr : 2*k*nr]}
	aEdge := bottomRows(im, m, k, a, lda, buf)
	if n0 > 0 {
		packB(im, false, k, nr, b, ldb, 0, 0, panels[0])
	}
	for j := 0; j < n0; j += nr {
		cur, next := panels[j/nr%2], panels[(j/nr+1)%2]
		left := 0 // rows of the next panel still to copy
		if j+nr < n0 {
			left = k
		}
		for i := 0; i < m0; i += mr {
			if left == 0 {
				im.gemmDirect(k, a[i*lda:], lda, cur, nr, c[i*ldc+j:], ldc, alpha, beta)
				continue
			}
			tilesLeft := (m0 - i) / mr
			rows := (left + tilesLeft - 1) / tilesLeft
			p := k - left
			im.gemmDirectCopy(k, a[i*lda:], lda, cur, nr, c[i*ldc+j:], ldc, alpha, beta, b[p*ldb+j+nr:], ldb, rows, next[p*nr:])
			left -= rows
		}
		if aEdge != nil {
			directEdge(im, m-m0, nr, k, alpha, aEdge, k, cur, nr, beta, c[m0*ldc+j:], ldc, buf)
		}
	}
	rightColumns(im, m, n, k, alpha, a, lda, aEdge, b, ldb, beta, c, ldc, buf)
	putBuffers(buf)
}

// bottomRows copies the last m mod mr rows of A (k columns, stride lda) into
// buf.a[:mr·k], zero-padded to mr rows of stride k, and returns that panel; nil when
// m is a whole number of tiles.
func bottomRows(im *impl, m, k int, a []float32, lda int, buf *gemmBuffers) []float32 {
	mr := im.mr
	m0 := m / mr * mr
	if m0 == m {
		return nil
	}
	aEdge := buf.a[:mr*k]
	clear(aEdge)
	for i := m0; i < m; i++ {
		copy(aEdge[(i-m0)*k:(i-m0+1)*k], a[i*lda:i*lda+k])
	}
	return aEdge
}

// rightColumns computes the last n mod nr columns of C for sgemmDirect and
// sgemmDirectPanels: they are copied into a zero-padded k×nr panel (buf.b[:nr·k],
// free again by then) and multiplied by every full row tile of A and by aEdge, A's
// padded bottom rows (nil if none).
func rightColumns(im *impl, m, n, k int, alpha float32, a []float32, lda int, aEdge, b []float32, ldb int, beta float32, c []float32, ldc int, buf *gemmBuffers) {
	mr, nr := im.mr, im.nr
	m0, n0 := m/mr*mr, n/nr*nr
	if n0 == n {
		return
	}
	bEdge := buf.b[:nr*k]
	cols := n - n0
	for p := 0; p < k; p++ {
		row := bEdge[p*nr : p*nr+nr]
		copy(row, b[p*ldb+n0:p*ldb+n0+cols])
		clear(row[cols:])
	}
	for i := 0; i < m0; i += mr {
		directEdge(im, mr, cols, k, alpha, a[i*lda:], lda, bEdge, nr, beta, c[i*ldc+n0:], ldc, buf)
	}
	if aEdge != nil {
		directEdge(im, m-m0, cols, k, alpha, aEdge, k, bEdge, nr, beta, c[m0*ldc+n0:], ldc, buf)
	}
}

// directEdge computes a rows×cols corner tile of C with the direct kernel on full-size
// operands (A's padded rows, B's padded columns) into the scratch tile, then merges
// the corner into C.
func directEdge(im *impl, rows, cols, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, buf *gemmBuffers) {
	im.gemmDirect(k, a, lda, b, ldb, buf.tile, im.nr, alpha, 0)
	mergeTile(rows, cols, buf.tile, im.nr, beta, c, ldc)
}

// ReserveScratch makes sure the scratch of n GEMMs running at once — packing buffers
// and small products' transposition scratch — is kept (up to the free lists' 16
// each), allocating it now. The free lists otherwise grow only to the most calls that
// ever overlapped, so a caller that reserves its own buffers up front (attention's
// Workspace.Reserve) would still allocate the first time more of its calls overlap
// than before (TestReserveZeroAllocs failed about once in 150 runs that way).
func ReserveScratch(n int) {
	n = min(n, 16)
	bufs := make([]*gemmBuffers, n)
	bts := make([]*[smallMaxWork / 4]float32, n)
	for i := range n {
		bufs[i] = getBuffers(active, active.mc, active.nc, active.kc)
		bts[i] = getTranspose()
	}
	for i := range n {
		putBuffers(bufs[i])
		putTranspose(bts[i])
	}
}
