package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/kernelmachines/bkm/simd"
)

// placementShapes are the small shapes BenchmarkSmallGemmPlacement times: the two
// nearest the best peer (bench/RESULTS.md, "Session-end quiet re-measure (main
// 9ac08a3)"), both computed from operands read in place (no packing buffer).
var placementShapes = [][3]int{{64, 64, 64}, {96, 96, 64}}

// placements are byte offsets of A, B and C from the start of a 4 KiB page. L1's set
// index and the loads' 4 KiB alias check use only the low 12 bits of an address, so
// these are all the placements there are to such effects: the Go heap gives every
// operand of these shapes offset 0 (the first row), and a caller's sub-slices any
// other. Offsets that are not multiples of 64 make the rows straddle cache lines.
var placements = [][3]int{
	{0, 0, 0},
	{0, 0, 64}, {0, 0, 128}, {0, 0, 1024}, {0, 0, 2048},
	{0, 64, 0}, {0, 128, 0}, {0, 1024, 0}, {0, 2048, 0},
	{1024, 0, 0}, {2048, 0, 0},
	{0, 64, 128}, {0, 128, 256}, {0, 1024, 2048}, {0, 2048, 1024}, {0, 1088, 2176},
	{4, 4, 4}, {0, 32, 0}, {0, 0, 32},
}

// placedOperands returns the operands of an m×n×k product at the byte offsets off (of
// A, B and C) from page starts: each in its own whole pages of one buffer, a page
// apart, filled as smallOperands fills them.
func placedOperands(m, n, k int, off [3]int) (a, bm, c []float32) {
	const page = 4096
	sizes := [3]int{m * k, k * n, m * n}
	pages := 0
	for _, s := range sizes {
		pages += (4*s+page-1)/page + 2
	}
	buf := make([]float32, (pages+1)*page/4)
	skip := int((page - uintptr(unsafe.Pointer(&buf[0]))%page) % page / 4) // buf[skip] starts a page
	var out [3][]float32
	at := skip
	for i, s := range sizes {
		start := at + off[i]/4
		out[i] = buf[start : start+s : start+s]
		at += ((4*s+page-1)/page + 2) * page / 4
	}
	rng := rand.New(rand.NewPCG(uint64(m), uint64(n)))
	copy(out[0], randomMatrix(rng, m*k))
	copy(out[1], randomMatrix(rng, k*n))
	return out[0], out[1], out[2]
}

// pageOffset returns x's first element's byte offset within its 4 KiB page.
func pageOffset(x []float32) int { return int(uintptr(unsafe.Pointer(&x[0])) % 4096) }

// BenchmarkSmallGemmPlacement runs placementShapes in paired rounds (as
// BenchmarkSmallGemmPaired: bkm and every peer linked in, interleaved) with A, B and C
// at each of placements' offsets from a page start, to tell an operand placement that
// slows one library from a slow moment of the machine, which slows all of them in the
// same rounds. The sub-benchmark's name is the shape and the offsets, A+a,B+b,C+c in
// bytes. It also logs the page offsets the Go heap gives smallOperands' operands.
func BenchmarkSmallGemmPlacement(b *testing.B) {
	defer oneThread()()
	for _, s := range placementShapes {
		m, n, k, a0, b0, c0 := smallOperands(s)
		b.Logf("%dx%dx%d: Go heap operands at page offsets A+%d, B+%d, C+%d", m, n, k, pageOffset(a0), pageOffset(b0), pageOffset(c0))
		reps := max(1, pairedChunkFlops/(2*m*n*k))
		for _, off := range placements {
			a, bm, c := placedOperands(m, n, k, off)
			libs := []pairedLib{{"bkm", func(reps int) {
				for range reps {
					simd.Sgemm(false, false, m, n, k, 1, a, k, bm, n, 0, c, n)
				}
			}}}
			for _, p := range smallPeers() {
				libs = append(libs, pairedLib{p.name, func(reps int) { p.run(reps, m, n, k, a, bm, c) }})
			}
			b.Run(fmt.Sprintf("%dx%dx%d/A+%d,B+%d,C+%d", m, n, k, off[0], off[1], off[2]), func(b *testing.B) {
				pairedRounds(b, libs, reps)
			})
		}
	}
}
