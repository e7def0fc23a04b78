package attention

import (
	"fmt"
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// ForwardLinear computes the same attention as Forward for a finite-dimensional kernel
// (poly, taylor, linear, favor) in time linear in the lengths, through the explicit
// feature map: with S = Σ_j φ(k_j) v_jᵀ [F, D] and z = Σ_j φ(k_j) [F],
//
//	out_i = φ(q_i)ᵀ S / φ(q_i)ᵀ z     (the numerator alone when Unnormalized)
//
// and stats[i] = φ(q_i)ᵀ z, the row sum Forward saves. Padding keys get φ = 0. With
// Causal, queries are processed in chunks: keys every row of a chunk sees come from
// the running prefix sums (S, z), the few keys on the chunk's diagonal are added
// exactly. Cost O((Nq + Nk)·F·D) per head, extra memory O((Nq + Nk)·F + F·D) per
// worker. It panics for infinite-dimensional kernels, and for Options.Dropout ≠ 0:
// attention dropout drops single (query, key) weights, which the prefix sums over keys
// never form (use Forward).
func ForwardLinear(o *Options, B, H, Nq, Nk, D int, q, k, v, out, stats []float32, ws *Workspace) {
	checkInputs("ForwardLinear", o, B, H, Nq, Nk, D, q, k, v)
	if o.Dropout != 0 {
		panic(fmt.Sprintf("attention: ForwardLinear: Dropout = %v: the linear path cannot drop single weights; use Forward", o.Dropout))
	}
	z := o.kernel()
	F := z.FeatureDim(D)
	if F < 0 {
		panic(fmt.Sprintf("attention: ForwardLinear: kernel %s is infinite-dimensional", z.Name()))
	}
	checkOutputs("ForwardLinear", B, H, Nq, D, out, stats)
	if ws == nil {
		ws = wsPool.Get().(*Workspace)
		defer wsPool.Put(ws)
	}
	c := ws.begin(o, B, H, Nq, Nk, D)
	c.f = F
	l := DenseLayout(H, Nq, Nk, D) // linearHead indexes dense rows
	c.bind(&l, q, k, v)
	c.out, c.stats = view{out, l.Out, H}, stats
	nw := ws.threads()
	c.nw = nw
	ws.prepare(nw, D, 0, tileQ, tileK) // the linear path keeps the small tiles (chunk, stride tileK)
	per := (Nq+Nk)*F + F*D + F
	for w := 0; w < min(nw, B*H); w++ {
		ws.workers[w].lin = grow(ws.workers[w].lin, per)
	}
	c.run(phLinear, B*H, nw)
	c.release()
}

// linearHead runs ForwardLinear on head bh with worker w's buffers.
func (c *call) linearHead(w, bh int) {
	d, f, nq, nk := c.d, c.f, c.nq, c.nk
	buf := &c.ws.workers[w]
	lin := buf.lin
	fq, lin := lin[:nq*f], lin[nq*f:]
	fk, lin := lin[:nk*f], lin[nk*f:]
	st, zs := lin[:f*d], lin[f*d:f*d+f]
	clear(st)
	clear(zs)
	q, k, v, out := c.q.rows(bh, 0), c.k.rows(bh, 0), c.v.rows(bh, 0), c.out.rows(bh, 0)
	stats := c.stats[bh*nq : (bh+1)*nq]
	b := bh / c.h
	c.z.featureRows(c.gamma, nq, d, q, d, fq, f)
	c.z.featureRows(c.gamma, nk, d, k, d, fk, f)
	if c.o.KeyMask != nil {
		for j := 0; j < nk; j++ {
			if !c.o.KeyMask[b*nk+j] {
				clear(fk[j*f : j*f+f]) // a masked key adds nothing to the sums
			}
		}
	}
	// addKeys extends the prefix sums with keys [j0, j1).
	addKeys := func(j0, j1 int) {
		if j1 <= j0 {
			return
		}
		simd.Sgemm(true, false, f, d, j1-j0, 1, fk[j0*f:], f, v[j0*d:], d, 1, st, d)
		for j := j0; j < j1; j++ {
			simd.Add(zs, zs, fk[j*f:j*f+f])
		}
	}
	chunk := min(tileQ, tileK)
	done := 0 // keys [0, done) are in the prefix sums
	if !c.o.Causal {
		addKeys(0, nk)
		done = nk
	}
	for i0 := 0; i0 < nq; i0 += chunk {
		nr := min(chunk, nq-i0)
		if c.o.Causal {
			a := max(0, min(nk, i0+c.off+1)) // keys every row of the chunk sees
			addKeys(done, a)
			done = max(done, a)
		}
		o := out[i0*d : (i0+nr)*d]
		simd.Sgemm(false, false, nr, d, f, 1, fq[i0*f:], f, st, d, 0, o, d)
		for r := 0; r < nr; r++ {
			stats[i0+r] = simd.Dot(fq[(i0+r)*f:(i0+r+1)*f], zs)
		}
		if c.o.Causal {
			e := max(0, min(nk, i0+nr+c.off)) // one past the last key the chunk sees
			if e > done {
				s := buf.s
				nc := e - done
				simd.Sgemm(false, true, nr, nc, f, 1, fq[i0*f:], f, fk[done*f:], f, 0, s, tileK)
				for r := 0; r < nr; r++ {
					row := s[r*tileK : r*tileK+nc]
					for j := range row {
						if done+j > i0+r+c.off {
							row[j] = 0
						}
					}
					stats[i0+r] += simd.Sum(row)
				}
				simd.Sgemm(false, false, nr, d, nc, 1, s, tileK, v[done*d:], d, 1, o, d)
			}
		}
		if c.o.Unnormalized {
			continue
		}
		for r := 0; r < nr; r++ {
			row := o[r*d : r*d+d]
			if zr := stats[i0+r]; math.Abs(float64(zr)) > guardEps {
				simd.Scale(1/zr, row)
			} else {
				clear(row)
			}
		}
	}
}
