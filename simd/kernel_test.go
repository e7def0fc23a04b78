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
		skipWithout(t, im, im.gemmDirect != nil, "direct kernel")
		rng := rand.New(rand.NewPCG(15, 16))
		for k := 0; k <= 37; k++ {
			for _, ab := range directAlphaBeta {
				d := newDirectTile(rng, im.mr, im.nr, k)
				asm.SgemmDirectGeneric(im.mr, im.nr, k, d.a, d.lda, d.b, d.ldb, d.want, d.ldc, ab[0], ab[1])
				im.gemmDirect(k, d.a, d.lda, d.b, d.ldb, d.c, d.ldc, ab[0], ab[1])
				d.check(t, k, fmt.Sprintf("%s k=%d alpha=%v beta=%v", im.name, k, ab[0], ab[1]))
			}
		}
	})
}

// directAlphaBeta are the alpha/beta cases of the direct kernels' tests: beta = 0
// must ignore the NaN newDirectTile puts in C.
var directAlphaBeta = [][2]float32{{1, 0}, {-0.75, 0}, {2, -0.5}, {1, float32(math.NaN())}}

// directTile is one call of a direct kernel on random operands: A (mr×k) with stride
// lda, B (k×nr) with stride ldb, and C (mr×nr, stride ldc, a NaN first) twice: want
// for the twin, and c, inside guard bands (cbuf, offset 2), for the kernel.
type directTile struct {
	lda, ldb, ldc       int
	a, b, want, cbuf, c []float32
}

func newDirectTile(rng *rand.Rand, mr, nr, k int) *directTile {
	d := &directTile{lda: k + 3, ldb: nr + 5, ldc: nr + 2}
	d.a, d.b = make([]float32, (mr-1)*d.lda+k), make([]float32, max(0, (k-1)*d.ldb+nr))
	d.want = make([]float32, (mr-1)*d.ldc+nr)
	for _, x := range [][]float32{d.a, d.b, d.want} {
		fillInput(rng, x, 1, 0)
	}
	d.want[0] = float32(math.NaN())
	d.cbuf, d.c = guarded(len(d.want), 2)
	copy(d.c, d.want)
	return d
}

// check requires the guard bands around the kernel's C untouched and C equal to the
// twin's within one ULP per step of k (the twin's FMA rounds twice, through float64).
func (d *directTile) check(t *testing.T, k int, what string) {
	t.Helper()
	requireGuards(t, d.cbuf, 2, len(d.c), what)
	requireULP(t, d.want, d.c, uint32(k+1), what)
}

// TestGemmDirectCopyConformance checks the direct kernel that copies B's next panel
// while it computes against its twin: every k past the unroll, every number of rows
// copied from none to more than k (the copies interleaved two per four steps, the
// rest after the loop), a strided source, the beta cases, and guard bands around both
// the C tile and the panel it fills.
func TestGemmDirectCopyConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		skipWithout(t, im, im.gemmDirectCopy != nil, "direct-copy kernel")
		rng := rand.New(rand.NewPCG(17, 18))
		mr, nr := im.mr, im.nr
		for k := 1; k <= 21; k++ {
			for rows := 0; rows <= k+3; rows++ {
				ab := directAlphaBeta[(k+rows)%len(directAlphaBeta)]
				d := newDirectTile(rng, mr, nr, k)
				lds := nr + 7
				src := make([]float32, max(0, (rows-1)*lds+nr))
				fillInput(rng, src, 1, 0)
				wantPanel := make([]float32, rows*nr)
				pbuf, panel := guarded(rows*nr, 4)
				asm.SgemmDirectCopyGeneric(mr, nr, k, d.a, d.lda, d.b, d.ldb, d.want, d.ldc, ab[0], ab[1], src, lds, rows, wantPanel)
				im.gemmDirectCopy(k, d.a, d.lda, d.b, d.ldb, d.c, d.ldc, ab[0], ab[1], src, lds, rows, panel)
				what := fmt.Sprintf("%s k=%d rows=%d alpha=%v beta=%v", im.name, k, rows, ab[0], ab[1])
				d.check(t, k, what)
				requireGuards(t, pbuf, 4, len(panel), what+" panel")
				requireULP(t, wantPanel, panel, 0, what+" panel")
			}
		}
	})
}

