package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/simd"
)

// Batch is one padded batch. Padding sits at the right of every row.
type Batch struct {
	B, S, T int
	Src     []int32 // [B, S] source tokens (encdec; nil for the decoder-only model)
	In      []int32 // [B, T] decoder inputs (BOS y₁ … for translation; x₀ … x_{T−1} for LM)
	Out     []int32 // [B, T] targets; Pad is not counted
}

// Targets counts the non-padding targets of the batch.
func (b *Batch) Targets(pad int32) int { return realTokens(b.Out, pad) }

func (m *Model) checkBatch(bt *Batch) {
	if bt.B < 1 || bt.T < 1 || len(bt.In) != bt.B*bt.T || len(bt.Out) != bt.B*bt.T {
		panic(fmt.Sprintf("train: batch: B = %d, T = %d but len(In) = %d, len(Out) = %d", bt.B, bt.T, len(bt.In), len(bt.Out)))
	}
	if bt.T > m.Cfg.MaxLen || bt.S > m.Cfg.MaxLen {
		panic(fmt.Sprintf("train: batch: lengths S = %d, T = %d exceed model.max_len = %d", bt.S, bt.T, m.Cfg.MaxLen))
	}
	if m.Cfg.Arch == "encdec" && (bt.S < 1 || len(bt.Src) != bt.B*bt.S) {
		panic(fmt.Sprintf("train: batch: B = %d, S = %d but len(Src) = %d", bt.B, bt.S, len(bt.Src)))
	}
	for _, ids := range [][]int32{bt.Src, bt.In, bt.Out} {
		for _, id := range ids {
			if id < 0 || int(id) >= m.V {
				panic(fmt.Sprintf("train: batch: token id %d outside the vocabulary [0, %d)", id, m.V))
			}
		}
	}
}

// Forward runs the model on a batch, saving what Backward needs, and returns the summed
// label-smoothed loss over the non-padding targets and their count.
func (m *Model) Forward(bt *Batch) (lossSum float64, count int) {
	m.checkBatch(bt)
	encdec := m.Cfg.Arch == "encdec"
	B, S, T, C := bt.B, bt.S, bt.T, m.C
	if !encdec {
		S = 0
	}
	m.Reserve(B*S, B*T)
	m.batch, m.nB, m.nS, m.nT = bt, B, S, T
	n := B * T
	if encdec {
		m.encOut = m.encode(bt.Src, B, S)
	}
	y := m.embed(m.embDec[:n*C], m.maskDec[:n*C], bt.In, m.decWte, m.decPos, B, T, 1)
	for i, bl := range m.dec {
		y = m.blockForward(bl, y, m.encOut, B, T, S, i > 0 && m.fusedNorm(), m.normAfter(m.dec, i, &m.decFin, &m.decNorm, n))
	}
	if m.Cfg.PreLN {
		y = m.finalNorm(&m.decFin, &m.decNorm, &m.decLNIn, y, n, len(m.dec) > 0 && m.fusedNorm())
	}
	m.decY = y
	t0 := m.now()
	logits := m.logits[:n*m.V]
	m.gemms(ProfLogits).linearForward(logits, y, m.outW, nil, n, C, m.V)
	t0 = m.tick(ProfLogits, t0)
	lossSum, count = crossEntropyForward(logits, bt.Out, m.Cfg.Pad, m.Cfg.LabelSmoothing, n, m.V)
	m.tick(ProfLoss, t0)
	m.lossCount = count
	return lossSum, count
}

// finalNorm runs a pre-LN stack's final LayerNorm on its output x (rows×C), keeping x
// in *in for the backward pass, and returns the normalized rows; done: the last
// block's output stage has computed them (normAfter).
func (m *Model) finalNorm(fin *lnActs, norm *lnParams, in *[]float32, x []float32, rows int, done bool) []float32 {
	t0 := m.now()
	*in = x
	out := fin.out[:rows*m.C]
	if !done {
		m.par.layerNorm(out, fin.mean, fin.rstd, x, norm.w, norm.b, rows, m.C)
	}
	m.tick(ProfLayerNorm, t0)
	return out
}

// encode runs the encoder on src [B, S] and returns its output [B·S, C] (a view of the
// activation arena); it sets the source key mask.
func (m *Model) encode(src []int32, B, S int) []float32 {
	ns, C := B*S, m.C
	mask := m.keyMask[:ns]
	for i, id := range src {
		mask[i] = id != m.Cfg.Pad
	}
	x := m.embed(m.embEnc[:ns*C], m.maskEnc[:ns*C], src, m.encWte, m.encPos, B, S, 0)
	for i, bl := range m.enc {
		x = m.blockForward(bl, x, nil, B, S, 0, i > 0 && m.fusedNorm(), m.normAfter(m.enc, i, &m.encFin, &m.encNorm, ns))
	}
	if m.Cfg.PreLN {
		x = m.finalNorm(&m.encFin, &m.encNorm, &m.encLNIn, x, ns, len(m.enc) > 0 && m.fusedNorm())
	}
	return x
}

