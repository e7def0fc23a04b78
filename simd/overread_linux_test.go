//go:build linux

package simd

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// fencedFloats returns n float32s that end exactly at a page followed by an
// inaccessible page, so a kernel reading or writing one element past the end faults.
// The mapping is released when the test ends.
func fencedFloats(t *testing.T, n int) []float32 {
	t.Helper()
	page := syscall.Getpagesize()
	size := (n*4+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	require.NoError(t, syscall.Mprotect(mem[size-page:], syscall.PROT_NONE))
	end := size - page
	if n == 0 {
		return []float32{}
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[end-n*4])), n)
}

// TestNoOverread runs every routine of every implementation on operands that end at
// an unmapped page: vector loops and their tails must not touch memory past len
// (guard bands catch stray writes, not reads). A violation is a SIGSEGV, which fails
// the test binary.
func TestNoOverread(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(17, 18))
		for n := 0; n <= maxLen; n++ {
			x, y, dst := fencedFloats(t, n), fencedFloats(t, n), fencedFloats(t, n)
			fillInput(rng, x, 10, 0)
			fillInput(rng, y, 10, 0)
			im.dot(x, y)
			im.sum(x)
			im.max(x)
			im.add(dst, x, y)
			im.mul(dst, x, y)
			im.axpy(0.5, x, dst)
			im.scale(2, dst)
			// reluBackward reads x and y and reads and writes dst, all fenced.
			want := append([]float32(nil), dst...)
			asm.ReluBackwardGeneric(want, x, y)
			im.reluBackward(dst, x, y)
			requireBits(t, want, dst, "reluBackward")
		}
		for _, k := range []int{1, 2, 3, 8} {
			a, b := fencedFloats(t, k*im.mr), fencedFloats(t, k*im.nr)
			c := fencedFloats(t, im.mr*im.nr)
			fillInput(rng, a, 1, 0)
			fillInput(rng, b, 1, 0)
			fillInput(rng, c, 1, 0)
			im.gemmKernel(k, a, b, c, im.nr, 1, 0.5)
			im.gemmKernel(k, a, b, c, im.nr, 1, 0)
		}
	})
}

// TestNoOverreadVecmath runs the vector-math kernels of every implementation, through
// the impl fields at every length up to maxLen (the API hands them chunks no longer
// than chunk), and the public Softmax/LogSoftmax/LogSumExp/GELUBackward/ReLUBackward wrappers,
// which also cross the chunk boundary, on fenced operands. The element-wise kernels are documented to
// equal their twins bit for bit, which also shows they wrote every element up to the
// fence.
func TestNoOverreadVecmath(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(19, 20))
		want := make([]float32, maxLen)
		for n := 0; n <= maxLen; n++ {
			src, dst := fencedFloats(t, n), fencedFloats(t, n)
			fillInput(rng, src, 10, 0)
			for _, k := range []struct {
				name       string
				kern, twin func(dst, src []float32)
			}{
				{"exp", im.exp, genericImpl.exp},
				{"exp/large", func(dst, src []float32) { expLargeOrExp(im, dst, src) }, asm.ExpLargeGeneric},
				{"tanh", im.tanh, genericImpl.tanh},
				{"gelu", im.gelu, genericImpl.gelu},
				{"relu", reluOf(im), asm.ReluGeneric},
			} {
				k.kern(dst, src)
				k.twin(want[:n], src)
				requireULP(t, want[:n], dst, 0, k.name)
			}
			im.expSub(dst, src, 1)
			im.expSum(src, 1)

			// geluBackward reads x and dy and reads and writes dx, all fenced.
			dy, dx := fencedFloats(t, n), fencedFloats(t, n)
			fillInput(rng, dy, 1, 0)
			fillInput(rng, dx, 1, 0)
			copy(want, dx)
			im.geluBackward(dx, src, dy)
			genericImpl.geluBackward(want[:n], src, dy)
			requireULP(t, want[:n], dx, 0, "geluBackward")

			pos := fencedFloats(t, n) // log on positive input, so results are comparable
			for i, v := range src {
				pos[i] = v*v + 1e-3
			}
			im.log(dst, pos)
			genericImpl.log(want[:n], pos)
			requireULP(t, want[:n], dst, 0, "log")

			Softmax(dst, src)
			LogSoftmax(dst, src)
			LogSumExp(src)
		}
		for _, n := range []int{chunk - 1, chunk, chunk + 1, chunk + 37} {
			src, dst := fencedFloats(t, n), fencedFloats(t, n)
			fillInput(rng, src, 10, 0)
			GELUBackward(dst, src, src)
			ReLUBackward(dst, src, src)
			Softmax(dst, src)
			LogSoftmax(dst, src)
			LogSumExp(src)
		}
	})
}

