package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/asm"
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

// TestAttendStart: asm.AttendStart, from which AttendHeads and its twin start every
// head, leaves newAttendState's fresh state whatever the state held, and writes
// nothing past it.
func TestAttendStart(t *testing.T) {
	for _, d := range []int{1, 16, 64, 65} {
		_, want := newAttendState(d)
		buf, st := guarded(AttendAcc+d, 0)
		for i := range st {
			st[i] = float32(i) + 0.5 // a previous head's state
		}
		st[AttendM] = float32(math.NaN())
		asm.AttendStart(st, attendBias)
		require.Equal(t, want, st, "d = %d", d)
		requireGuards(t, buf, 0, AttendAcc+d, "AttendStart")
	}
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

// TestAttendHeads: every implementation, every kind, head widths across the chunks
// and past the kernel's 64, one call of heads with 0..300 keys each (a head of none,
// heads within a group, across groups, past the per-call bounds of AttendRows and of
// the kernel), queries, keys and results at scattered offsets with NaN between them
// (not read, not written), against float64.
func TestAttendHeads(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(6, 3))
		nan := float32(math.NaN())
		for _, d := range []int{1, 16, 31, 32, 33, 64, 65} {
			ns := []int{40, 1, 0, 17, 5, 300, 16, 33, 40, 40, 900, 15}
			ld := d + rng.IntN(3)
			var heads []AttendHead
			nq, nkv, nout := 0, 0, 0
			for _, n := range ns {
				heads = append(heads, AttendHead{Q: nq + 1, KV: nkv + ld, N: n, Out: nout + 2})
				nq, nkv, nout = nq+1+d, nkv+ld+n*ld, nout+2+d
			}
			q, k, v := make([]float32, nq+1), make([]float32, nkv+ld), make([]float32, nkv+ld)
			for _, x := range [][]float32{q, k, v} {
				for i := range x {
					x[i] = nan
				}
			}
			for _, h := range heads {
				fillInput(rng, q[h.Q:h.Q+d], 1, 0)
				for j := 0; j < h.N; j++ {
					fillInput(rng, k[h.KV+j*ld:h.KV+j*ld+d], 1, 0)
					fillInput(rng, v[h.KV+j*ld:h.KV+j*ld+d], 1, 0)
				}
			}
			for kind := AttendDot; kind <= AttendReluMin; kind++ {
				for _, flag := range []int{0, AttendExp, AttendSquare} {
					c := float32(0.3)
					if kind == AttendSqDist || kind == AttendL1 {
						c = -0.3
					}
					buf, out := guarded(nout+1, 0)
					for i := range out {
						out[i] = nan
					}
					w := make([]float32, AttendAcc+d)
					AttendHeads(q, k, v, out, heads, d, ld, kind|flag, c, attendBias, 1e-30, w)
					requireGuards(t, buf, 0, nout+1, "AttendHeads out")
					at := 0
					for i, h := range heads {
						for ; at < h.Out; at++ {
							require.True(t, math.IsNaN(float64(out[at])), "%s: out[%d] written", im.name, at)
						}
						at += d
						want, sum := attendWant(q[h.Q:h.Q+d], k[h.KV:], v[h.KV:], ld, h.N, kind|flag, c)
						tol := 1e-5 * float64(d+1) * math.Sqrt(float64(h.N+1))
						for l := 0; l < d; l++ {
							x := want[l]
							if h.N == 0 || flag != AttendExp && math.Abs(sum) <= 1e-30 {
								x = 0
							} else if flag != AttendExp {
								x /= sum
							}
							require.InDelta(t, x, float64(out[h.Out+l]), tol*(1+math.Abs(x)), "%s d=%d kind=%d|%d head %d (N=%d): out[%d]", im.name, d, kind, flag, i, h.N, l)
						}
					}
				}
			}
		}
	})
}