// packTwins are the pure-Go reference loops of the assembly packers, by panel width.
var (
	packATwins  = map[int]packFunc{6: asm.PackA6Generic, 8: asm.PackA8Generic}
	packBTwins  = map[int]packFunc{16: asm.PackB16Generic, 32: asm.PackB32Generic}
	packBTTwins = map[int]packFunc{16: asm.PackB16TGeneric, 32: asm.PackB32TGeneric}
)

type packFunc = func(k int, src []float32, ld int, dst []float32)

// TestPackConformance checks every assembly packer against its twin over every k past
// the unrolls (A: 4 and 8 steps, B: 2 rows, Bᵀ: 8 steps), with strides, an offset
// into the source and guard bands around the panel (Aᵀ: TestPackATConformance).
func TestPackConformance(t *testing.T) {
	type packer struct {
		name     string
		kern     func(im *impl) packFunc
		width    func(im *impl) int
		twins    map[int]packFunc
		kMax     int
		strides  func(k, w int) []int
		srcLen   func(k, ld, w int) int // floats the packer reads
		off, pad int                    // source offset; guard band of the panel
	}
	for _, p := range []packer{
		{"packA", func(im *impl) packFunc { return im.packA }, func(im *impl) int { return im.mr }, packATwins, 23,
			func(k, w int) []int { return []int{k, k + 1, k + 7} }, func(k, ld, w int) int { return (w-1)*ld + k }, 3, 7},
		{"packB", func(im *impl) packFunc { return im.packB }, func(im *impl) int { return im.nr }, packBTwins, 9,
			func(k, w int) []int { return []int{w, w + 1, w + 24} }, func(k, ld, w int) int { return max(0, (k-1)*ld+w) }, 2, 1},
		{"packBT", func(im *impl) packFunc { return im.packBT }, func(im *impl) int { return im.nr }, packBTTwins, 27,
			func(k, w int) []int { return []int{k, k + 1, k + 9} }, func(k, ld, w int) int { return (w-1)*ld + k }, 4, 9},
	} {
		t.Run(p.name, func(t *testing.T) {
			forEachImpl(t, func(t *testing.T, im *impl) {
				kern, w := p.kern(im), p.width(im)
				skipWithout(t, im, kern != nil, "assembly "+p.name)
				twin := p.twins[w]
				require.NotNil(t, twin, "no %s twin for panel width %d", p.name, w)
				rng := rand.New(rand.NewPCG(13, uint64(len(p.name))))
				for k := 0; k <= p.kMax; k++ {
					for _, ld := range p.strides(k, w) {
						if ld == 0 {
							continue
						}
						src := make([]float32, p.srcLen(k, ld, w)+p.off)
						fillInput(rng, src, 10, 5)
						want := make([]float32, w*k)
						twin(k, src[p.off:], ld, want)
						buf, got := guarded(w*k, p.pad)
						kern(k, src[p.off:], ld, got)
						what := fmt.Sprintf("k=%d ld=%d", k, ld)
						requireGuards(t, buf, p.pad, w*k, what)
						for i := range want {
							require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: index %d", what, i)
						}
					}
				}
			})
		})
	}
}

// TestPackATConformance checks packAT, which fills several panels of op(A) = Aᵀ at
// once, against asm.PackA8TGeneric: every k past its two-row step and odd tail, 1 to 7
// panels (its two-panel step and a last odd one), tight and padded strides, an offset
// into the source and guard bands around the panels.
func TestPackATConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		skipWithout(t, im, im.packAT != nil, "assembly packAT")
		require.Equal(t, 8, im.mr, "packAT's twin packs 8-wide panels")
		rng := rand.New(rand.NewPCG(13, 8))
		const off, pad = 3, 6
		for k := 0; k <= 13; k++ {
			for panels := 1; panels <= 7; panels++ {
				w := 8 * panels
				for _, ld := range []int{w, w + 1, w + 13} {
					src := make([]float32, max(0, (k-1)*ld+w)+off)
					fillInput(rng, src, 10, 5)
					want := make([]float32, w*k)
					asm.PackA8TGeneric(k, src[off:], ld, want, panels)
					buf, got := guarded(w*k, pad)
					im.packAT(k, src[off:], ld, got, panels)
					what := fmt.Sprintf("k=%d panels=%d ld=%d", k, panels, ld)
					requireGuards(t, buf, pad, w*k, what)
					for i := range want {
						require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%s: index %d", what, i)
					}
				}
			}
		}
	})
}

