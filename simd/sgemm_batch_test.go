package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// batchCase runs one SgemmBatchStrided call through the active implementation and
// checks every product against the float64 reference; C's buffer is filled with the
// guard pattern everywhere no product writes (the gaps between products, the padding
// between rows, and past the end).
func batchCase(t *testing.T, rng *rand.Rand, transA, transB bool, m, n, k, batch, pad, gap int, shareA bool, alpha, beta float32) {
	t.Helper()
	ar, ac, br, bc := opDims(transA, transB, m, n, k)
	lda, ldb, ldc := max(1, ac)+pad, max(1, bc)+pad, max(1, n)+pad
	sizeA, sizeB, sizeC := max(0, (ar-1)*lda+ac), max(0, (br-1)*ldb+bc), max(0, (m-1)*ldc+n)
	strideA, strideB, strideC := sizeA+gap, sizeB+2*gap, sizeC+gap
	if shareA {
		strideA = 0
	}
	a := make([]float32, max(0, (batch-1)*strideA+sizeA))
	b := make([]float32, max(0, (batch-1)*strideB+sizeB))
	fillInput(rng, a, 1, 0)
	fillInput(rng, b, 1, 0)
	cbuf, c := guarded(max(0, (batch-1)*strideC+sizeC), 2)
	want := make([][]float64, batch)
	for i := 0; i < batch; i++ {
		ci := c[i*strideC:]
		for r := 0; r < m; r++ {
			fillInput(rng, ci[r*ldc:r*ldc+n], 1, 0)
			if beta == 0 && r%2 == 0 && n > 0 {
				ci[r*ldc] = float32(math.NaN()) // beta = 0 ignores C
			}
		}
		want[i] = sgemmReference(transA, transB, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], ldb, beta, ci, ldc)
	}
	SgemmBatchStrided(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
	what := fmt.Sprintf("%s threads=%d tA=%v tB=%v m=%d n=%d k=%d batch=%d pad=%d gap=%d shareA=%v alpha=%v beta=%v",
		active.name, Threads(), transA, transB, m, n, k, batch, pad, gap, shareA, alpha, beta)
	tol := 2e-6*float64(k+2)*math.Max(1, math.Abs(float64(alpha))) + 1e-6
	written := make([]bool, len(cbuf))
	for i := 0; i < batch; i++ {
		for r := 0; r < m; r++ {
			for j := 0; j < n; j++ {
				off := i*strideC + r*ldc + j
				written[2+off] = true
				got := float64(c[off])
				if !(math.Abs(got-want[i][r*n+j]) <= tol) {
					require.Failf(t, "SgemmBatchStrided mismatch", "%s: product %d C[%d,%d] = %v, want %v", what, i, r, j, got, want[i][r*n+j])
				}
			}
		}
	}
	for i, v := range cbuf {
		if !written[i] && math.Float32bits(v) != guardBits {
			require.Failf(t, "guard overwritten", "%s: C buffer index %d (outside every product) holds %v", what, i-2, v)
		}
	}
}

func TestSgemmBatchStrided(t *testing.T) {
	t.Cleanup(func() { SetThreads(0) })
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(17, 18))
		shapes := [][3]int{{0, 3, 2}, {3, 0, 2}, {4, 5, 0}, {3, 5, 7}, {16, 16, 16}, {8, 8, 8}, {7, 13, 5}, {16, 12, 9}, {1, 9, 40}, {9, 1, 40}, {33, 17, 70}, {70, 65, 80}, {24, 64, 33}, {8, 32, 1}, {32, 48, 17}}
		count := 0
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			for _, s := range shapes {
				for _, batch := range []int{0, 1, 2, 7, 33} {
					for tr := 0; tr < 4; tr++ {
						ab := smallAlphaBeta[count%len(smallAlphaBeta)]
						if count%11 == 5 {
							ab[0] = 0 // alpha = 0 only scales C
						}
						count++
						batchCase(t, rng, tr&1 == 1, tr&2 == 2, s[0], s[1], s[2], batch, count%3, count%4, count%5 == 0, ab[0], ab[1])
					}
				}
			}
			// Shapes of the 16-wide batch kernel in runs longer than one call of it
			// (batchCallWork), with the prefetching and the last products' calls.
			for _, s := range [][3]int{{16, 16, 16}, {32, 16, 5}, {16, 48, 9}} {
				ab := smallAlphaBeta[count%len(smallAlphaBeta)]
				count++
				batchCase(t, rng, false, false, s[0], s[1], s[2], 301, count%3, count%4, count%5 == 0, ab[0], ab[1])
			}
		}
	})
}

func TestSgemmBatchStridedPanics(t *testing.T) {
	x := make([]float32, 100)
	require.PanicsWithValue(t, "simd: SgemmBatchStrided: batch = -1 < 0", func() {
		SgemmBatchStrided(false, false, 2, 2, 2, 1, x, 2, 4, x, 2, 4, 0, x, 2, 4, -1)
	})
	require.PanicsWithValue(t, "simd: SgemmBatchStrided: k = -2 < 0", func() {
		SgemmBatchStrided(false, false, 2, 2, -2, 1, x, 2, 4, x, 2, 4, 0, x, 2, 4, 1)
	})
	require.PanicsWithValue(t, "simd: SgemmBatchStrided: ldb = 1 < max(1, 2)", func() {
		SgemmBatchStrided(false, false, 2, 2, 2, 1, x, 2, 4, x, 1, 4, 0, x, 2, 4, 1)
	})
	require.PanicsWithValue(t, "simd: SgemmBatchStrided: strideA = -4 < 0", func() {
		SgemmBatchStrided(false, false, 2, 2, 2, 1, x, 2, -4, x, 2, 4, 0, x, 2, 4, 1)
	})
	require.PanicsWithValue(t, "simd: SgemmBatchStrided: strideC = 3 < 4: the products' C matrices overlap", func() {
		SgemmBatchStrided(false, false, 2, 2, 2, 1, x, 2, 4, x, 2, 4, 0, x, 2, 3, 2)
	})
	require.PanicsWithValue(t, "simd: SgemmBatchStrided: len(c) = 20 < 24 needed for 6 products", func() {
		SgemmBatchStrided(false, false, 2, 2, 2, 1, x, 2, 4, x, 2, 4, 0, x[:20], 2, 4, 6)
	})
}

