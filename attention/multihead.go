package attention

import (
	"fmt"

	"github.com/kernelmachines/bkm/simd"
)

// MHParams are the parameters of one multi-head attention layer (or their gradients),
// in the x·W convention, row-major:
//
//	q = xq·WQ + BQ, k = xkv·WK + BK, v = xkv·WV + BV   WQ, WK, WV [DModel, H·Dh], biases [H·Dh]
//	y = concat_h(attn_h)·WO + BO                        WO [H·Dh, DModel], BO [DModel]
//
// Column block h·Dh..(h+1)·Dh of WQ, WK, WV belongs to head h. Biases may be nil.
type MHParams struct {
	WQ, WK, WV []float32
	BQ, BK, BV []float32
	WO         []float32
	BO         []float32
}

// MHActs are the activations MHForward saves for MHBackward:
// Q [B, H, Nq, Dh], K and V [B, H, Nk, Dh], O (attention outputs) [B, H, Nq, Dh] and
// Stats [B, H, Nq].
type MHActs struct {
	Q, K, V, O, Stats []float32
}

// MHActsLen is the number of floats MHActs.Bind needs.
func MHActsLen(B, Nq, Nk, H, Dh int) int { return B * H * (2*Nq*Dh + 2*Nk*Dh + Nq) }

// Bind carves the activations out of buf (len ≥ MHActsLen), e.g. a slice of a
// training step's activation arena, and returns the rest of buf.
func (a *MHActs) Bind(buf []float32, B, Nq, Nk, H, Dh int) []float32 {
	checkLen("MHActs.Bind", "buf", buf, MHActsLen(B, Nq, Nk, H, Dh))
	take := func(n int) []float32 {
		x := buf[:n:n]
		buf = buf[n:]
		return x
	}
	a.Q = take(B * H * Nq * Dh)
	a.K = take(B * H * Nk * Dh)
	a.V = take(B * H * Nk * Dh)
	a.O = take(B * H * Nq * Dh)
	a.Stats = take(B * H * Nq)
	return buf
}

// NewMHActs allocates activations for one batch shape.
func NewMHActs(B, Nq, Nk, H, Dh int) *MHActs {
	a := &MHActs{}
	a.Bind(make([]float32, MHActsLen(B, Nq, Nk, H, Dh)), B, Nq, Nk, H, Dh)
	return a
}

func checkMH(fn string, B, Nq, Nk, DModel, H, Dh int, p *MHParams, xq, xkv []float32, a *MHActs) {
	if B < 0 || Nq < 0 || Nk < 0 || DModel < 1 || H < 1 || Dh < 1 {
		panic(fmt.Sprintf("attention: %s: bad shape B = %d, Nq = %d, Nk = %d, DModel = %d, H = %d, Dh = %d", fn, B, Nq, Nk, DModel, H, Dh))
	}
	hd := H * Dh
	checkLen(fn, "WQ", p.WQ, DModel*hd)
	checkLen(fn, "WK", p.WK, DModel*hd)
	checkLen(fn, "WV", p.WV, DModel*hd)
	checkLen(fn, "WO", p.WO, hd*DModel)
	for _, b := range []struct {
		name string
		x    []float32
		n    int
	}{{"BQ", p.BQ, hd}, {"BK", p.BK, hd}, {"BV", p.BV, hd}, {"BO", p.BO, DModel}} {
		if b.x != nil {
			checkLen(fn, b.name, b.x, b.n)
		}
	}
	checkLen(fn, "xq", xq, B*Nq*DModel)
	checkLen(fn, "xkv", xkv, B*Nk*DModel)
	checkLen(fn, "acts.Q", a.Q, B*H*Nq*Dh)
	checkLen(fn, "acts.K", a.K, B*H*Nk*Dh)
	checkLen(fn, "acts.V", a.V, B*H*Nk*Dh)
	checkLen(fn, "acts.O", a.O, B*H*Nq*Dh)
	checkLen(fn, "acts.Stats", a.Stats, B*H*Nq)
}

// project computes dst [B, H, N, Dh] = x [B, N, DModel]·W [DModel, H·Dh] + bias.
func project(B, N, DModel, H, Dh int, x, w, bias, dst []float32) {
	hd := H * Dh
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			out := dst[(b*H+h)*N*Dh : (b*H+h+1)*N*Dh]
			simd.Sgemm(false, false, N, Dh, DModel, 1, x[b*N*DModel:], DModel, w[h*Dh:], hd, 0, out, Dh)
			if bias != nil {
				for i := 0; i < N; i++ {
					simd.Add(out[i*Dh:i*Dh+Dh], out[i*Dh:i*Dh+Dh], bias[h*Dh:h*Dh+Dh])
				}
			}
		}
	}
}

