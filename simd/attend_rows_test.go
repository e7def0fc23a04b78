package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// attendWant is AttendRows' result in float64 for a fresh state: the normalized
// output Σ w_j v_j / Σ w_j and log Σ w_j for exp-family kinds (w_j = e^{c·s_j}),
// Σ w_j v_j and Σ w_j with w_j = c·s_j otherwise (squared after adding attendBias
// with AttendSquare).
func attendWant(q, k, v []float32, ld, n, kind int, c float32) (out []float64, sum float64) {
	d := len(q)
	w := make([]float64, n)
	mx := math.Inf(-1)
	for j := range w {
		var s float64
		for l := 0; l < d; l++ {
			a, b := float64(q[l]), float64(k[j*ld+l])
			switch kind & 7 {
			case AttendDot:
				s += a * b
			case AttendSqDist:
				s += (a - b) * (a - b)
			case AttendL1:
				s += math.Abs(a - b)
			case AttendMin:
				s += math.Min(a, b)
			default:
				s += math.Max(0, math.Min(a, b))
			}
		}
		w[j] = float64(c) * s
		if kind&AttendSquare != 0 {
			w[j] = (w[j] + attendBias) * (w[j] + attendBias)
		}
		mx = math.Max(mx, w[j])
	}
	out = make([]float64, d)
	for j := range w {
		if kind&AttendExp != 0 {
			w[j] = math.Exp(w[j] - mx)
		}
		sum += w[j]
		for l := range out {
			out[l] += w[j] * float64(v[j*ld+l])
		}
	}
	if kind&AttendExp != 0 {
		for l := range out {
			out[l] /= sum
		}
		sum = mx + math.Log(sum)
	}
	return out, sum
}

// attendBias is the tests' st[AttendBias], the b of AttendSquare weights.
const attendBias = 0.75

// newAttendState returns a fresh AttendRows state for d floats with guard values
// past its end.
func newAttendState(d int) (buf, st []float32) {
	buf, st = guarded(AttendAcc+d, 0)
	clear(st)
	st[AttendM] = float32(math.Inf(-1))
	st[AttendBias] = attendBias
	return buf, st
}

// TestAttendRows: every implementation, every kind with and without AttendExp, head
// widths across the 16-lane chunks and beyond the kernel's 64, key counts across the
// 16-key groups and past the AVX-512 kernel's prefetching bound (2,048), strides
// larger than the width (the gaps hold NaN and must not be read, nor the rows past n),
// one call or the keys split over two calls, against float64.
func TestAttendRows(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(6, 2))
		nan := float32(math.NaN())
		for _, d := range []int{1, 3, 16, 17, 31, 32, 33, 48, 63, 64, 65, 80} {
			for _, n := range []int{0, 1, 5, 15, 16, 17, 31, 32, 33, 47, 100, 300, 2100} {
				ld := d + rng.IntN(3)
				k, v := make([]float32, (n+1)*ld), make([]float32, (n+1)*ld)
				for i := range k {
					k[i], v[i] = nan, nan
				}
				for j := 0; j < n; j++ {
					fillInput(rng, k[j*ld:j*ld+d], 1, 0)
					fillInput(rng, v[j*ld:j*ld+d], 1, 0)
				}
				q := make([]float32, d)
				fillInput(rng, q, 1, 0)
				for kind := AttendDot; kind <= AttendReluMin; kind++ {
					for _, flag := range []int{0, AttendExp, AttendSquare} {
						c := float32(0.3)
						if kind == AttendSqDist || kind == AttendL1 {
							c = -0.3
						}
						want, wantSum := attendWant(q, k, v, ld, n, kind|flag, c)
						for _, split := range []int{n, n / 3} {
							buf, st := newAttendState(d)
							AttendRows(q, k, v, ld, split, kind|flag, c, st)
							AttendRows(q, k[split*ld:], v[split*ld:], ld, n-split, kind|flag, c, st)
							requireGuards(t, buf, 0, AttendAcc+d, "AttendRows st")
							what := func() string {
								return im.name + " " + string(rune('0'+kind)) + map[int]string{0: "", AttendExp: " exp", AttendSquare: " square"}[flag]
							}
							l, m := float64(st[AttendL]), float64(st[AttendM])
							tol := 1e-5 * float64(d+1) * math.Sqrt(float64(n+1))
							if flag == AttendExp {
								if n == 0 {
									require.Zero(t, l, "%s: sum", what())
									continue
								}
								require.InDelta(t, wantSum, m+math.Log(l), 1e-5*float64(d), "%s d=%d n=%d split=%d: log-sum", what(), d, n, split)
							} else {
								require.InDelta(t, wantSum, l, tol*(1+math.Abs(wantSum)), "%s d=%d n=%d split=%d: sum", what(), d, n, split)
							}
							for i := 0; i < d; i++ {
								got := float64(st[AttendAcc+i])
								if flag == AttendExp {
									got /= l
								}
								require.InDelta(t, want[i], got, tol*(1+math.Abs(want[i])), "%s d=%d n=%d split=%d: acc[%d]", what(), d, n, split, i)
							}
						}
					}
				}
			}
		}
	})
}