// TestNoOverreadGemm runs the GEMM micro-kernel, the direct kernel and the packers of
// every implementation on operands sized exactly to their documented contracts (see
// the stubs in package asm), each ending at an unmapped page:
//   - gemmKernel: a = k·mr, b = k·nr, c = (mr−1)·ldc + nr floats;
//   - gemmDirect: a = (mr−1)·lda + k, b = (k−1)·ldb + nr, c = (mr−1)·ldc + nr;
//     gemmDirectCopy: the same, and src = (rows−1)·lds + nr, dst = rows·nr;
//   - packA: a = (mr−1)·lda + k; packAT (one panel): a = (k−1)·lda + mr; packB: b = (k−1)·ldb + nr;
//     packBT: b = (nr−1)·ldb + k; dst = k·mr or k·nr.
//
// k runs past the packers' 4- and 8-step loops and their tails; the leading
// dimensions are tight and padded. Packing is a copy, so the packed panels must equal
// the pure-Go loop's.
func TestNoOverreadGemm(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(21, 22))
		mr, nr := im.mr, im.nr
		fenced := func(n int) []float32 {
			x := fencedFloats(t, n)
			fillInput(rng, x, 1, 0)
			return x
		}
		for k := 0; k <= 33; k++ {
			for _, ldc := range []int{nr, nr + 3} {
				a, b := fenced(k*mr), fenced(k*nr)
				c := fenced((mr-1)*ldc + nr)
				im.gemmKernel(k, a, b, c, ldc, 1, 0.5)
				im.gemmKernel(k, a, b, c, ldc, 1, 0)
			}
			if k == 0 {
				continue // the strided contracts below are stated for k ≥ 1
			}
			for _, pad := range []int{0, 5} {
				lda, ldb, ldc := k+pad, nr+pad, nr+pad
				if im.gemmDirect != nil {
					a, b := fenced((mr-1)*lda+k), fenced((k-1)*ldb+nr)
					c := fenced((mr-1)*ldc + nr)
					im.gemmDirect(k, a, lda, b, ldb, c, ldc, 1, 0.5)
					im.gemmDirect(k, a, lda, b, ldb, c, ldc, 1, 0)
					if im.gemmDirectCopy != nil {
						for _, rows := range []int{1, k/2 + 1, k} {
							src, dst := fenced((rows-1)*ldb+nr), fencedFloats(t, rows*nr)
							im.gemmDirectCopy(k, a, lda, b, ldb, c, ldc, 1, 0.5, src, ldb, rows, dst)
							requirePacked(t, dst, rows, nr, func(p, j int) float32 { return src[p*ldb+j] }, "gemmDirectCopy")
						}
					}
				}
				ldat, ldbt := mr+pad, k+pad
				for _, pk := range []struct {
					name     string
					pack     packFunc
					w, ld, n int                    // panel width, source leading dimension and length
					offsetOf func(p, i, ld int) int // where the panel's element (p, i) is in the source
				}{
					{"packA", im.packA, mr, lda, (mr-1)*lda + k, func(p, i, ld int) int { return i*ld + p }},
					{"packAT", onePanel(im.packAT), mr, ldat, (k-1)*ldat + mr, func(p, i, ld int) int { return p*ld + i }},
					{"packB", im.packB, nr, ldb, (k-1)*ldb + nr, func(p, j, ld int) int { return p*ld + j }},
					{"packBT", im.packBT, nr, ldbt, (nr-1)*ldbt + k, func(p, j, ld int) int { return j*ld + p }},
				} {
					if pk.pack == nil {
						continue
					}
					src, dst := fenced(pk.n), fencedFloats(t, k*pk.w)
					pk.pack(k, src, pk.ld, dst)
					requirePacked(t, dst, k, pk.w, func(p, i int) float32 { return src[pk.offsetOf(p, i, pk.ld)] }, pk.name)
				}
			}
		}
	})
}

// onePanel is packAT (nil if it is) filling one panel, as a packFunc.
func onePanel(packAT func(k int, a []float32, lda int, dst []float32, panels int)) packFunc {
	if packAT == nil {
		return nil
	}
	return func(k int, a []float32, lda int, dst []float32) { packAT(k, a, lda, dst, 1) }
}

// requirePacked checks a panel of k steps of w values: dst[p·w+i] = src(p, i).
func requirePacked(t *testing.T, dst []float32, k, w int, src func(p, i int) float32, what string) {
	t.Helper()
	for p := 0; p < k; p++ {
		for i := 0; i < w; i++ {
			require.Equal(t, math.Float32bits(src(p, i)), math.Float32bits(dst[p*w+i]), "%s: k=%d p=%d i=%d", what, k, p, i)
		}
	}
}
