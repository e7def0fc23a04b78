package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// dotLanes is the number of partial sums of each implementation's GEMV dot kernel
// (its reference loop is asm.SgemvDotGeneric with that many lanes).
func dotLanes(im *impl) int {
	if im.name == "avx512" {
		return 16
	}
	return 8
}

// smallKernelCase runs one small-product kernel and its twin on the same tile and
// requires bit-equal results and untouched guards (around C and between its rows).
func smallKernelCase(t *testing.T, rng *rand.Rand, tile smallTileFunc, transA bool, rows, cols, k, pad int, alpha, beta float32) {
	t.Helper()
	lda := max(rows, k) + pad // wide enough for either layout
	rsA, csA := lda, 1
	if transA {
		rsA, csA = 1, lda
	}
	a := make([]float32, max(1, (max(rows, k)-1)*lda+max(rows, k)))
	ldb := cols + 2*pad
	b := make([]float32, max(1, (k-1)*ldb+cols))
	fillInput(rng, a, 1, 0)
	fillInput(rng, b, 1, 0)
	ldc := cols + pad
	n := (rows-1)*ldc + cols
	want := make([]float32, n)
	buf, got := guarded(n, 5)
	for i := 0; i < rows; i++ {
		fillInput(rng, want[i*ldc:i*ldc+cols], 1, 0)
		if beta == 0 {
			want[i*ldc] = float32(math.NaN()) // beta = 0 ignores C
		}
		copy(got[i*ldc:i*ldc+cols], want[i*ldc:i*ldc+cols])
	}
	asm.SgemmSmallGeneric(k, a, rsA, csA, b, ldb, want, ldc, rows, cols, alpha, beta)
	tile(k, a, rsA, csA, b, ldb, got, ldc, rows, cols, alpha, beta)
	what := fmt.Sprintf("tA=%v rows=%d cols=%d k=%d pad=%d alpha=%v beta=%v", transA, rows, cols, k, pad, alpha, beta)
	requireGuards(t, buf, 5, n, what)
	for i := 0; i < rows; i++ {
		requireULP(t, want[i*ldc:i*ldc+cols], got[i*ldc:i*ldc+cols], 0, what)
		for j := cols; j < ldc && i < rows-1; j++ {
			require.Equal(t, uint32(guardBits), math.Float32bits(got[i*ldc+j]), "%s: padding C[%d,%d] written", what, i, j)
		}
	}
}

// smallBatchCase runs count products of a rows×nr block of A·B through a batch kernel
// and its twin (asm.SgemmSmallBatchGeneric), bit for bit, with leading dimensions pad
// past the widths, pad + 3 elements between the products' operands and guard bands
// around C (the gaps between products' C blocks included). With stream, C's strides
// are whole 64-byte lines and, for pad = 0, C starts on one: the streamed stores.
func smallBatchCase(t *testing.T, rng *rand.Rand, kernel smallBatchFunc, nr, count, rows, k, pad int, alpha, beta float32, ahead int, stream bool) {
	t.Helper()
	lda, ldb, ldc := k+pad, nr+2*pad, nr+pad
	strideA, strideB, strideC := rows*lda+pad+3, k*ldb+pad+3, rows*ldc+pad+3
	off := 5 // C's offset in its guarded buffer
	if stream {
		ldc = nr + 16*pad
		strideC = rows*ldc + 16
	}
	a := make([]float32, max(1, count*strideA))
	b := make([]float32, max(1, count*strideB))
	fillInput(rng, a, 1, 0)
	fillInput(rng, b, 1, 0)
	n := count * strideC
	want := make([]float32, n)
	buf, got := guarded(n, off)
	if stream && pad == 0 {
		off += (64 - int(uintptr(unsafe.Pointer(&buf[off]))%64)) / 4 % 16
		got = buf[off : off+n]
		require.Zero(t, uintptr(unsafe.Pointer(&got[0]))%64)
	}
	for q := 0; q < count; q++ {
		for i := 0; i < rows; i++ {
			row := q*strideC + i*ldc
			fillInput(rng, want[row:row+nr], 1, 0)
			if beta == 0 {
				want[row] = float32(math.NaN()) // beta = 0 ignores C
			}
			copy(got[row:row+nr], want[row:row+nr])
		}
	}
	asm.SgemmSmallBatchGeneric(nr, count, k, a, lda, strideA, b, ldb, strideB, want, ldc, strideC, rows, alpha, beta, ahead, stream)
	kernel(count, k, a, lda, strideA, b, ldb, strideB, got, ldc, strideC, rows, alpha, beta, ahead, stream)
	what := fmt.Sprintf("batch count=%d rows=%d k=%d pad=%d alpha=%v beta=%v ahead=%d stream=%v", count, rows, k, pad, alpha, beta, ahead, stream)
	requireGuards(t, buf, off, n, what)
	for q := 0; q < count; q++ {
		for i := 0; i < rows; i++ {
			row := q*strideC + i*ldc
			requireULP(t, want[row:row+nr], got[row:row+nr], 0, what)
		}
		for e := q*strideC + (rows-1)*ldc + nr; e < (q+1)*strideC; e++ {
			require.Equal(t, uint32(guardBits), math.Float32bits(got[e]), "%s: C[%d] between products written", what, e)
		}
	}
}

