package train

// Backward accumulates into Grads the gradient of scale·(summed loss of the last
// Forward). For the mean over the batch's targets use scale = 1/count; gradient
// accumulation passes count_i/total so the sum over micro-batches is the gradient of
// the mean over all of them.
func (m *Model) Backward(scale float32) {
	bt := m.batch
	if bt == nil {
		panic("train: Backward without Forward")
	}
	encdec := m.Cfg.Arch == "encdec"
	B, S, T, C, V := m.nB, m.nS, m.nT, m.C, m.V
	n, ns := B*T, B*S
	sc := &m.sc

	t0 := m.now()
	dlogits := m.logits[:n*V]
	m.par.crossEntropyBackward(dlogits, dlogits, bt.Out, m.Cfg.Pad, m.Cfg.LabelSmoothing, scale, n, V)
	t0 = m.tick(ProfLoss, t0)
	dy := sc.dA[:n*C]
	m.gemms(ProfLogits).linearBackwardSet(dy, m.dOutW, nil, dlogits, m.decY, m.outW, n, C, V)
	t0 = m.tick(ProfLogits, t0)
	if m.Cfg.PreLN {
		d := sc.dB[:n*C]
		m.par.layerNormBackward(d, nil, m.decNorm.dw, m.decNorm.db, dy, m.decLNIn, m.decNorm.w, m.decFin.mean, m.decFin.rstd, n, C)
		dy = d
		m.tick(ProfLayerNorm, t0)
	}
	if encdec {
		clear(sc.dEnc[:ns*C])
	}
	for i := len(m.dec) - 1; i >= 0; i-- {
		dy = m.blockBackward(m.dec[i], dy, B, T, S)
		m.gradsDone(m.dec[i])
	}
	m.embedBackward(m.dDecWte, m.dDecPos, dy, m.maskDec, bt.In, B, T)
	if !encdec {
		return
	}
	if m.decTableDone() && m.GradsDone != nil {
		m.GradsDone(m.decTable[0], m.decTable[1])
	}
	dx := sc.dEnc[:ns*C]
	if m.Cfg.PreLN {
		t0 := m.now()
		d := sc.dA[:ns*C]
		m.par.layerNormBackward(d, nil, m.encNorm.dw, m.encNorm.db, dx, m.encLNIn, m.encNorm.w, m.encFin.mean, m.encFin.rstd, ns, C)
		dx = d
		m.tick(ProfLayerNorm, t0)
	}
	for i := len(m.enc) - 1; i >= 0; i-- {
		dx = m.blockBackward(m.enc[i], dx, B, S, 0)
		m.gradsDone(m.enc[i])
	}
	m.embedBackward(m.dEncWte, m.dEncPos, dx, m.maskEnc, bt.Src, B, S)
}

// gradsDone tells GradsDone that bl's gradients are complete.
func (m *Model) gradsDone(bl *block) {
	if m.GradsDone != nil {
		m.GradsDone(bl.grads[0], bl.grads[1])
	}
}

// decTableDone reports whether the decoder's token table is complete once the
// decoder's backward has run, before the encoder's: in an encoder–decoder whose encoder
// has its own table (the output projection, when tied to it, was done first).
func (m *Model) decTableDone() bool {
	return m.Cfg.Arch == "encdec" && !m.Cfg.ShareAllEmbeddings
}

// ReadyOrder is the sequence of ranges of Grads that Backward passes to GradsDone: the
// residual blocks from the last to the first (decoder, then encoder), and between them
// the decoder's token table when the encoder does not share it (decTableDone). The other
// embeddings, the output projection and the final norms are not in it: they are
// complete when Backward returns.
func (m *Model) ReadyOrder() [][2]int {
	var out [][2]int
	for i := len(m.dec) - 1; i >= 0; i-- {
		out = append(out, m.dec[i].grads)
	}
	if m.decTableDone() {
		out = append(out, m.decTable)
	}
	for i := len(m.enc) - 1; i >= 0; i-- {
		out = append(out, m.enc[i].grads)
	}
	return out
}

