package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// TestGemmKernelConformance calls every implementation's micro-kernel directly and
// compares it with the twin on the same packed panels: every k across the unrolled
// loop and its tail, the alpha/beta special cases (beta = 0 must ignore NaN in C), and
// guard bands around the C tile, whose row padding must stay untouched.
func TestGemmKernelConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(11, 12))
		mr, nr := im.mr, im.nr
		for k := 0; k <= 37; k++ {
			for _, ab := range [][2]float32{{1, 0}, {-0.75, 0}, {1, 1}, {2, -0.5}, {0.5, float32(math.Copysign(0, -1))}, {1, float32(math.NaN())}} {
				a, b := make([]float32, k*mr), make([]float32, k*nr)
				fillInput(rng, a, 1, 0)
				fillInput(rng, b, 1, 0)
				ldc := nr + 3
				want := make([]float32, mr*ldc)
				fillInput(rng, want, 1, 0)
				want[0] = float32(math.NaN())
				cbuf, c := guarded(len(want), 5)
				copy(c, want)
				asm.SgemmKernelGeneric(mr, nr, k, a, b, want, ldc, ab[0], ab[1])
				im.gemmKernel(k, a, b, c, ldc, ab[0], ab[1])
				what := fmt.Sprintf("%s k=%d alpha=%v beta=%v", im.name, k, ab[0], ab[1])
				requireGuards(t, cbuf, 5, len(c), what)
				// The twin's FMA rounds twice (through float64); allow one ULP per step.
				requireULP(t, want, c, uint32(k+1), what)
				for i := 0; i < mr-1; i++ {
					for j := nr; j < ldc; j++ {
						require.Equal(t, math.Float32bits(want[i*ldc+j]), math.Float32bits(c[i*ldc+j]), "%s: padding C[%d,%d]", what, i, j)
					}
				}
			}
		}
	})
}

// TestGemmDirectConformance checks the direct (unpacked) micro-kernel against its
// twin with strided A and B, over every k past the unroll, and the beta cases.
func TestGemmDirectConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		if im.gemmDirect == nil {
			t.Skip("no direct kernel")
		}
		rng := rand.New(rand.NewPCG(15, 16))
		mr, nr := im.mr, im.nr
		for k := 0; k <= 37; k++ {
			for _, ab := range [][2]float32{{1, 0}, {-0.75, 0}, {2, -0.5}, {1, float32(math.NaN())}} {
				lda, ldb, ldc := k+3, nr+5, nr+2
				a, b := make([]float32, (mr-1)*lda+k), make([]float32, max(0, (k-1)*ldb+nr))
				fillInput(rng, a, 1, 0)
				fillInput(rng, b, 1, 0)
				want := make([]float32, (mr-1)*ldc+nr)
				fillInput(rng, want, 1, 0)
				want[0] = float32(math.NaN())
				cbuf, c := guarded(len(want), 2)
				copy(c, want)
				asm.SgemmDirectGeneric(mr, nr, k, a, lda, b, ldb, want, ldc, ab[0], ab[1])
				im.gemmDirect(k, a, lda, b, ldb, c, ldc, ab[0], ab[1])
				what := fmt.Sprintf("%s k=%d alpha=%v beta=%v", im.name, k, ab[0], ab[1])
				requireGuards(t, cbuf, 2, len(c), what)
				requireULP(t, want, c, uint32(k+1), what)
			}
		}
	})
}

// packTwins are the pure-Go reference loops of the assembly packers, by panel width.
var (
	packATwins  = map[int]func(k int, a []float32, lda int, dst []float32){6: asm.PackA6Generic, 8: asm.PackA8Generic}
	packATTwins = map[int]func(k int, a []float32, lda int, dst []float32){8: asm.PackA8TGeneric}
	packBTwins  = map[int]func(k int, b []float32, ldb int, dst []float32){16: asm.PackB16Generic, 32: asm.PackB32Generic}
	packBTTwins = map[int]func(k int, b []float32, ldb int, dst []float32){16: asm.PackB16TGeneric, 32: asm.PackB32TGeneric}
)