// TestSgemmSmallNoAllocs: the small path and the batch do not allocate in steady
// state, with and without a transposed B, on 1 and 2 threads.
func TestSgemmSmallNoAllocs(t *testing.T) {
	t.Cleanup(func() { SetThreads(0) })
	for _, threads := range []int{1, 2} {
		SetThreads(threads)
		for _, s := range [][3]int{{8, 8, 8}, {7, 13, 5}, {1, 256, 256}, {256, 1, 256}, {64, 64, 64}} {
			m, n, k := s[0], s[1], s[2]
			a, b, c := make([]float32, 50*m*k), make([]float32, 50*k*n), make([]float32, 50*m*n)
			for _, transB := range []bool{false, true} {
				ldb := n
				if transB {
					ldb = k
				}
				require.Zero(t, testing.AllocsPerRun(20, func() {
					Sgemm(false, transB, m, n, k, 1, a, k, b, ldb, 0, c, n)
				}), "Sgemm threads=%d shape %v transB=%v", threads, s, transB)
				require.Zero(t, testing.AllocsPerRun(20, func() {
					SgemmBatchStrided(false, transB, m, n, k, 1, a, k, m*k, b, ldb, k*n, 0, c, n, m*n, 50)
				}), "SgemmBatchStrided threads=%d shape %v transB=%v", threads, s, transB)
			}
		}
	}
}

// FuzzSgemmBatch draws a batched problem (shape up to 40, up to 8 products, strides
// with gaps or a shared A, 1–3 threads) and checks every implementation against the
// float64 reference.
func FuzzSgemmBatch(f *testing.F) {
	f.Add(uint8(3), uint8(5), uint8(7), uint8(4), false, true, uint8(1), uint8(2), false, float32(1), float32(0), uint8(2), uint64(1))
	f.Add(uint8(16), uint8(16), uint8(16), uint8(8), true, false, uint8(0), uint8(0), true, float32(-2), float32(0.5), uint8(1), uint64(2))
	f.Add(uint8(1), uint8(33), uint8(20), uint8(3), false, false, uint8(2), uint8(1), false, float32(0.5), float32(1), uint8(3), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k, batch uint8, transA, transB bool, pad, gap uint8, shareA bool, alpha, beta float32, threads uint8, seed uint64) {
		fold := func(v float32) float32 {
			if v != v || math.IsInf(float64(v), 0) {
				return 1
			}
			return float32(math.Mod(float64(v), 4))
		}
		alpha, beta = fold(alpha), fold(beta)
		SetThreads(1 + int(threads%3))
		defer SetThreads(0)
		withEachImpl(func(im *impl) {
			rng := rand.New(rand.NewPCG(seed, uint64(m)))
			batchCase(t, rng, transA, transB, int(m%41), int(n%41), int(k%41), int(batch%9), int(pad%4), int(gap%5), shareA, alpha, beta)
		})
	})
}

// FuzzSgemmSmallKernels draws one tile for every small-product kernel (rows, cols up
// to the kernel's tile, k up to 80, either layout of A) and requires it to match its
// twin bit for bit.
func FuzzSgemmSmallKernels(f *testing.F) {
	f.Add(uint8(8), uint8(8), uint8(8), false, uint8(0), float32(1), float32(0), uint64(1))
	f.Add(uint8(7), uint8(13), uint8(5), true, uint8(2), float32(-1.5), float32(0.25), uint64(2))
	f.Add(uint8(3), uint8(31), uint8(77), false, uint8(1), float32(2), float32(-1), uint64(3))
	f.Fuzz(func(t *testing.T, rows, cols, k uint8, transA bool, pad uint8, alpha, beta float32, seed uint64) {
		if alpha != alpha || beta != beta || math.IsInf(float64(alpha), 0) || math.IsInf(float64(beta), 0) {
			t.Skip("alpha and beta are finite here; the NaN rules are in the Sgemm sweeps")
		}
		for _, im := range available {
			s := smallFor(im)
			if s == nil {
				continue
			}
			rng := rand.New(rand.NewPCG(seed, 1))
			smallKernelCase(t, rng, s.tile, transA, 1+int(rows)%s.mr, 1+int(cols)%s.nr, int(k%81), int(pad%4), alpha, beta)
			if s.narrow != nil {
				smallKernelCase(t, rng, s.narrow, transA, 1+int(rows)%s.mr, 1+int(cols)%s.narrowNR, int(k%81), int(pad%4), alpha, beta)
			}
			if s.tall != nil {
				smallKernelCase(t, rng, s.tall, transA, s.tallMR, 1+int(cols)%s.narrowNR, int(k%81), int(pad%4), alpha, beta)
			}
			if s.wide != nil {
				wideRows := 1 + int(rows)%(4*s.wideMR) // any rows: whole tiles and a last one
				wide := func(k int, a []float32, rsA, _ int, b []float32, ldb int, c []float32, ldc int, _, _ int, alpha, beta float32) {
					s.wide(k, a, rsA, b, ldb, c, ldc, wideRows, alpha, beta)
				}
				smallKernelCase(t, rng, wide, false, wideRows, s.wideNR, int(k%81), int(pad%4), alpha, beta)
			}
		}
	})
}