// TestSmallKernelConformance runs every small-product tile kernel against its twin:
// every tile size up to mr×nr, k past the unrolls, both layouts of A, alpha and beta
// with the beta = 0 rule.
func TestSmallKernelConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		s := smallOrSkip(t, im)
		rng := rand.New(rand.NewPCG(11, 12))
		tiles := []struct {
			nr   int
			tile smallTileFunc
		}{{s.nr, s.tile}}
		if s.narrow != nil {
			tiles = append(tiles, struct {
				nr   int
				tile smallTileFunc
			}{s.narrowNR, s.narrow})
		}
		for _, tl := range tiles {
			for rows := 1; rows <= s.mr; rows++ {
				for cols := 1; cols <= tl.nr; cols++ {
					for _, k := range []int{0, 1, 2, 5, 16, 33} {
						ab := smallAlphaBeta[(rows+cols+k)%len(smallAlphaBeta)]
						smallKernelCase(t, rng, tl.tile, (rows+k)%2 == 1, rows, cols, k, (cols+k)%3, ab[0], ab[1])
					}
				}
			}
		}
		if s.tall != nil {
			// The tall kernel takes whole tallMR-row tiles, cols ≤ narrowNR.
			for cols := 1; cols <= s.narrowNR; cols++ {
				for _, k := range []int{0, 1, 2, 5, 16, 33} {
					ab := smallAlphaBeta[(cols+k)%len(smallAlphaBeta)]
					smallKernelCase(t, rng, s.tall, (cols+k)%2 == 1, s.tallMR, cols, k, (cols+k)%3, ab[0], ab[1])
				}
			}
		}
		if s.direct != nil {
			// The direct kernel takes whole mr×nr tiles of A·B (op(A) = A).
			direct := func(k int, a []float32, rsA, _ int, b []float32, ldb int, c []float32, ldc int, _, _ int, alpha, beta float32) {
				s.direct(k, a, rsA, b, ldb, c, ldc, alpha, beta)
			}
			for k := 0; k <= 40; k++ {
				ab := smallAlphaBeta[k%len(smallAlphaBeta)]
				smallKernelCase(t, rng, direct, false, s.mr, s.nr, k, k%3, ab[0], ab[1])
			}
		}
		// The panel kernels take whole blocks of rows (a multiple of their tile's) by
		// their tile's width of A·B; what they prefetch (the next product's lines, here
		// past the operands' ends as well) leaves the results alone.
		for _, p := range []struct {
			mr, nr int
			panel  smallPanelFunc
		}{{s.mr, s.nr, s.panel}} {
			if p.panel == nil {
				continue
			}
			for rows := p.mr; rows <= 4*p.mr; rows += p.mr {
				panel := func(k int, a []float32, rsA, _ int, b []float32, ldb int, c []float32, ldc int, _, _ int, alpha, beta float32) {
					p.panel(k, a, rsA, b, ldb, c, ldc, rows, alpha, beta, len(a), len(b)+rows, len(c))
				}
				for k := 0; k <= 40; k++ {
					ab := smallAlphaBeta[(rows/p.mr+k)%len(smallAlphaBeta)]
					smallKernelCase(t, rng, panel, false, rows, p.nr, k, (rows+k)%3, ab[0], ab[1])
				}
			}
		}
		if s.tallBatch != nil {
			// The batch kernel takes runs of products of whole tallMR-row blocks by
			// narrowNR columns; its prefetches (ahead products on, past the operands'
			// ends as well) leave the results alone.
			for count := 1; count <= 3; count++ {
				for rows := s.tallMR; rows <= 3*s.tallMR; rows += s.tallMR {
					for k := 0; k <= 40; k += 1 + k/8 {
						ab := smallAlphaBeta[(count+rows/s.tallMR+k)%len(smallAlphaBeta)]
						smallBatchCase(t, rng, s.tallBatch, s.narrowNR, count, rows, k, (count+k)%3, ab[0], ab[1], (k+count)%5, false)
						// Streamed stores: C's rows 64-byte aligned (pad 0), and not.
						smallBatchCase(t, rng, s.tallBatch, s.narrowNR, count, rows, k, (count+k)%2, ab[0], ab[1], 4, true)
					}
				}
			}
		}
		if s.wide != nil {
			// The wide kernel takes any number of rows by its width of A·B: whole
			// tiles, a last tile of up to wideShortMR rows, and of more.
			for rows := 1; rows <= 3*s.wideMR+1; rows++ {
				wide := func(k int, a []float32, rsA, _ int, b []float32, ldb int, c []float32, ldc int, _, _ int, alpha, beta float32) {
					s.wide(k, a, rsA, b, ldb, c, ldc, rows, alpha, beta)
				}
				for _, k := range []int{0, 1, 2, 3, 4, 5, 9, 16, 33} {
					ab := smallAlphaBeta[(rows+k)%len(smallAlphaBeta)]
					smallKernelCase(t, rng, wide, false, rows, s.wideNR, k, (rows+k)%3, ab[0], ab[1])
				}
			}
		}
	})
}

