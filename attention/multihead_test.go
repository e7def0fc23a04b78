package attention

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// mm64 computes C (m×n) = A (m×k, stride lda) · B (k×n, stride ldb), optionally
// transposing A or B (then stored k×m or n×k).
func mm64(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av := a[i*lda+p]
				if tA {
					av = a[p*lda+i]
				}
				bv := b[p*ldb+j]
				if tB {
					bv = b[j*ldb+p]
				}
				s += av * bv
			}
			c[i*n+j] = s
		}
	}
	return c
}

// mhReference is the float64 multi-head layer built from Reference: projections,
// attention, output projection, and the backward pass by the chain rule.
type mhGrads struct{ wq, wk, wv, wo, bq, bk, bv, bo, dxq, dxkv, y []float64 }

func mhReference(o *Options, B, Nq, Nk, DM, H, Dh int, p *MHParams, xq, xkv, dy []float64) mhGrads {
	hd := H * Dh
	W := func(x []float32) []float64 { return to64(x) }
	wq, wk, wv, wo := W(p.WQ), W(p.WK), W(p.WV), W(p.WO)
	bias := func(b []float32, n int) []float64 {
		if b == nil {
			return make([]float64, n)
		}
		return to64(b)
	}
	bq, bk, bv, bo := bias(p.BQ, hd), bias(p.BK, hd), bias(p.BV, hd), bias(p.BO, DM)
	proj := func(x []float64, N int, w, b []float64) []float64 { // → [B, H, N, Dh]
		out := make([]float64, B*H*N*Dh)
		for bb := 0; bb < B; bb++ {
			full := mm64(false, false, N, hd, DM, x[bb*N*DM:], DM, w, hd)
			for i := 0; i < N; i++ {
				for h := 0; h < H; h++ {
					for l := 0; l < Dh; l++ {
						out[((bb*H+h)*N+i)*Dh+l] = full[i*hd+h*Dh+l] + b[h*Dh+l]
					}
				}
			}
		}
		return out
	}
	Q, K, V := proj(xq, Nq, wq, bq), proj(xkv, Nk, wk, bk), proj(xkv, Nk, wv, bv)
	// heads moves x between the concat layout [B, N, H·Dh] and the head layout
	// [B, H, N, Dh]: toHeads says which way.
	heads := func(x []float64, N int, toHeads bool) []float64 {
		out := make([]float64, B*N*hd)
		for bb := 0; bb < B; bb++ {
			for h := 0; h < H; h++ {
				for i := 0; i < N; i++ {
					for l := 0; l < Dh; l++ {
						c, hh := (bb*N+i)*hd+h*Dh+l, ((bb*H+h)*N+i)*Dh+l
						if toHeads {
							out[hh] = x[c]
						} else {
							out[c] = x[hh]
						}
					}
				}
			}
		}
		return out
	}
	// dO = dy·WOᵀ in [B, H, Nq, Dh]
	dcat := mm64(false, true, B*Nq, hd, DM, dy, DM, wo, DM)
	dO := heads(dcat, Nq, true)
	O, _, dQ, dK, dV := Reference(o, B, H, Nq, Nk, Dh, Q, K, V, dO)
	cat := heads(O, Nq, false)
	g := mhGrads{}
	g.y = mm64(false, false, B*Nq, DM, hd, cat, hd, wo, DM)
	for i := 0; i < B*Nq; i++ {
		for j := 0; j < DM; j++ {
			g.y[i*DM+j] += bo[j]
		}
	}
	g.wo = mm64(true, false, hd, DM, B*Nq, cat, hd, dy, DM)
	g.bo = make([]float64, DM)
	for i := 0; i < B*Nq; i++ {
		for j := 0; j < DM; j++ {
			g.bo[j] += dy[i*DM+j]
		}
	}
	back := func(x []float64, N int, d []float64, w []float64) (dw, db, dx []float64) {
		// d in [B, H, N, Dh] → [B·N, hd]
		dd := heads(d, N, false)
		dw = mm64(true, false, DM, hd, B*N, x, DM, dd, hd)
		db = make([]float64, hd)
		for i := 0; i < B*N; i++ {
			for j := 0; j < hd; j++ {
				db[j] += dd[i*hd+j]
			}
		}
		dx = mm64(false, true, B*N, DM, hd, dd, hd, w, hd)
		return
	}
	g.wq, g.bq, g.dxq = back(xq, Nq, dQ, wq)
	var dxk, dxv []float64
	g.wk, g.bk, dxk = back(xkv, Nk, dK, wk)
	g.wv, g.bv, dxv = back(xkv, Nk, dV, wv)
	g.dxkv = make([]float64, len(dxk))
	for i := range dxk {
		g.dxkv[i] = dxk[i] + dxv[i]
	}
	return g
}

