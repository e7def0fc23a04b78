package train

// fuseOutputNorm lets a pre-LN block's output stage also compute the layer norm that
// the next block (or the stack's final norm) applies to its output (tests turn it off
// to compare).
var fuseOutputNorm = true

// lnTarget is a layer norm to apply to a block's output rows: its parameters and where
// the normalized rows and their statistics go. The zero lnTarget is none.
type lnTarget struct {
	p               *lnParams
	out, mean, rstd []float32
}

// outputNormJob is a pre-LN block's output stage fused with the layer norm of its
// output: per dropout chunk, sum = x + dropout(f + bias) (biasDropResidualChunk) and
// then the layer norm of the chunk's rows while they are in L1, instead of a second
// pass over [n, C]. The rows of a chunk are whole: C divides dropChunk (fusedNorm).
type outputNormJob struct {
	bdr biasDropResJob
	ln  lnFwdJob
}

func (j *outputNormJob) run(lo, hi int) {
	c := j.ln.c
	for k := lo; k < hi; k++ {
		j.bdr.run(k, k+1)
		j.ln.run(k*dropChunk/c, min((k+1)*dropChunk, len(j.bdr.f))/c)
	}
}

// fusedNorm reports whether the output stages of the model's blocks compute the next
// layer norm (pre-LN, rows that do not straddle dropout chunks).
func (m *Model) fusedNorm() bool { return fuseOutputNorm && m.Cfg.PreLN && dropChunk%m.C == 0 }

// normAfter is the layer norm applied to the output of blocks[i] — the next block's,
// or the stack's final norm norm (activations fin) — over n rows, when fusedNorm.
func (m *Model) normAfter(blocks []*block, i int, fin *lnActs, norm *lnParams, n int) lnTarget {
	if !m.fusedNorm() {
		return lnTarget{}
	}
	C := m.C
	if i+1 < len(blocks) {
		a := &blocks[i+1].a
		return lnTarget{&blocks[i+1].ln, a.lnOut[:n*C], a.mean[:n], a.rstd[:n]}
	}
	return lnTarget{norm, fin.out[:n*C], fin.mean[:n], fin.rstd[:n]}
}

// biasDropResidualNorm is rowPar.biasDropResidual followed by the layer norm next of
// the rows of sum [n, cols], chunk by chunk, chunks in parallel.
func (m *Model) biasDropResidualNorm(next lnTarget, sum, mask, x, f, bias []float32, cols int, prob float32, seed, step uint64, site int) {
	j := &m.outNorm
	j.bdr = biasDropResJob{sum, mask, x, f, bias, cols, prob, seed, step, site}
	j.ln = lnFwdJob{next.out, next.mean, next.rstd, sum, next.p.w, next.p.b, cols}
	m.par.split.run(j, dropChunks(len(f)), 6*len(f))
	*j = outputNormJob{}
}