// smallOrSkip returns im's small-product kernels, or skips a table that has none.
func smallOrSkip(t *testing.T, im *impl) *smallGemm {
	s := smallFor(im)
	skipWithout(t, im, s != nil, "small-product kernels (it runs small products on the tiled path)")
	return s
}

// smallAlphaBeta are the (alpha, beta) pairs the small-path sweeps cycle through.
var smallAlphaBeta = [][2]float32{{1, 0}, {1, 1}, {-2, 0.5}, {0.5, -1}, {3, 0}, {1, float32(math.Copysign(0, -1))}}

// TestGemvKernelConformance runs the GEMV kernels (row: xᵀ·B, dot: A·x) against their
// twins, bit for bit, with strided x and y, guards around y.
func TestGemvKernelConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		s := smallOrSkip(t, im)
		rng := rand.New(rand.NewPCG(13, 14))
		for k := 0; k <= 70; k++ {
			for cols := 1; cols <= s.rowNR; cols++ {
				ab := smallAlphaBeta[(k+cols)%len(smallAlphaBeta)]
				incx, ldb := 1+k%3, cols+k%4
				x := make([]float32, max(1, k*incx))
				b := make([]float32, max(1, k*ldb))
				fillInput(rng, x, 1, 0)
				fillInput(rng, b, 1, 0)
				want := make([]float32, cols)
				fillInput(rng, want, 1, 0)
				buf, got := guarded(cols, 3)
				copy(got, want)
				asm.SgemvRowGeneric(k, x, incx, b, ldb, want, cols, ab[0], ab[1])
				s.row(k, x, incx, b, ldb, got, cols, ab[0], ab[1])
				what := fmt.Sprintf("row k=%d cols=%d", k, cols)
				requireGuards(t, buf, 3, cols, what)
				requireULP(t, want, got, 0, what)
			}
			for rows := 1; rows <= s.dotMR; rows++ {
				ab := smallAlphaBeta[(k+rows)%len(smallAlphaBeta)]
				lda, incy := k+rows%3, 1+k%2
				a := make([]float32, max(1, rows*lda))
				x := make([]float32, k)
				fillInput(rng, a, 1, 0)
				fillInput(rng, x, 1, 0)
				n := (rows-1)*incy + 1
				want := make([]float32, n)
				fillInput(rng, want, 1, 0)
				buf, got := guarded(n, 3)
				copy(got, want)
				asm.SgemvDotGeneric(dotLanes(im), k, a, lda, x, want, incy, rows, ab[0], ab[1])
				s.dot(k, a, lda, x, got, incy, rows, ab[0], ab[1])
				what := fmt.Sprintf("dot k=%d rows=%d", k, rows)
				requireGuards(t, buf, 3, n, what)
				requireULP(t, want, got, 0, what)
			}
		}
	})
}