func (m *Model) embedBackward(dwte, dpos, dout, mask []float32, tok []int32, B, T int) {
	t0 := m.now()
	n := B * T * m.C
	if m.dropping(m.Cfg.Dropout) {
		m.par.mul(dout[:n], dout[:n], mask[:n])
	}
	t0 = m.tick(ProfDropout, t0)
	embeddingBackward(dwte, dpos, dout[:n], tok, m.embScale, B, T, m.C)
	m.tick(ProfEmbedding, t0)
}

// other returns the ping-pong buffer that is not d.
func (m *Model) other(d []float32) []float32 {
	if &d[0] == &m.sc.dA[0] {
		return m.sc.dB
	}
	return m.sc.dA
}

// blockBackward takes dout [B·T, C], the gradient at the block's output, and returns the
// gradient at its input (in the other ping-pong buffer).
func (m *Model) blockBackward(bl *block, dout []float32, B, T, S int) []float32 {
	C, n := m.C, B*T
	a := &bl.a
	sc := &m.sc
	dx := m.other(dout)[:n*C]
	drop := m.dropping(m.Cfg.Dropout)
	if m.Cfg.PreLN {
		t0 := m.now()
		dF := m.droppedGrad(dout, a.mask, sc.dF[:n*C], drop)
		m.tick(ProfDropout, t0)
		dln := sc.dln[:n*C]
		m.sublayerBackward(bl, dln, dF, a.lnOut[:n*C], B, T, S, true)
		t0 = m.now()
		// dx = dout (the residual) + the layer norm's input gradient, in one pass
		m.par.layerNormBackward(dx, dout, bl.ln.dw, bl.ln.db, dln, a.x, bl.ln.w, a.mean, a.rstd, n, C)
		m.tick(ProfLayerNorm, t0)
		return dx
	}
	// post-LN: dx is overwritten by the residual's copy, then accumulated into
	t0 := m.now()
	dz := sc.dz[:n*C]
	m.par.layerNormBackward(dz, nil, bl.ln.dw, bl.ln.db, dout, a.z, bl.ln.w, a.mean, a.rstd, n, C)
	t0 = m.tick(ProfLayerNorm, t0)
	m.par.copy(dx, dz) // residual
	t0 = m.tick(ProfResidual, t0)
	dF := m.droppedGrad(dz, a.mask, sc.dF[:n*C], drop)
	m.tick(ProfDropout, t0)
	m.sublayerBackward(bl, dx, dF, a.x, B, T, S, false)
	return dx
}

// sublayerBackward accumulates into din [B·T, C] (set: writes into din) the gradient of
// f at input in, given dF at f's output; cross-attention also accumulates into the
// encoder-output gradient.
func (m *Model) sublayerBackward(bl *block, din, dF, in []float32, B, T, S int, set bool) {
	switch bl.kind {
	case selfAttnBlock:
		var mask []bool
		if m.Cfg.Arch == "encdec" && !bl.causal {
			mask = m.keyMask[:B*T]
		}
		m.attnBackward(bl, din, nil, dF, in, nil, B, T, T, mask, set)
	case crossAttnBlock:
		m.attnBackward(bl, din, m.sc.dEnc, dF, in, m.encOut, B, T, S, m.keyMask[:B*S], set)
	case ffnBlock:
		m.ffnBackward(bl, din, dF, in, B*T, set)
	}
}

