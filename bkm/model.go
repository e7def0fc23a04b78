package bkm

import (
	"fmt"
	"math"

	"github.com/kernelmachines/bkm/attention"
)

// P1Model is a fitted one-sided predictor in representer form (paper.md §3):
// F(t) = Σ_j c_j κ(t, s_j) when fitted to responses on T (Problem.Y), or
// G(s) = Σ_i e_i κ(t_i, s) when fitted to responses on S (Problem.Z).
type P1Model struct {
	sp  *space
	onS bool      // fitted G(s); coefficients live on the T points
	C   []float64 // coefficients, row-major: m×P (F) or n×P (G)
	P   int
}

func newP1Model(sp *space, p *Problem, c []float64) *P1Model {
	return &P1Model{sp: sp, onS: p.Y == nil, C: c, P: p.P}
}

// NewP1Model rebuilds a fitted P1 model from its stored coefficients, without solving:
// p is the problem the coefficients were fitted to (validated as SolveP1Dense does; its
// responses choose F (Y) or G (Z) and give P, but are not read), c is what
// Coefficients returned (m×P for F, n×P for G, row-major; copied). threads is as in
// Options.Threads. The model predicts exactly what the fitted one did. A coefficient
// array of the wrong length is an ErrShape error, a NaN or Inf in it ErrNonFinite.
func NewP1Model(p *Problem, c []float64, threads int) (*P1Model, error) {
	d, err := p.validateP1()
	if err != nil {
		return nil, err
	}
	rows, on := p.M, "M"
	if p.Y == nil {
		rows, on = p.N, "N"
	}
	if err := checkCoefficients(c, rows, p.P, on+"·P"); err != nil {
		return nil, err
	}
	sp, err := newSpace(p, d, threads)
	if err != nil {
		return nil, err
	}
	return newP1Model(sp, p, append([]float64(nil), c...)), nil
}

// checkCoefficients checks that c is a finite rows×cols matrix; shape names the
// product for the error message ("M·P").
func checkCoefficients(c []float64, rows, cols int, shape string) error {
	if !hasLen(c, rows, cols) {
		return fmt.Errorf("%w: coefficients have %d values, want %s = %d·%d = %d", ErrShape, len(c), shape, rows, cols, rows*cols)
	}
	for i, v := range c {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: coefficients[%d, %d] = %v", ErrNonFinite, i/cols, i%cols, v)
		}
	}
	return nil
}

// Coefficients returns the representer coefficients (m×P for F, n×P for G), row-major.
func (md *P1Model) Coefficients() []float64 { return md.C }

// OnSource reports whether the model is G(s) (responses on S) rather than F(t).
func (md *P1Model) OnSource() bool { return md.onS }

// Predict evaluates the model at nx new points x (targets, nx×DT, for F; sources,
// nx×DS, for G) and returns nx×P values.
func (md *P1Model) Predict(x []float32, nx int) ([]float64, error) {
	out, _, err := md.predict(x, nx, false)
	return out, err
}

// PredictNormalized evaluates the normalized predictor
// F̄(t) = Σ_j c_j κ(t, s_j) / Σ_j κ(t, s_j) — attention of the query W_Q t over the
// keys W_K s_j with values c_j — or its mirror on S, Σ_i e_i κ(t_i, s) / Σ_i κ(t_i, s)
// (the zoo's base kernels are symmetric functions, so that is attention of the query
// W_K s over the keys W_Q t_i). For kernels of attention's zoo it runs
// attention.Forward (float32 values, exp-family kernels normalized in log space, so
// large logits do not overflow); other kernels use the ratio of two matrix-free
// products. A point whose kernel sum is zero gets 0.
func (md *P1Model) PredictNormalized(x []float32, nx int) ([]float64, error) {
	if z, ok := md.sp.kern.(attention.Kernel); ok {
		return md.attend(z, x, nx)
	}
	out, _, err := md.predict(x, nx, true)
	return out, err
}

// attend computes the normalized predictor with attention.Forward, in chunks of D
// value columns (attention's values have the head dimension).
func (md *P1Model) attend(z attention.Kernel, x []float32, nx int) ([]float64, error) {
	sp := md.sp
	d := sp.d
	var q, keys []float32
	var nk int
	if md.onS {
		if err := checkPoints("s", x, nx, sp.ds); err != nil {
			return nil, err
		}
		q, keys, nk = project(x, nx, sp.ds, sp.wk, d), sp.tRaw, sp.tq.n
	} else {
		if err := checkPoints("t", x, nx, sp.dt); err != nil {
			return nil, err
		}
		q, keys, nk = project(x, nx, sp.dt, sp.wq, d), sp.sRaw, sp.sk.n
	}
	np := md.P
	out := make([]float64, nx*np)
	v := make([]float32, nk*d)
	o := make([]float32, nx*d)
	stats := make([]float32, nx)
	opts := &attention.Options{Kernel: z, Scale: sp.gamma}
	for c0 := 0; c0 < np; c0 += d {
		w := min(d, np-c0)
		clear(v)
		for j := range nk {
			for c := range w {
				v[j*d+c] = float32(md.C[j*np+c0+c])
			}
		}
		attention.Forward(opts, 1, 1, nx, nk, d, q, keys, v, o, stats, nil)
		for i := range nx {
			for c := range w {
				out[i*np+c0+c] = float64(o[i*d+c])
			}
		}
	}
	return out, nil
}

