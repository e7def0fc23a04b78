//go:build linux

package simd

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"

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