// embed writes dropout(scale·wte[tok] + pos) into out and returns it.
func (m *Model) embed(out, mask []float32, tok []int32, wte, pos []float32, B, T, site int) []float32 {
	t0 := m.now()
	embeddingForward(out, tok, wte, pos, m.embScale, B, T, m.C)
	t0 = m.tick(ProfEmbedding, t0)
	if p := m.Cfg.Dropout; m.Training && p > 0 {
		m.par.dropout(out, mask, out, p, m.DropoutSeed, m.DropoutStep, site)
	}
	m.tick(ProfDropout, t0)
	return out
}

func (m *Model) dropping(p float32) bool { return m.Training && p > 0 }

// attnDropout returns the attention dropout probability of block bl for this step (0
// unless training) and the seed of its mask. The seed is a function of the run seed,
// the micro-batch counter and the block's site (its site+1, which attention blocks do
// not use otherwise), all checkpointed, so a resumed run draws the same masks; package
// attention hashes it with the head and the (query, key) position.
func (m *Model) attnDropout(bl *block) (float32, uint64) {
	p := m.Cfg.AttentionDropout
	if !m.dropping(p) {
		return 0, 0
	}
	var pcg rand.PCG
	pcg.Seed(m.DropoutSeed^0x6a09e667f3bcc909, m.DropoutStep<<20|uint64(bl.site+1))
	return p, pcg.Uint64()
}

// blockForward runs one residual block on x [B·T, C] (mem [B·S, C] is the encoder output
// for cross-attention) and returns its output. In a pre-LN stack, normed says that the
// previous block's output stage has already written this block's layer norm of x, and
// next (when set) is the layer norm this block's output stage computes of its output.
func (m *Model) blockForward(bl *block, x, mem []float32, B, T, S int, normed bool, next lnTarget) []float32 {
	C, n := m.C, B*T
	a := &bl.a
	a.x = x
	in := x
	if m.Cfg.PreLN {
		if !normed {
			t0 := m.now()
			m.par.layerNorm(a.lnOut[:n*C], a.mean, a.rstd, x, bl.ln.w, bl.ln.b, n, C)
			m.tick(ProfLayerNorm, t0)
		}
		in = a.lnOut[:n*C]
	}
	// the sublayer's last linear layer leaves its bias to the output stage below
	fOut := a.fOut[:n*C]
	bias := bl.proj.b
	switch bl.kind {
	case selfAttnBlock:
		var mask []bool
		if m.Cfg.Arch == "encdec" && !bl.causal {
			mask = m.keyMask[:B*T]
		}
		m.attnForward(bl, fOut, in, in, B, T, T, mask)
	case crossAttnBlock:
		m.attnForward(bl, fOut, in, mem, B, T, S, m.keyMask[:B*S])
	case ffnBlock:
		m.ffnForward(bl, fOut, in, n)
		bias = bl.fc2.b
	}
	t0 := m.now()
	sum := a.out[:n*C]
	if !m.Cfg.PreLN {
		sum = a.z[:n*C]
	}
	p, mask := m.Cfg.Dropout, []float32(nil)
	if m.dropping(p) {
		mask = a.mask[:n*C]
	} else {
		p = 0
	}
	// sum = x + dropout(fOut + bias): bias, dropout and the residual in one pass, and
	// with next the next layer norm of sum as well (timed as residual)
	if next.p != nil {
		m.biasDropResidualNorm(next, sum, mask, x, fOut, bias, C, p, m.DropoutSeed, m.DropoutStep, bl.site)
	} else {
		m.par.biasDropResidual(sum, mask, x, fOut, bias, C, p, m.DropoutSeed, m.DropoutStep, bl.site)
	}
	t0 = m.tick(ProfResidual, t0)
	if !m.Cfg.PreLN {
		m.par.layerNorm(a.out[:n*C], a.mean, a.rstd, sum, bl.ln.w, bl.ln.b, n, C)
		m.tick(ProfLayerNorm, t0)
	}
	return a.out[:n*C]
}

// splitHeads copies columns [off, off+C) of src [B·T, ld] into dst [B, H, T, D].
func splitHeads(dst, src []float32, B, T, H, D, ld, off int) {
	headRows(false, src, dst, nil, 0, B*T, T, H, D, ld, off)
}

// mergeHeads copies src [B, H, T, D] into columns [off, off+C) of dst [B·T, ld].
func mergeHeads(dst, src []float32, B, T, H, D, ld, off int) {
	headRows(true, dst, src, nil, 0, B*T, T, H, D, ld, off)
}