// TestPackAConformance checks the assembly A-panel packers against the twin over
// every k past the 4- and 8-step unrolls, with strides and offsets.
func TestPackAConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		if im.packA == nil {
			t.Skip("no assembly packer: the Go loop is the reference")
		}
		mr, twin := im.mr, packATwins[im.mr]
		require.NotNil(t, twin, "no packer twin for mr = %d", mr)
		rng := rand.New(rand.NewPCG(13, 14))
		for k := 0; k <= 23; k++ {
			for _, lda := range []int{k, k + 1, k + 7} {
				if lda == 0 {
					continue
				}
				a := make([]float32, (mr-1)*lda+k+3)
				fillInput(rng, a, 10, 5)
				want := make([]float32, mr*k)
				twin(k, a[3:], lda, want)
				buf, got := guarded(mr*k, 7)
				im.packA(k, a[3:], lda, got)
				what := fmt.Sprintf("k=%d lda=%d", k, lda)
				requireGuards(t, buf, 7, mr*k, what)
				for i := range want {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: index %d", what, i)
				}
			}
		}
	})
}

// TestPackATConformance checks the assembly transposed-A packer against the twin over
// every k past the 4-step unroll, with strides and offsets.
func TestPackATConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		if im.packAT == nil {
			t.Skip("no assembly packer: the Go loop is the reference")
		}
		mr, twin := im.mr, packATTwins[im.mr]
		require.NotNil(t, twin, "no packer twin for mr = %d", mr)
		rng := rand.New(rand.NewPCG(23, 24))
		for k := 0; k <= 13; k++ {
			for _, lda := range []int{mr, mr + 1, mr + 13} {
				a := make([]float32, max(0, (k-1)*lda+mr)+3)
				fillInput(rng, a, 10, 5)
				want := make([]float32, mr*k)
				twin(k, a[3:], lda, want)
				buf, got := guarded(mr*k, 6)
				im.packAT(k, a[3:], lda, got)
				what := fmt.Sprintf("k=%d lda=%d", k, lda)
				requireGuards(t, buf, 6, mr*k, what)
				for i := range want {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: index %d", what, i)
				}
			}
		}
	})
}

// TestPackBConformance checks the assembly B-panel packer against the twin over every
// k past the 2-row unroll, with strides.
func TestPackBConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		if im.packB == nil {
			t.Skip("no assembly packer: the Go loop is the reference")
		}
		nr, twin := im.nr, packBTwins[im.nr]
		require.NotNil(t, twin, "no packer twin for nr = %d", nr)
		rng := rand.New(rand.NewPCG(17, 18))
		for k := 0; k <= 9; k++ {
			for _, ldb := range []int{nr, nr + 1, nr + 24} {
				b := make([]float32, max(0, (k-1)*ldb+nr)+2)
				fillInput(rng, b, 10, 5)
				want := make([]float32, nr*k)
				twin(k, b[2:], ldb, want)
				buf, got := guarded(nr*k, 1)
				im.packB(k, b[2:], ldb, got)
				what := fmt.Sprintf("k=%d ldb=%d", k, ldb)
				requireGuards(t, buf, 1, nr*k, what)
				for i := range want {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: index %d", what, i)
				}
			}
		}
	})
}

// TestPackBTConformance checks the assembly transposed-B packer against the twin over
// every k past the 8-step unroll, with strides.
func TestPackBTConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		if im.packBT == nil {
			t.Skip("no assembly packer: the Go loop is the reference")
		}
		nr, twin := im.nr, packBTTwins[im.nr]
		require.NotNil(t, twin, "no packer twin for nr = %d", nr)
		rng := rand.New(rand.NewPCG(19, 20))
		for k := 0; k <= 27; k++ {
			for _, ldb := range []int{k, k + 1, k + 9} {
				if ldb == 0 {
					continue
				}
				b := make([]float32, (nr-1)*ldb+k+4)
				fillInput(rng, b, 10, 5)
				want := make([]float32, nr*k)
				twin(k, b[4:], ldb, want)
				buf, got := guarded(nr*k, 9)
				im.packBT(k, b[4:], ldb, got)
				what := fmt.Sprintf("k=%d ldb=%d", k, ldb)
				requireGuards(t, buf, 9, nr*k, what)
				for i := range want {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: index %d", what, i)
				}
			}
		}
	})
}