// TestGemmKernelSpecialInputs drives each implementation's micro-kernel directly and
// compares it with SgemmKernelGeneric of the same mr×nr when the panels and C hold
// NaN, ±Inf, denormals and values near overflow (NaN must stay NaN, ±Inf must match),
// as well as plain random values: k across the kernels' unroll factors, ldc = nr (the
// driver's scratch tile) and ldc > nr (row padding must stay untouched), C at random
// offsets into a guarded buffer, α/β cases including β = ±0 over NaN in C. Both sides
// accumulate in the same order, so the only difference is the twin's double rounding
// of each FMA (through float64): the bound is a few ulps of the terms' magnitudes per
// step.
func TestGemmKernelSpecialInputs(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(13, 14))
		mr, nr := im.mr, im.nr
		for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33} {
			for _, ldc := range []int{nr, nr + 3} {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0}, {0, 1.5}, {2, float32(math.Copysign(0, -1))}} {
					for _, specials := range []int{0, 9} {
						alpha, beta := ab[0], ab[1]
						a := make([]float32, k*mr)
						b := make([]float32, k*nr)
						fillInput(rng, a, 1, specials)
						fillInput(rng, b, 1, specials)
						off := rng.IntN(16)
						cbuf, c := guarded((mr-1)*ldc+nr, off)
						for i := 0; i < mr; i++ {
							fillInput(rng, c[i*ldc:i*ldc+nr], 1, specials)
							if beta == 0 && i%3 == 1 {
								c[i*ldc+i%nr] = float32(math.NaN()) // β = 0 must not read C
							}
						}
						want := append([]float32(nil), c...)
						asm.SgemmKernelGeneric(mr, nr, k, a, b, want, ldc, alpha, beta)
						cold := append([]float32(nil), c...)
						im.gemmKernel(k, a, b, c, ldc, alpha, beta)
						what := fmt.Sprintf("k=%d ldc=%d alpha=%v beta=%v specials=%d", k, ldc, alpha, beta, specials)
						for i := 0; i < mr; i++ {
							for j := 0; j < nr; j++ {
								w, g := want[i*ldc+j], c[i*ldc+j]
								if w != w || g != g || math.IsInf(float64(w), 0) {
									require.Equal(t, w != w, g != g, "%s: C[%d,%d] = %v, want %v", what, i, j, g, w)
									if w == w {
										require.Equal(t, w, g, "%s: C[%d,%d]", what, i, j)
									}
									continue
								}
								var mag float64 // Σ|terms| of the element
								for p := 0; p < k; p++ {
									mag += math.Abs(float64(a[p*mr+i]) * float64(b[p*nr+j]))
								}
								mag *= math.Abs(float64(alpha))
								if beta != 0 {
									mag += math.Abs(float64(beta) * float64(cold[i*ldc+j]))
								}
								tol := float64(k+2)*0x1p-23*mag + 0x1p-126
								require.InDelta(t, float64(w), float64(g), tol, "%s: C[%d,%d]", what, i, j)
							}
							for j := nr; j < ldc && i < mr-1; j++ {
								require.Equal(t, uint32(guardBits), math.Float32bits(c[i*ldc+j]), "%s: padding C[%d,%d] written", what, i, j)
							}
						}
						requireGuards(t, cbuf, off, len(c), what)
					}
				}
			}
		}
	})
}