// TestSmallTransposeConformance runs the small path's Bᵀ transposers against their
// twin for every n, k up to 40 with ldb > k, guards around the destination.
func TestSmallTransposeConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		s := smallOrSkip(t, im)
		rng := rand.New(rand.NewPCG(15, 16))
		for n := 1; n <= 40; n++ {
			for k := 1; k <= 40; k++ {
				ldb := k + (n+k)%3
				b := make([]float32, (n-1)*ldb+k) // no slack after the last row
				fillInput(rng, b, 1, 0)
				want := make([]float32, k*n)
				asm.TransposeGeneric(k, b, ldb, want, n)
				buf, got := guarded(k*n, 3)
				s.transpose(k, b, ldb, got, n)
				what := fmt.Sprintf("transpose n=%d k=%d ldb=%d", n, k, ldb)
				requireGuards(t, buf, 3, k*n, what)
				requireULP(t, want, got, 0, what)
			}
		}
	})
}

// gemmProblem is one GEMM problem with its operands and float64 expectation, built
// once and run through every implementation.
type gemmProblem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c0       []float32
	lda, ldb, ldc  int
	want           []float64
}

// opDims are the stored shapes of A (ar×ac) and B (br×bc) of the product
// op(A)·op(B) of m×k by k×n.
func opDims(transA, transB bool, m, n, k int) (ar, ac, br, bc int) {
	ar, ac, br, bc = m, k, k, n
	if transA {
		ar, ac = k, m
	}
	if transB {
		br, bc = n, k
	}
	return
}

func newGemmProblem(rng *rand.Rand, transA, transB bool, m, n, k, pad int, alpha, beta float32) *gemmProblem {
	p := &gemmProblem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac, br, bc := opDims(transA, transB, m, n, k)
	p.lda, p.ldb, p.ldc = max(1, ac)+pad, max(1, bc)+2*pad, max(1, n)+pad
	p.a = make([]float32, max(0, (ar-1)*p.lda+ac))
	p.b = make([]float32, max(0, (br-1)*p.ldb+bc))
	fillInput(rng, p.a, 1, 0)
	fillInput(rng, p.b, 1, 0)
	p.c0 = make([]float32, max(0, (m-1)*p.ldc+n))
	fillInput(rng, p.c0, 1, 0)
	if beta == 0 {
		for i := 0; i < m && n > 0; i += 3 {
			p.c0[i*p.ldc] = float32(math.NaN()) // beta = 0 must ignore NaN in C
		}
	}
	p.want = sgemmReference(transA, transB, m, n, k, alpha, p.a, p.lda, p.b, p.ldb, beta, p.c0, p.ldc)
	return p
}