func randParams(r *rand.Rand, DM, hd int, biases bool) *MHParams {
	s := 1 / float64(DM)
	p := &MHParams{WQ: randSlice(r, DM*hd, s*3), WK: randSlice(r, DM*hd, s*3), WV: randSlice(r, DM*hd, s*3), WO: randSlice(r, hd*DM, s*3)}
	if biases {
		p.BQ, p.BK, p.BV, p.BO = randSlice(r, hd, 0.1), randSlice(r, hd, 0.1), randSlice(r, hd, 0.1), randSlice(r, DM, 0.1)
	}
	return p
}

func zeroParams(DM, hd int) *MHParams {
	return &MHParams{WQ: make([]float32, DM*hd), WK: make([]float32, DM*hd), WV: make([]float32, DM*hd), WO: make([]float32, hd*DM),
		BQ: make([]float32, hd), BK: make([]float32, hd), BV: make([]float32, hd), BO: make([]float32, DM)}
}

// TestMultiHead compares MHForward/MHBackward with the float64 composition of
// projections and Reference, for self attention (one x, one dx buffer receiving both
// contributions) and cross attention, and checks that gradients accumulate.
func TestMultiHead(t *testing.T) {
	withTiles(t, 8, 16)
	r := rand.New(rand.NewPCG(41, 42))
	B, DM, H, Dh := 2, 12, 3, 4
	hd := H * Dh
	for _, kern := range []Kernel{EDP(), RBF(), Poly(2, 1), Linear()} {
		for _, self := range []bool{true, false} {
			Nq, Nk := 11, 11
			if !self {
				Nk = 19
			}
			o := Options{Kernel: kern, Causal: self, KeyMask: randMask(r, B, Nk)}
			o.KeyMask[0] = true
			p := randParams(r, DM, hd, !self)
			xq := randSlice(r, B*Nq*DM, 1)
			xkv := xq
			if !self {
				xkv = randSlice(r, B*Nk*DM, 1)
			}
			dy := randSlice(r, B*Nq*DM, 1)
			y := make([]float32, B*Nq*DM)
			acts := NewMHActs(B, Nq, Nk, H, Dh)
			MHForward(&o, B, Nq, Nk, DM, H, Dh, p, xq, xkv, y, acts, nil)
			g := zeroParams(DM, hd)
			dxq := make([]float32, B*Nq*DM)
			dxkv := dxq
			if !self {
				dxkv = make([]float32, B*Nk*DM)
			}
			// run backward twice: gradients must accumulate to twice the reference
			MHBackward(&o, B, Nq, Nk, DM, H, Dh, p, g, xq, xkv, dy, dxq, dxkv, acts, nil)
			MHBackward(&o, B, Nq, Nk, DM, H, Dh, p, g, xq, xkv, dy, dxq, dxkv, acts, nil)
			want := mhReference(&o, B, Nq, Nk, DM, H, Dh, p, to64(xq), to64(xkv), to64(dy))
			two := func(x []float64) []float64 {
				y := make([]float64, len(x))
				for i, v := range x {
					y[i] = 2 * v
				}
				return y
			}
			name := kern.Name()
			require.LessOrEqual(t, relErr(y, want.y), 1e-4, "y %s self=%v", name, self)
			for _, c := range []struct {
				n    string
				got  []float32
				want []float64
			}{{"WQ", g.WQ, want.wq}, {"WK", g.WK, want.wk}, {"WV", g.WV, want.wv}, {"WO", g.WO, want.wo},
				{"BO", g.BO, want.bo}, {"BQ", g.BQ, want.bq}, {"BK", g.BK, want.bk}, {"BV", g.BV, want.bv}} {
				require.LessOrEqual(t, relErr(c.got, two(c.want)), 1e-3, "d%s %s self=%v", c.n, name, self)
			}
			if self {
				sum := make([]float64, len(want.dxq))
				for i := range sum {
					sum[i] = 2 * (want.dxq[i] + want.dxkv[i])
				}
				require.LessOrEqual(t, relErr(dxq, sum), 1e-3, "dx %s self", name)
			} else {
				require.LessOrEqual(t, relErr(dxq, two(want.dxq)), 1e-3, "dxq %s", name)
				require.LessOrEqual(t, relErr(dxkv, two(want.dxkv)), 1e-3, "dxkv %s", name)
			}
		}
	}
}