// TestAdamWConformance: every implementation's AdamW kernel writes the generic twin's
// parameters, moments and scaled gradients bit for bit and flags a non-finite result
// exactly when the twin does, on every length up to a few vectors (masked tails) and
// one past the chunk, with and without clipping and weight decay.
func TestAdamWConformance(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(16, 1))
		lengths := []int{0, 1, 7, 15, 16, 17, 31, 33, 64, 100, chunk + 5}
		for _, n := range lengths {
			for _, args := range []asm.AdamWArgs{
				{GradScale: 1, Beta1: 0.9, OneMinusB1: 0.1, Beta2: 0.95, OneMinusB2: 1 - float32(0.95), Eps: 1e-8, RBC2: 1.3, Shrink: 1, StepSize: 3e-4},
				{GradScale: 0.37, Beta1: 0.9, OneMinusB1: 0.1, Beta2: 0.999, OneMinusB2: 1 - float32(0.999), Eps: 1e-6, RBC2: 22.4, Shrink: 0.99997, StepSize: 0.01},
			} {
				t.Run(fmt.Sprintf("n=%d/scale=%g", n, args.GradScale), func(t *testing.T) {
					p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
					for i := range p {
						p[i], g[i] = rng.Float32()*2-1, (rng.Float32()*2-1)*float32(math.Pow(10, float64(rng.IntN(6)-3)))
						m[i], v[i] = (rng.Float32()*2-1)*0.1, rng.Float32()*0.01
					}
					want := [4][]float32{clone(p), clone(g), clone(m), clone(v)}
					got := [4][]float32{clone(p), clone(g), clone(m), clone(v)}
					finite := AdamW(got[0], got[1], got[2], got[3], &args)
					var watch float32
					for lo := 0; lo < n; lo += chunk {
						hi := min(lo+chunk, n)
						watch += asm.AdamWGeneric(want[0][lo:hi], want[1][lo:hi], want[2][lo:hi], want[3][lo:hi], &args)
					}
					require.True(t, finite)
					require.Zero(t, watch)
					for k, name := range []string{"p", "g", "m", "v"} {
						requireULP(t, want[k], got[k], 0, name)
					}
					if n == 0 {
						return
					}
					// A gradient that overflows v: both flag it.
					got[1][n-1] = math.MaxFloat32
					require.False(t, AdamW(got[0], got[1], got[2], got[3], &args), im.name)
				})
			}
		}
	})
}

func clone(x []float32) []float32 { return append([]float32(nil), x...) }

// FuzzAdamW: every implementation's AdamW kernel against the twin, bit for bit (any NaN
// matching any NaN) in p, g, m and v, with the same verdict on finiteness, and nothing
// written past the length. The fuzzed values sit in every fourth lane of vectors of
// several lengths (a 16-lane step and masked tails), next to scaled neighbours.
func FuzzAdamW(f *testing.F) {
	f.Add(float32(0.5), float32(-0.01), float32(0.001), float32(1e-6), float32(1))
	f.Add(float32(-2), float32(3e4), float32(0), float32(0), float32(0.25))
	f.Add(float32(1), float32(math.MaxFloat32), float32(0), float32(0), float32(1))
	f.Add(float32(1), float32(1e-30), float32(-1e-30), float32(1e-38), float32(1))
	f.Add(float32(math.Inf(1)), float32(1), float32(0), float32(0), float32(1))
	f.Add(float32(1), float32(math.NaN()), float32(0), float32(0), float32(1))
	f.Fuzz(func(t *testing.T, p, g, m, v, scale float32) {
		const n = 37
		args := asm.AdamWArgs{GradScale: scale, Beta1: 0.9, OneMinusB1: 0.1, Beta2: 0.95, OneMinusB2: 1 - float32(0.95),
			Eps: 1e-8, RBC2: 4.5, Shrink: 0.9999, StepSize: 1e-3}
		var in [4][n]float32
		for i := 0; i < n; i++ {
			k := float32(1 + i%3)
			in[0][i], in[1][i], in[2][i], in[3][i] = p*k, g/k, m*k, v*k
			if i%4 == 0 {
				in[0][i], in[1][i], in[2][i], in[3][i] = p, g, m, v
			}
		}
		for _, im := range available {
			for _, l := range []int{1, 15, 16, 17, n} {
				want, got := in, in
				ww := asm.AdamWGeneric(want[0][:l], want[1][:l], want[2][:l], want[3][:l], &args)
				gw := im.adamw(got[0][:l], got[1][:l], got[2][:l], got[3][:l], &args)
				if (ww == 0) != (gw == 0) {
					t.Fatalf("%s n=%d: watch %g, twin %g", im.name, l, gw, ww)
				}
				for k := range want {
					for i := range want[k] {
						w, x := want[k][i], got[k][i]
						if math.Float32bits(w) != math.Float32bits(x) && !(w != w && x != x) {
							t.Fatalf("%s n=%d array %d lane %d: got %g, twin %g (p %g g %g m %g v %g scale %g)", im.name, l, k, i, x, w, p, g, m, v, scale)
						}
					}
				}
			}
		}
	})
}