// check runs the problem through Sgemm with the active implementation and compares
// with the reference; guards surround C and fill the padding between its rows.
func (p *gemmProblem) check(t *testing.T, what string) {
	t.Helper()
	buf, c := guarded(len(p.c0), 3)
	for i := 0; i < p.m; i++ {
		copy(c[i*p.ldc:i*p.ldc+p.n], p.c0[i*p.ldc:i*p.ldc+p.n])
	}
	Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc)
	p.compare(t, buf, c, what)
}

// compare checks C (inside its guarded buffer, at offset 3) against the reference.
func (p *gemmProblem) compare(t *testing.T, buf, c []float32, what string) {
	t.Helper()
	what = fmt.Sprintf("%s: tA=%v tB=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d alpha=%v beta=%v",
		what, p.transA, p.transB, p.m, p.n, p.k, p.lda, p.ldb, p.ldc, p.alpha, p.beta)
	tol := 2e-6*float64(p.k+2)*math.Max(1, math.Abs(float64(p.alpha))) + 1e-6
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			got := float64(c[i*p.ldc+j])
			if !(math.Abs(got-p.want[i*p.n+j]) <= tol) { // written so that a NaN fails too
				require.Failf(t, "Sgemm mismatch", "%s: C[%d,%d] = %v, want %v (tol %g)", what, i, j, got, p.want[i*p.n+j], tol)
			}
		}
		for j := p.n; j < p.ldc && i < p.m-1; j++ {
			require.Equal(t, uint32(guardBits), math.Float32bits(c[i*p.ldc+j]), "%s: padding C[%d,%d] written", what, i, j)
		}
	}
	requireGuards(t, buf, 3, len(c), what)
}

// TestSgemmSmallExhaustive runs every m, n, k in 0..40 (with -short, every third one
// plus the tile edges), all four transposes, padded leading dimensions and cycling
// alpha/beta through every implementation, against the float64 reference; then
// random shapes up to 300 on a side (GEMV shapes, wide and tall ones included).
func TestSgemmSmallExhaustive(t *testing.T) {
	var sizes []int
	for s := 0; s <= 40; s++ {
		if !testing.Short() || s%3 == 0 || s <= 9 || s == 15 || s == 16 || s == 17 || s == 31 || s == 32 || s == 33 {
			sizes = append(sizes, s)
		}
	}
	rng := rand.New(rand.NewPCG(15, 16))
	old := active
	defer func() { active = old }()
	run := func(p *gemmProblem) {
		for _, im := range available {
			active = im
			p.check(t, im.name)
		}
	}
	count := 0
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range sizes {
				for tr := 0; tr < 4; tr++ {
					ab := smallAlphaBeta[count%len(smallAlphaBeta)]
					count++
					run(newGemmProblem(rng, tr&1 == 1, tr&2 == 2, m, n, k, count%3, ab[0], ab[1]))
				}
			}
		}
	}
	shapes := 200
	if testing.Short() {
		shapes = 40
	}
	for s := 0; s < shapes; s++ {
		m, n, k := 1+rng.IntN(300), 1+rng.IntN(300), 1+rng.IntN(300)
		switch s % 4 {
		case 0:
			m = 1
		case 1:
			n = 1
		case 2:
			m, n = 1+rng.IntN(40), 1+rng.IntN(40)
		}
		ab := smallAlphaBeta[s%len(smallAlphaBeta)]
		run(newGemmProblem(rng, rng.IntN(2) == 1, rng.IntN(2) == 1, m, n, k, rng.IntN(4), ab[0], ab[1]))
	}
	// Whole column blocks of the wide and panel kernels (n a multiple of 32 or 64 past
	// the 0..40 sweep; rows the wide tiles cover exactly and not).
	for _, m := range []int{4, 6, 8, 10, 16, 22, 28, 32, 64} {
		for _, n := range []int{64, 96, 128} {
			for _, k := range []int{1, 7, 64} {
				if m*n*k > smallMaxWork {
					continue
				}
				ab := smallAlphaBeta[count%len(smallAlphaBeta)]
				count++
				run(newGemmProblem(rng, false, false, m, n, k, count%3, ab[0], ab[1]))
			}
		}
	}
}

