package attention

import (
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// blocks is the size of one head's tile-blocked transposed copy: n rows of length D
// in blocks of tile rows, each stored as a D×tile block (stride tile).
func (c *call) blocks(n, tile int) int { return (n + tile - 1) / tile * c.d * tile }

// transposeTiles writes the n×d matrix src (stride d) as transposed tile blocks: block
// t holds rows t·tile..t·tile+tile-1 of src as a d×tile matrix. Blocked, the stride of
// a transposed operand is tile floats rather than n (a power of two n would put every
// row of the operand in the same L1 set).
func transposeTiles(n, d, tile int, src, dst []float32) {
	for t := 0; t*tile < n; t++ {
		rows := min(tile, n-t*tile)
		simd.Transpose(rows, d, src[t*tile*d:], d, dst[t*d*tile:], tile)
	}
}

// backwardKeyTileT is backwardKeyTile for edp with transposed tiles: rows are the
// keys j0..j0+nc-1 and columns the queries of one query tile, so that
//
//	Sᵀ  = γ K_j Qᵀ_i          Pᵀ = exp(Sᵀ − L)            (L broadcast along rows)
//	dV_j += Pᵀ dO_i            dPᵀ = V_j dOᵀ_i
//	dSᵀ = Pᵀ ∘ (dPᵀ − D)       dK_j += γ dSᵀ Q_i           dQᵀ_i += γ Kᵀ_j dSᵀ
//
// are all untransposed GEMMs (Qᵀ, Kᵀ, dOᵀ are transposed once per head in the prep
// phase, dQᵀ is transposed back at the end) and the row passes are vector adds,
// multiplies and exps.
func (c *call) backwardKeyTileT(w, acc, bh, j0 int) {
	d, ld, g := c.d, c.tq, c.gamma
	nq, nk := c.nq, c.nk
	nc := min(c.tk, nk-j0)
	buf := &c.ws.workers[w]
	st, dpt := buf.s, buf.dp
	k := c.k[(bh*nk+j0)*d:]
	v := c.v[(bh*nk+j0)*d:]
	q := c.q[bh*nq*d:]
	dout := c.dout[bh*nq*d:]
	dk := c.dk[(bh*nk+j0)*d:]
	dv := c.dv[(bh*nk+j0)*d:]
	qT := c.qT[bh*c.blocks(nq, c.tq):]
	doT := c.doT[bh*c.blocks(nq, c.tq):]
	kT := c.kT[bh*c.blocks(nk, c.tk)+j0*d:] // the d×tileK block of this key tile
	negL := c.negL[bh*nq:]
	negD := c.negD[bh*nq:]
	dqT := c.dqTargetT(acc, bh)
	b := bh / c.h
	// keys masked by padding contribute nothing and receive nothing
	var keyOK []bool
	if c.o.KeyMask != nil {
		keyOK = c.o.KeyMask[b*nk+j0 : b*nk+j0+nc]
	}
	iStart := 0
	if c.o.Causal {
		iStart = max(0, j0-c.off) / c.tq * c.tq // tile-aligned: qT is blocked by tiles
	}
	negInf := float32(math.Inf(-1))
	for i0 := iStart; i0 < nq; i0 += c.tq {
		nr := min(c.tq, nq-i0)
		qb := i0 * d // offset of query tile i0/tileQ's d×tileQ block
		simd.Sgemm(false, false, nc, nr, d, g, k, d, qT[qb:], c.tq, 0, st, ld)
		causal := c.o.Causal && j0+nc-1 > i0+c.off
		// A full-width tile without padded keys is one contiguous block: its exp (and
		// below its product with Pᵀ) runs as one call instead of one per row.
		whole := nr == ld && keyOK == nil
		for r := 0; r < nc; r++ {
			row := st[r*ld : r*ld+nr]
			if keyOK != nil && !keyOK[r] {
				clear(row)
				continue
			}
			if causal {
				// key j0+r is visible from query i iff i ≥ j0+r−off
				for cc := 0; cc < min(nr, j0+r-c.off-i0); cc++ {
					row[cc] = negInf
				}
			}
			simd.Add(row, row, negL[i0:i0+nr])
			if !whole {
				simd.Exp(row, row)
			}
		}
		if whole {
			simd.Exp(st[:nc*ld], st[:nc*ld])
		}
		if c.drop.on {
			c.dropTileT(bh, i0, nr, j0, nc, st, dpt, buf.mrow, v, doT[qb:], negD[i0:i0+nr])
			simd.Sgemm(false, false, nc, d, nr, 1, st, ld, dout[i0*d:], d, 1, dv, d)
		} else {
			simd.Sgemm(false, false, nc, d, nr, 1, st, ld, dout[i0*d:], d, 1, dv, d)
			simd.Sgemm(false, false, nc, nr, d, 1, v, d, doT[qb:], c.tq, 0, dpt, ld)
			for r := 0; r < nc; r++ {
				row := dpt[r*ld : r*ld+nr]
				simd.Add(row, row, negD[i0:i0+nr])
				if !whole {
					simd.Mul(row, row, st[r*ld:r*ld+nr])
				}
			}
			if whole {
				simd.Mul(dpt[:nc*ld], dpt[:nc*ld], st[:nc*ld])
			}
		}
		simd.Sgemm(false, false, nc, d, nr, g, dpt, ld, q[i0*d:], d, 1, dk, d)
		simd.Sgemm(false, false, d, nr, nc, g, kT, c.tk, dpt, ld, 1, dqT[qb:], c.tq)
	}
}

// dropTileT is the dropout version of the dPᵀ and dSᵀ steps of backwardKeyTileT: with
// Mᵀ the scaled mask of the tile (row r: key j0+r against queries i0..i0+nr-1, one
// query down the mask stream is Nk draws on),
//
//	dPᵀ = Mᵀ ∘ (V_j dOᵀ_i)     dSᵀ = Pᵀ ∘ (dPᵀ − D)     Pᵀ ← Mᵀ ∘ Pᵀ (for dV)
func (c *call) dropTileT(bh, i0, nr, j0, nc int, st, dpt, mrow, v, doT, negD []float32) {
	d, ld := c.d, c.tq
	simd.Sgemm(false, false, nc, nr, d, 1, v, d, doT, c.tq, 0, dpt, ld)
	key := c.drop.head(bh)
	m := mrow[:nr]
	for r := 0; r < nc; r++ {
		c.drop.mask(m, dropState(key, i0, j0+r, c.nk), uint64(c.nk)*dropGamma)
		row := dpt[r*ld : r*ld+nr]
		p := st[r*ld : r*ld+nr]
		simd.Mul(row, row, m)
		simd.Add(row, row, negD)
		simd.Mul(row, row, p)
		simd.Mul(p, p, m)
	}
}

// dqTargetT is accumulator a of head bh's dQᵀ blocks: the shared dqT, or in split mode
// for a > 0 private buffer a of the same layout (see backwardTask).
func (c *call) dqTargetT(a, bh int) []float32 {
	base := c.dqT
	if c.split && a > 0 {
		base = c.priv[(a-1)*c.privLen:]
	}
	n := c.blocks(c.nq, c.tq)
	return base[bh*n : (bh+1)*n]
}

// transposeDQ writes dq of head bh from its dQᵀ blocks.
func (c *call) transposeDQ(bh int) {
	d := c.d
	src := c.dqT[bh*c.blocks(c.nq, c.tq):]
	dst := c.dq[bh*c.nq*d:]
	for t := 0; t*c.tq < c.nq; t++ {
		rows := min(c.tq, c.nq-t*c.tq)
		simd.Transpose(d, rows, src[t*d*c.tq:], c.tq, dst[t*c.tq*d:], d)
	}
}