// TestAttendHeadsMatchesTwin: the kernel and its twin agree on many short heads of
// two and four chunks; a NaN in one head's key (edp, rbf) reaches that head's result
// only; a head whose weights sum to 0 (relu-min against a zero query) gets zeros.
func TestAttendHeadsMatchesTwin(t *testing.T) {
	for _, d := range []int{32, 64} {
		rng := rand.New(rand.NewPCG(9, 10))
		const H = 24
		heads := make([]AttendHead, H)
		for i := range heads {
			heads[i] = AttendHead{Q: i * d, KV: i * 64 * d, N: 1 + rng.IntN(60), Out: i * d}
		}
		q, k, v := make([]float32, H*d), make([]float32, H*64*d), make([]float32, H*64*d)
		fillInput(rng, q, 1, 0)
		fillInput(rng, k, 1, 0)
		fillInput(rng, v, 1, 0)
		clear(q[9*d : 10*d])
		var twin [][]float32
		forEachImpl(t, func(t *testing.T, im *impl) {
			for i, kind := range []int{AttendDot | AttendExp, AttendSqDist | AttendExp, AttendL1 | AttendExp, AttendMin | AttendExp, AttendReluMin, AttendDot | AttendSquare} {
				out := make([]float32, H*d)
				AttendHeads(q, k, v, out, heads, d, d, kind, 0.125, attendBias, 1e-6, make([]float32, AttendAcc+d))
				if kind == AttendReluMin {
					require.Equal(t, make([]float32, d), out[9*d:10*d], "%s: head 9's weights sum to 0", im.name)
				}
				if len(twin) <= i {
					twin = append(twin, out) // generic comes first
					continue
				}
				for j := range out {
					require.InDelta(t, twin[i][j], out[j], 1e-4*(1+math.Abs(float64(twin[i][j]))), "%s kind %d out[%d]", im.name, kind, j)
				}
			}
			for _, kind := range []int{AttendDot | AttendExp, AttendSqDist | AttendExp} {
				old := k[3*64*d+5]
				k[3*64*d+5] = float32(math.NaN())
				out := make([]float32, H*d)
				AttendHeads(q, k, v, out, heads, d, d, kind, 0.125, 0, 1e-6, make([]float32, AttendAcc+d))
				k[3*64*d+5] = old
				for h := 0; h < H; h++ {
					require.Equal(t, h == 3, math.IsNaN(float64(out[h*d])), "%s kind %d: head %d", im.name, kind, h)
				}
			}
		})
	}
}

// TestAttendHeadsPanics: AttendHeads' programmer errors panic naming what is wrong,
// before any kernel runs (the kernels do not check offsets).
func TestAttendHeadsPanics(t *testing.T) {
	q, kv, out, w := make([]float32, 8), make([]float32, 16), make([]float32, 8), make([]float32, AttendAcc+4)
	ok := []AttendHead{{Q: 0, KV: 0, N: 4, Out: 0}, {Q: 4, KV: 0, N: 0, Out: 4}}
	require.NotPanics(t, func() { AttendHeads(q, kv, kv, out, ok, 4, 4, AttendDot|AttendExp, 1, 0, 0, w) })
	require.PanicsWithValue(t, "simd: AttendHeads: d = 4, ld = 3, kind = 8", func() {
		AttendHeads(q, kv, kv, out, ok, 4, 3, AttendExp, 1, 0, 0, w)
	})
	require.PanicsWithValue(t, "simd: AttendHeads: d = -1, ld = 4, kind = 8", func() {
		AttendHeads(q, kv, kv, out, ok, -1, 4, AttendExp, 1, 0, 0, w)
	})
	require.PanicsWithValue(t, "simd: AttendHeads: d = 4, ld = 4, kind = 40", func() {
		AttendHeads(q, kv, kv, out, ok, 4, 4, AttendExp|AttendSquare, 1, 0, 0, w)
	})
	require.PanicsWithValue(t, "simd: AttendHeads: d = 4, ld = 4, kind = 6", func() {
		AttendHeads(q, kv, kv, out, ok, 4, 4, 6, 1, 0, 0, w)
	})
	require.PanicsWithValue(t, "simd: AttendHeads: len(w) = 35 < 36", func() {
		AttendHeads(q, kv, kv, out, ok, 4, 4, AttendExp, 1, 0, 0, w[:35])
	})
	for name, h := range map[string]AttendHead{
		"query past q":      {Q: 5, N: 1},
		"keys past k and v": {KV: 1, N: 4},
		"result past out":   {Out: 5, N: 1},
		"negative offset":   {Q: -1, N: 1},
		"negative keys":     {N: -1},
	} {
		require.PanicsWithValue(t, fmt.Sprintf("simd: AttendHeads: heads[1] = %+v outside len(q), len(k), len(v), len(out) = 8, 16, 16, 8 (d = 4, ld = 4)", h), func() {
			AttendHeads(q, kv, kv, out, []AttendHead{ok[0], h}, 4, 4, AttendExp, 1, 0, 0, w)
		}, name)
	}
}