// MHForward runs one multi-head attention layer: xq [B, Nq, DModel] (targets),
// xkv [B, Nk, DModel] (sources; pass xq again for self attention), y [B, Nq, DModel]
// (overwritten). The options' mask and causality apply per head; Scale 0 means
// 1/√Dh. acts receives what MHBackward needs.
func MHForward(o *Options, B, Nq, Nk, DModel, H, Dh int, p *MHParams, xq, xkv, y []float32, acts *MHActs, ws *Workspace) {
	checkMH("MHForward", B, Nq, Nk, DModel, H, Dh, p, xq, xkv, acts)
	checkLen("MHForward", "y", y, B*Nq*DModel)
	project(B, Nq, DModel, H, Dh, xq, p.WQ, p.BQ, acts.Q)
	project(B, Nk, DModel, H, Dh, xkv, p.WK, p.BK, acts.K)
	project(B, Nk, DModel, H, Dh, xkv, p.WV, p.BV, acts.V)
	Forward(o, B, H, Nq, Nk, Dh, acts.Q, acts.K, acts.V, acts.O, acts.Stats, ws)
	for b := 0; b < B; b++ {
		yb := y[b*Nq*DModel : (b+1)*Nq*DModel]
		for h := 0; h < H; h++ {
			beta := float32(1)
			if h == 0 {
				beta = 0
			}
			simd.Sgemm(false, false, Nq, DModel, Dh, 1, acts.O[(b*H+h)*Nq*Dh:], Dh, p.WO[h*Dh*DModel:], DModel, beta, yb, DModel)
		}
		if p.BO != nil {
			for i := 0; i < Nq; i++ {
				simd.Add(yb[i*DModel:(i+1)*DModel], yb[i*DModel:(i+1)*DModel], p.BO[:DModel])
			}
		}
	}
}

// MHBackward is MHForward's backward pass. From dy [B, Nq, DModel] it ACCUMULATES
// (+=) the parameter gradients into g (same shapes as p; nil bias gradients are
// skipped) and the input gradients into dxq [B, Nq, DModel] and dxkv [B, Nk, DModel];
// for self attention pass the same slice as dxq and dxkv.
func MHBackward(o *Options, B, Nq, Nk, DModel, H, Dh int, p, g *MHParams, xq, xkv, dy, dxq, dxkv []float32, acts *MHActs, ws *Workspace) {
	checkMH("MHBackward", B, Nq, Nk, DModel, H, Dh, p, xq, xkv, acts)
	checkMH("MHBackward(grads)", B, Nq, Nk, DModel, H, Dh, g, xq, xkv, acts)
	checkLen("MHBackward", "dy", dy, B*Nq*DModel)
	checkLen("MHBackward", "dxq", dxq, B*Nq*DModel)
	checkLen("MHBackward", "dxkv", dxkv, B*Nk*DModel)
	if ws == nil {
		ws = wsPool.Get().(*Workspace)
		defer wsPool.Put(ws)
	}
	hd := H * Dh
	nq, nk := B*H*Nq*Dh, B*H*Nk*Dh
	ws.mh = grow(ws.mh, 2*nq+2*nk)
	dO, dQ := ws.mh[:nq], ws.mh[nq:2*nq]
	dK, dV := ws.mh[2*nq:2*nq+nk], ws.mh[2*nq+nk:]
	for b := 0; b < B; b++ {
		dyb := dy[b*Nq*DModel:]
		for h := 0; h < H; h++ {
			bh := b*H + h
			// dO_h = dy·WO_hᵀ; dWO_h += O_hᵀ·dy.
			simd.Sgemm(false, true, Nq, Dh, DModel, 1, dyb, DModel, p.WO[h*Dh*DModel:], DModel, 0, dO[bh*Nq*Dh:], Dh)
			simd.Sgemm(true, false, Dh, DModel, Nq, 1, acts.O[bh*Nq*Dh:], Dh, dyb, DModel, 1, g.WO[h*Dh*DModel:], DModel)
		}
		if g.BO != nil {
			for i := 0; i < Nq; i++ {
				simd.Add(g.BO[:DModel], g.BO[:DModel], dyb[i*DModel:(i+1)*DModel])
			}
		}
	}
	// The attention core needs its own workspace buffers; ws.mh is separate from them.
	Backward(o, B, H, Nq, Nk, Dh, acts.Q, acts.K, acts.V, acts.O, dO, acts.Stats, dQ, dK, dV, ws)
	projectBackward(B, Nq, DModel, H, Dh, xq, p.WQ, dQ, g.WQ, g.BQ, dxq, hd)
	projectBackward(B, Nk, DModel, H, Dh, xkv, p.WK, dK, g.WK, g.BK, dxkv, hd)
	projectBackward(B, Nk, DModel, H, Dh, xkv, p.WV, dV, g.WV, g.BV, dxkv, hd)
}

// projectBackward accumulates, for dst = x·W + bias with dst's gradient dd
// [B, H, N, Dh]: dW += xᵀ·dd, dbias += Σ_rows dd, dx += dd·Wᵀ.
func projectBackward(B, N, DModel, H, Dh int, x, w, dd, dw, dbias, dx []float32, hd int) {
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			d := dd[(b*H+h)*N*Dh : (b*H+h+1)*N*Dh]
			simd.Sgemm(true, false, DModel, Dh, N, 1, x[b*N*DModel:], DModel, d, Dh, 1, dw[h*Dh:], hd)
			simd.Sgemm(false, true, N, DModel, Dh, 1, d, Dh, w[h*Dh:], hd, 1, dx[b*N*DModel:], DModel)
			if dbias != nil {
				for i := 0; i < N; i++ {
					simd.Add(dbias[h*Dh:h*Dh+Dh], dbias[h*Dh:h*Dh+Dh], d[i*Dh:i*Dh+Dh])
				}
			}
		}
	}
}