func (m *Model) attnBackward(bl *block, dx, dmem, dout, x, mem []float32, B, Tq, Tk int, mask []bool, set bool) {
	C, H := m.C, m.H
	a := &bl.a
	sc := &m.sc
	n, nk := B*Tq, B*Tk
	t0 := m.now()
	dmerged := sc.dmerge[:n*C]
	m.gemms(ProfAttnOut).linearBackwardSet(dmerged, bl.proj.dw, bl.proj.db, dout, a.merged[:n*C], bl.proj.w, n, C, C)
	t0 = m.tick(ProfAttnOut, t0)
	// the heads' gradients go straight into the projections' gradient rows, laid out
	// like their inputs (backward overwrites them)
	l, q, k, v := m.attnOperands(bl, a.qkv, a.kvMem, Tq, Tk)
	_, dq, dk, dv := m.attnOperands(bl, sc.dqkv, sc.dkv, Tq, Tk)
	p, seed := m.attnDropout(bl) // the forward pass's mask
	bl.core.backward(l, dq, dk, dv, dmerged, a.merged[:n*C], a.stats[:n*H], q, k, v, B, H, Tq, Tk, m.D, bl.causal, mask, p, seed)
	t0 = m.tick(ProfAttention, t0)
	if bl.kind == selfAttnBlock {
		m.gemms(ProfQKV).linearBackwardBeta(dinBeta(set), dx, bl.qkv.dw, bl.qkv.db, sc.dqkv[:n*3*C], x, bl.qkv.w, n, C, 3*C)
		m.tick(ProfQKV, t0)
		return
	}
	dq, dkv := sc.dqkv[:n*C], sc.dkv[:nk*2*C]
	m.gemms(ProfQKV).linearBackwardBeta(dinBeta(set), dx, bl.qkv.dw, bl.qkv.db, dq, x, bl.qkv.w, n, C, C)
	m.gemms(ProfQKV).linearBackward(dmem[:nk*C], bl.kv.dw, bl.kv.db, dkv, mem, bl.kv.w, nk, C, 2*C)
	m.tick(ProfQKV, t0)
}

// dinBeta is the GEMM β of a sublayer's input gradient: 0 when the sublayer sets it.
func dinBeta(set bool) float32 {
	if set {
		return 0
	}
	return 1
}

func (m *Model) ffnBackward(bl *block, dx, dout, x []float32, n int, set bool) {
	C, F := m.C, m.F
	a := &bl.a
	sc := &m.sc
	t0 := m.now()
	act := a.act[:n*F]
	drop := m.dropping(m.Cfg.ActivationDropout)
	if drop {
		act = a.ad[:n*F]
	}
	dact := sc.dact[:n*F]
	m.gemms(ProfFFN).linearBackwardSet(dact, bl.fc2.dw, bl.fc2.db, dout, act, bl.fc2.w, n, F, C)
	t0 = m.tick(ProfFFN, t0)
	if drop {
		m.par.mul(dact, dact, a.amask[:n*F])
	}
	t0 = m.tick(ProfDropout, t0)
	dh := sc.dh[:n*F]
	db1 := bl.fc1.db
	if m.Cfg.Activation == "gelu" && db1 != nil {
		// fc1's bias gradient summed in GELU's pass, while each row of dh is in L1
		m.par.geluBackwardBias(dh, dact, a.h[:n*F], db1, n, F, true)
		db1 = nil
	} else if m.Cfg.Activation == "gelu" {
		m.par.geluBackward(dh, dact, a.h[:n*F], true)
	} else {
		clear(dh)
		reluBackward(dh, dact, a.h[:n*F])
	}
	t0 = m.tick(ProfActivation, t0)
	m.gemms(ProfFFN).linearBackwardBeta(dinBeta(set), dx, bl.fc1.dw, db1, dh, x, bl.fc1.w, n, C, F)
	m.tick(ProfFFN, t0)
}

// droppedGrad returns the gradient g through a sublayer's dropout: g itself when
// nothing is dropped, else g ⊙ mask (the mask holds 0 or the 1/(1−p) scale) in buf.
func (m *Model) droppedGrad(g, mask, buf []float32, drop bool) []float32 {
	if !drop {
		return g
	}
	m.par.mul(buf[:len(g)], g, mask[:len(g)])
	return buf[:len(g)]
}