// headRows copies rows [lo, hi) of the flat [B·T, ld] matrix's columns [off, off+H·D)
// into heads [B, H, T, D] (split; plus bias [H·D] when not nil), or back (merge).
func headRows(merge bool, flat, heads, bias []float32, lo, hi, T, H, D, ld, off int) {
	for r := lo; r < hi; r++ {
		b, t := r/T, r%T
		row := flat[r*ld+off:]
		for h := 0; h < H; h++ {
			hd := heads[((b*H+h)*T+t)*D:][:D]
			switch {
			case merge:
				copy(row[h*D:(h+1)*D], hd)
			case bias != nil:
				simd.Add(hd, row[h*D:(h+1)*D], bias[h*D:(h+1)*D])
			default:
				copy(hd, row[h*D:(h+1)*D])
			}
		}
	}
}

// attnForward computes multi-head attention of queries from x [B·Tq, C] over keys and
// values from mem [B·Tk, C] (mem = x for self-attention) into out [B·Tq, C], without
// the output projection's bias (blockForward's output stage adds it).
func (m *Model) attnForward(bl *block, out, x, mem []float32, B, Tq, Tk int, mask []bool) {
	C, H := m.C, m.H
	a := &bl.a
	n, nk := B*Tq, B*Tk
	t0 := m.now()
	if bl.kind == selfAttnBlock {
		m.gemms(ProfQKV).linear(a.qkv[:n*3*C], x, &bl.qkv, bl.qkv.b, n)
	} else {
		m.gemms(ProfQKV).linear(a.qkv[:n*C], x, &bl.qkv, bl.qkv.b, n)
		m.gemms(ProfQKV).linear(a.kvMem[:nk*2*C], mem, &bl.kv, bl.kv.b, nk)
	}
	t0 = m.tick(ProfQKV, t0)
	// attention reads the heads in place in the projections' rows and writes its
	// output straight into the merged rows the output projection takes
	l, q, k, v := m.attnOperands(bl, a.qkv, a.kvMem, Tq, Tk)
	p, seed := m.attnDropout(bl)
	bl.core.forward(l, a.merged[:n*C], a.stats[:n*H], q, k, v, B, H, Tq, Tk, m.D, bl.causal, mask, p, seed)
	t0 = m.tick(ProfAttention, t0)
	m.gemms(ProfAttnOut).linear(out, a.merged[:n*C], &bl.proj, nil, n) // bias: blockForward's output stage
	m.tick(ProfAttnOut, t0)
}

// attnOperands returns where block bl's attention finds its heads — q, k, v in a
// self-attention block's fused projection rows qkv [B·Tq, 3C], or q in qkv [B·Tq, C]
// and k, v in a cross-attention block's kv [B·Tk, 2C] — with their layout; the output
// (and its gradient) is merged [B·Tq, C]. The gradients dq, dk, dv take the same
// layout in buffers shaped like qkv and kv.
func (m *Model) attnOperands(bl *block, qkv, kv []float32, Tq, Tk int) (l attention.Layout, q, k, v []float32) {
	C, D := m.C, m.D
	if bl.kind == selfAttnBlock {
		s := attention.MergedStrides(Tq, D, 3*C)
		return attention.Layout{Q: s, K: s, V: s, Out: attention.MergedStrides(Tq, D, C)}, qkv, qkv[C:], qkv[2*C:]
	}
	s := attention.MergedStrides(Tk, D, 2*C)
	return attention.Layout{Q: attention.MergedStrides(Tq, D, C), K: s, V: s, Out: attention.MergedStrides(Tq, D, C)}, qkv, kv, kv[C:]
}

// ffnForward computes out = fc2(dropout(act(fc1(x)))) without fc2's bias.
func (m *Model) ffnForward(bl *block, out, x []float32, n int) {
	F := m.F
	a := &bl.a
	t0 := m.now()
	h, act := a.h[:n*F], a.act[:n*F]
	if m.Cfg.Activation == "gelu" { // GELU's pass adds fc1's bias
		m.gemms(ProfFFN).linear(h, x, &bl.fc1, nil, n)
		t0 = m.tick(ProfFFN, t0)
		m.par.geluBias(act, h, bl.fc1.b, n, F)
	} else {
		m.gemms(ProfFFN).linear(h, x, &bl.fc1, bl.fc1.b, n)
		t0 = m.tick(ProfFFN, t0)
		reluForward(act, h)
	}
	t0 = m.tick(ProfActivation, t0)
	if p := m.Cfg.ActivationDropout; m.dropping(p) {
		m.par.dropout(a.ad[:n*F], a.amask[:n*F], act, p, m.DropoutSeed, m.DropoutStep, bl.site+1)
		act = a.ad[:n*F]
	}
	t0 = m.tick(ProfDropout, t0)
	m.gemms(ProfFFN).linear(out, act, &bl.fc2, nil, n) // bias: blockForward's output stage
	m.tick(ProfFFN, t0)
}
