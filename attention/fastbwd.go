package attention

import (
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// blocks is the size of one head's tile-blocked transposed copy: n rows of length D
// in blocks of tile rows, each stored as a D×tile block (stride tile).
func (c *call) blocks(n, tile int) int { return (n + tile - 1) / tile * c.d * tile }

// transposeTiles writes the n×d matrix src (row stride lds) as transposed tile
// blocks: block t holds rows t·tile..t·tile+tile-1 of src as a d×tile matrix. Blocked,
// the stride of a transposed operand is tile floats rather than n (a power of two n
// would put every row of the operand in the same L1 set).
func transposeTiles(n, d, tile int, src []float32, lds int, dst []float32) {
	for t := 0; t*tile < n; t++ {
		rows := min(tile, n-t*tile)
		simd.Transpose(rows, d, src[t*tile*lds:], lds, dst[t*d*tile:], tile)
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
	dpt := buf.dp
	k, v, dk, dv := c.k.rows(bh, j0), c.v.rows(bh, j0), c.dk.rows(bh, j0), c.dv.rows(bh, j0)
	q, dout := c.q.rows(bh, 0), c.dout.rows(bh, 0)
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
	iStart := c.firstQueryTileT(j0)
	beta := float32(1) // the dk, dv products: 0 overwrites the uncleared rows (see dkvOverwritten)
	if c.dkvOverwritten(j0) {
		beta = 0
	}
	for i0 := iStart; i0 < nq; i0 += c.tq {
		nr := min(c.tq, nq-i0)
		qb := i0 * d // offset of query tile i0/tileQ's d×tileQ block
		// A tile that crosses the causal diagonal runs in strips of key rows, each from
		// the first query its first key is visible to: the masked corner is not
		// computed. Query columns [cs, next strip's cs) get their dQᵀ from the keys of
		// the strips up to this one (the later keys are masked there).
		crosses := c.o.Causal && j0+nc-1 > i0+c.off
		done, cs0 := 0, 0 // keys computed so far; first column whose dQᵀ is pending
		for a := 0; a < nc; {
			sr, cs := nc-a, 0
			if crosses {
				sr, cs = min(causalStrip, nc-a), max(0, j0+a-c.off-i0)
			}
			if cs >= nr {
				break
			}
			if cs > cs0 {
				simd.Sgemm(false, false, d, cs-cs0, done, g, kT, c.tk, dpt[cs0:], ld, 1, dqT[qb+cs0:], c.tq)
				cs0 = cs
			}
			c.backwardBlockT(w, bh, i0, nr, j0, a, sr, cs, keyOK, k, v, q, dout, qT[qb:], doT[qb:], negL, negD, dk, dv, beta)
			a += sr
			done = a
		}
		if done > 0 {
			simd.Sgemm(false, false, d, nr-cs0, done, g, kT, c.tk, dpt[cs0:], ld, 1, dqT[qb+cs0:], c.tq)
		}
		beta = 1
	}
}

// firstQueryTileT is the first query tile backwardKeyTileT visits for key tile j0:
// tile-aligned, as qT is blocked by tiles.
func (c *call) firstQueryTileT(j0 int) int {
	if !c.o.Causal {
		return 0
	}
	return max(0, j0-c.off) / c.tq * c.tq
}

// dkvOverwritten reports whether the first query tile backwardKeyTileT visits for key
// tile j0 computes every key row of the tile (no strip of the diagonal sees none of
// its queries), so that its dK and dV products overwrite the rows (β = 0) and
// clearTargets need not clear them.
func (c *call) dkvOverwritten(j0 int) bool {
	if !c.fastBackward() {
		return false
	}
	nc := min(c.tk, c.nk-j0)
	i0 := c.firstQueryTileT(j0)
	nr := min(c.tq, c.nq-i0)
	if !c.o.Causal || j0+nc-1 <= i0+c.off {
		return true
	}
	last := (nc - 1) / causalStrip * causalStrip // the last strip's first key
	return j0+last-c.off-i0 < nr
}

// backwardBlockT runs the steps of backwardKeyTileT before dQᵀ for key rows
// j0+a..j0+a+sr-1 of the tile against queries i0+cs..i0+nr-1 (columns cs.. of the
// worker's tiles): Sᵀ, Pᵀ, dV, dPᵀ, dSᵀ and dK (dK and dV as β·dK + …). qT and doT are the query tile's
// d×tileQ blocks; k, v, dk, dv start at key j0, q, dout, negL and negD at query 0
// (each with the strides of its tensor).
func (c *call) backwardBlockT(w, bh, i0, nr, j0, a, sr, cs int, keyOK []bool, k, v, q, dout, qT, doT, negL, negD, dk, dv []float32, beta float32) {
	d, ld, g := c.d, c.tq, c.gamma
	ldq, ldk, ldv, ldo := c.q.s.Row, c.k.s.Row, c.v.s.Row, c.dout.s.Row
	buf := &c.ws.workers[w]
	st, dpt := buf.s[a*ld+cs:], buf.dp[a*ld+cs:]
	k, v, dk, dv = k[a*ldk:], v[a*ldv:], dk[a*ldk:], dv[a*ldv:]
	qc := i0 + cs // first query of the block
	n := nr - cs  // its queries
	simd.Sgemm(false, false, sr, n, d, g, k, ldk, qT[cs:], c.tq, 0, st, ld)
	causal := c.o.Causal && j0+a+sr-1 > qc+c.off
	// A full-width block without padded keys is contiguous: its exp (and below its
	// product with Pᵀ) runs as one call instead of one per row.
	whole := n == ld && keyOK == nil
	negInf := float32(math.Inf(-1))
	for r := 0; r < sr; r++ {
		row := st[r*ld : r*ld+n]
		if keyOK != nil && !keyOK[a+r] {
			clear(row)
			continue
		}
		if causal {
			// key j0+a+r is visible from query i iff i ≥ j0+a+r−off
			for cc := 0; cc < min(n, j0+a+r-c.off-qc); cc++ {
				row[cc] = negInf
			}
		}
		simd.Add(row, row, negL[qc:qc+n])
		if !whole {
			simd.Exp(row, row)
		}
	}
	if whole {
		simd.Exp(st[:sr*ld], st[:sr*ld])
	}
	if c.drop.on {
		c.dropTileT(bh, qc, n, j0+a, sr, st, dpt, buf.mrow, v, doT[cs:], negD[qc:qc+n])
		simd.Sgemm(false, false, sr, d, n, 1, st, ld, dout[qc*ldo:], ldo, beta, dv, ldv)
	} else {
		simd.Sgemm(false, false, sr, d, n, 1, st, ld, dout[qc*ldo:], ldo, beta, dv, ldv)
		simd.Sgemm(false, false, sr, n, d, 1, v, ldv, doT[cs:], c.tq, 0, dpt, ld)
		for r := 0; r < sr; r++ {
			row := dpt[r*ld : r*ld+n]
			simd.Add(row, row, negD[qc:qc+n])
			if !whole {
				simd.Mul(row, row, st[r*ld:r*ld+n])
			}
		}
		if whole {
			simd.Mul(dpt[:sr*ld], dpt[:sr*ld], st[:sr*ld])
		}
	}
	simd.Sgemm(false, false, sr, d, n, g, dpt, ld, q[qc*ldq:], ldq, beta, dk, ldk)
}

// dropTileT is the dropout version of the dPᵀ and dSᵀ steps of backwardKeyTileT: with
// Mᵀ the scaled mask of the tile (row r: key j0+r against queries i0..i0+nr-1, one
// query down the mask stream is Nk draws on),
//
//	dPᵀ = Mᵀ ∘ (V_j dOᵀ_i)     dSᵀ = Pᵀ ∘ (dPᵀ − D)     Pᵀ ← Mᵀ ∘ Pᵀ (for dV)
func (c *call) dropTileT(bh, i0, nr, j0, nc int, st, dpt, mrow, v, doT, negD []float32) {
	d, ld := c.d, c.tq
	simd.Sgemm(false, false, nc, nr, d, 1, v, c.v.s.Row, doT, c.tq, 0, dpt, ld)
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
	dst, ldq := c.dq.rows(bh, 0), c.dq.s.Row
	for t := 0; t*c.tq < c.nq; t++ {
		rows := min(c.tq, c.nq-t*c.tq)
		simd.Transpose(d, rows, src[t*d*c.tq:], c.tq, dst[t*c.tq*ldq:], ldq)
	}
}