// TestAttendRowsMatchesTwin: the kernels agree with the twin on long runs across the
// per-call bound (700 keys) and the prefetching bound (2,100, ending in a group of 4),
// for heads of four chunks (64) and of two (32, the AVX-512 kernel's other body), and
// NaN in a key or a value (the first, the 18th or the last) reaches the output, with
// the same running max st[AttendM] (NaN after a NaN score) as the twin.
func TestAttendRowsMatchesTwin(t *testing.T) {
	for _, shape := range [][3]int{{64, 700, 70}, {32, 2100, 32}, {64, 2100, 64}} {
		t.Run(fmt.Sprintf("d=%d/n=%d", shape[0], shape[1]), func(t *testing.T) {
			attendRowsMatchesTwin(t, shape[0], shape[1], shape[2])
		})
	}
}

func attendRowsMatchesTwin(t *testing.T, d, n, ld int) {
	rng := rand.New(rand.NewPCG(9, 9))
	k, v := make([]float32, n*ld), make([]float32, n*ld)
	fillInput(rng, k, 1, 0)
	fillInput(rng, v, 1, 0)
	q := make([]float32, d)
	fillInput(rng, q, 1, 0)
	var twin [][]float32
	forEachImpl(t, func(t *testing.T, im *impl) {
		for i, kind := range []int{AttendDot | AttendExp, AttendSqDist | AttendExp, AttendL1 | AttendExp, AttendMin | AttendExp, AttendReluMin, AttendDot | AttendSquare} {
			_, st := newAttendState(d)
			AttendRows(q, k, v, ld, n, kind, 0.125, st)
			if len(twin) <= i {
				twin = append(twin, st) // generic comes first
				continue
			}
			for j := range st {
				if j >= AttendL+1 && j < AttendAcc {
					continue // scratch
				}
				require.InDelta(t, twin[i][j], st[j], 1e-4*(1+math.Abs(float64(twin[i][j]))), "%s kind %d st[%d]", im.name, kind, j)
			}
		}
		for _, at := range []int{0, 17, n - 1} {
			for _, x := range [][]float32{k, v} {
				old := x[at*ld+5]
				x[at*ld+5] = float32(math.NaN())
				_, st := newAttendState(d)
				AttendRows(q, k, v, ld, n, AttendDot|AttendExp, 0.125, st)
				x[at*ld+5] = old
				require.True(t, math.IsNaN(float64(st[AttendAcc+5])), "%s: NaN at key %d lost", im.name, at)
				// A NaN key gives a NaN score, which becomes the running max as in the twin
				// (the kernels' max compare is unordered-or-greater); a NaN value does not.
				require.Equal(t, &x[0] == &k[0], math.IsNaN(float64(st[AttendM])), "%s: st[AttendM] = %v after NaN at %d", im.name, st[AttendM], at)
			}
		}
	})
}

func TestAttendRowsPanics(t *testing.T) {
	q, kv, st := make([]float32, 4), make([]float32, 8), make([]float32, AttendAcc+4)
	require.PanicsWithValue(t, "simd: AttendRows: len(k) = 8 < 12 needed for 3 rows of 4 with stride 4", func() {
		AttendRows(q, kv, kv, 4, 3, AttendDot, 1, st)
	})
	require.PanicsWithValue(t, "simd: AttendRows: len(st) = 35 < 36", func() { AttendRows(q, kv, kv, 4, 2, AttendDot, 1, st[:35]) })
	require.PanicsWithValue(t, "simd: AttendRows: n = 1, kind = 5", func() { AttendRows(q, kv, kv, 4, 1, 5, 1, st) })
	require.PanicsWithValue(t, "simd: AttendRows: n = 1, kind = 40", func() { AttendRows(q, kv, kv, 4, 1, AttendExp|AttendSquare, 1, st) })
	require.Panics(t, func() { AttendRows(q, kv, kv, 3, 1, AttendDot, 1, st) })
}