func (md *P1Model) predict(x []float32, nx int, normalize bool) ([]float64, []float64, error) {
	sp := md.sp
	var op linOp
	if md.onS {
		if err := checkPoints("s", x, nx, sp.ds); err != nil {
			return nil, nil, err
		}
		op = transposed{newOperator(sp.k, sp.tq, sp.prepS(x, nx), sp.threads)}
	} else {
		if err := checkPoints("t", x, nx, sp.dt); err != nil {
			return nil, nil, err
		}
		op = newOperator(sp.k, sp.prepT(x, nx), sp.sk, sp.threads)
	}
	out := make([]float64, nx*md.P)
	op.Mul(out, md.C, md.P)
	if !normalize {
		return out, nil, nil
	}
	ones := make([]float64, op.Cols())
	for i := range ones {
		ones[i] = 1
	}
	sums := make([]float64, nx)
	op.Mul(sums, ones, 1)
	for i, s := range sums {
		row := out[i*md.P : (i+1)*md.P]
		for c := range row {
			if s != 0 {
				row[c] /= s
			} else {
				row[c] = 0
			}
		}
	}
	return out, sums, nil
}

// P2Model is a fitted binary predictor
// h(t, s) = Σ_{j,i} A_ji κ(t, s_j) κ(t_i, s); on the training pairs H = K A K.
type P2Model struct {
	sp *space
	A  []float64 // m×n row-major
	n  int
	m  int
}

func newP2Model(sp *space, p *Problem, a []float64) *P2Model {
	return &P2Model{sp: sp, A: a, n: p.N, m: p.M}
}

// NewP2Model rebuilds a fitted P2 model from its stored coefficients, without solving:
// p is the problem the coefficients were fitted to (validated as SolveP2Dense does; R
// is not read), a is what Coefficients returned (m×n, row-major; copied). threads is
// as in Options.Threads. The model predicts exactly what the fitted one did. A
// coefficient array of the wrong length is an ErrShape error, a NaN or Inf in it
// ErrNonFinite.
func NewP2Model(p *Problem, a []float64, threads int) (*P2Model, error) {
	d, err := p.validateP2()
	if err != nil {
		return nil, err
	}
	if err := checkCoefficients(a, p.M, p.N, "M·N"); err != nil {
		return nil, err
	}
	sp, err := newSpace(p, d, threads)
	if err != nil {
		return nil, err
	}
	return newP2Model(sp, p, append([]float64(nil), a...)), nil
}

// Coefficients returns A (m×n, row-major).
func (md *P2Model) Coefficients() []float64 { return md.A }

// Predict returns h(t_a, s_b) for every pair of nt new targets (nt×DT) and ns new
// sources (ns×DS), as an nt×ns row-major matrix.
func (md *P2Model) Predict(t []float32, nt int, s []float32, ns int) ([]float64, error) {
	sp := md.sp
	if err := checkPoints("t", t, nt, sp.dt); err != nil {
		return nil, err
	}
	if err := checkPoints("s", s, ns, sp.ds); err != nil {
		return nil, err
	}
	if err := checkDense("P2Model.Predict", [2]int{nt, ns}, [2]int{nt, md.n}); err != nil {
		return nil, err
	}
	k1 := newOperator(sp.k, sp.prepT(t, nt), sp.sk, sp.threads) // nt×m
	k2 := newOperator(sp.k, sp.tq, sp.prepS(s, ns), sp.threads) // n×ns
	z := make([]float64, nt*md.n)
	k1.Mul(z, md.A, md.n) // Z = K1 A, nt×n
	zt := transpose(z, nt, md.n)
	ht := make([]float64, ns*nt)
	k2.MulT(ht, zt, nt) // Hᵀ = K2ᵀ Zᵀ, ns×nt
	return transpose(ht, ns, nt), nil
}

// transpose returns the c×r transpose of an r×c row-major matrix.
func transpose(a []float64, r, c int) []float64 {
	out := make([]float64, r*c)
	transposeTo(out, a, r, c)
	return out
}

func transposeTo(dst, a []float64, r, c int) {
	const b = 32
	for i0 := 0; i0 < r; i0 += b {
		for j0 := 0; j0 < c; j0 += b {
			for i := i0; i < min(i0+b, r); i++ {
				for j := j0; j < min(j0+b, c); j++ {
					dst[j*r+i] = a[i*c+j]
				}
			}
		}
	}
}