// TestPrefetchRows: each table's operand prefetch (SgemmBatchStrided's) runs without
// faulting over shapes whose rows start off a cache line, including rows past the
// slice's end, and leaves the memory unchanged. A prefetch has no stores, so this is
// a smoke test of the addressing that can barely fail; the observable check is
// TestBatchPrefetchSameBits (sgemm_batch_prefetch_test.go).
func TestPrefetchRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		s := smallOrSkip(t, im)
		skipWithout(t, im, s.prefetch != nil, "prefetch kernel")
		rng := rand.New(rand.NewPCG(21, 22))
		for _, shape := range [][3]int{{0, 5, 5}, {3, 0, 5}, {1, 1, 1}, {1, 300, 300}, {4, 17, 33}, {16, 16, 16}, {7, 64, 70}} {
			rows, cols, ld := shape[0], shape[1], shape[2]
			for _, off := range []int{0, 1, 15} {
				n := off + max(0, (rows-1)*ld+cols)
				a := make([]float32, n)
				fillInput(rng, a, 1, 0)
				want := slices.Clone(a)
				s.prefetch(a[off:], rows, cols, ld)
				s.prefetch(a[off:], rows+2, cols, ld) // past the end
				require.Equal(t, want, a, "rows=%d cols=%d ld=%d off=%d", rows, cols, ld, off)
			}
		}
	})
}

// TestSmallTilesPanelAfterTall runs smallTiles with a table whose tall tiles are as
// wide as its panel's (narrowNR = nr), so that the tall kernel takes the top rows of
// a block before the panel kernel takes the rest: the panel must start where the tall
// tiles stopped, not at row 0 (with beta ≠ 0 a row computed twice gets beta twice).
// Every kernel is a twin, so the result is the reference loop's, bit for bit.
func TestSmallTilesPanelAfterTall(t *testing.T) {
	const nr = 16
	panelCalls := 0
	s := &smallGemm{
		mr: 4, nr: nr, tile: asm.SgemmSmallGeneric,
		narrowNR: nr, narrow: asm.SgemmSmallGeneric,
		tallMR: 8, tall: asm.SgemmSmallGeneric,
		panel: func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, rows int, alpha, beta float32, nextA, nextB, nextC int) {
			panelCalls++
			asm.SgemmSmallPanelGeneric(nr, k, a, lda, b, ldb, c, ldc, rows, alpha, beta, nextA, nextB, nextC)
		},
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, m := range []int{12, 13, 20, 23} {
		n, k := 2*nr+3, 9
		lda, ldb, ldc := k+1, n+2, n+3
		a := make([]float32, (m-1)*lda+k)
		b := make([]float32, (k-1)*ldb+n)
		fillInput(rng, a, 1, 0)
		fillInput(rng, b, 1, 0)
		want := make([]float32, (m-1)*ldc+n)
		fillInput(rng, want, 1, 0)
		buf, got := guarded(len(want), 5)
		copy(got, want)
		asm.SgemmSmallGeneric(k, a, lda, 1, b, ldb, want, ldc, m, n, 1.5, 0.5)
		panelCalls = 0
		smallTiles(s, m, n, k, 1.5, a, lda, 1, b, ldb, 0.5, got, ldc)
		what := fmt.Sprintf("m=%d n=%d k=%d", m, n, k)
		require.Equal(t, 2, panelCalls, "%s: the panel kernel takes the rows under the tall tiles of each full block", what)
		requireGuards(t, buf, 5, len(want), what)
		requireULP(t, want, got, 0, what)
	}
}
