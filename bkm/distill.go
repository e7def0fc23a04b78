package bkm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// DistillTarget says what the learned kernel fits.
type DistillTarget int

const (
	// FitLogit fits log κ_W(t_i, s_j) to the target (e.g. attention logits).
	FitLogit DistillTarget = iota
	// FitValue fits κ_W(t_i, s_j) itself.
	FitValue
)

// DistillOptions configure kernel learning.
type DistillOptions struct {
	Kernel Kernel  // base kernel k0; the gradients come from its Grad
	Gamma  float32 // kernel scale; 0 means 1/√D
	D      int     // feature width: q = f_Q(t), k = f_K(s) ∈ ℝ^D
	Hidden int     // 0: linear maps f(x) = W x; > 0: one-hidden-layer MLP W₂ relu(W₁ x + b₁) + b₂
	Target DistillTarget
	Steps  int     // Adam steps (full batch); default 1000
	LR     float64 // Adam learning rate; default 0.02
	Seed   uint64  // initialization
}

// Distilled is a learned pair of feature maps f_Q, f_K and its fit.
type Distilled struct {
	Kernel  Kernel
	Gamma   float32
	D       int
	Q, K    *FeatureMap // f_Q on T (DT → D), f_K on S (DS → D)
	RelErr  float64     // final ‖pred − Z‖_F / ‖Z‖_F over the target pairs
	History []float64   // RelErr every 10 steps
	Time    time.Duration
}

// FeatureMap is x ↦ W x (Hidden = 0) or W₂ relu(W₁ x + b₁) + b₂, float64 parameters,
// row-major weights.
type FeatureMap struct {
	In, Hidden, Out int
	W1, B1, W2, B2  []float64 // linear: W1 is Out×In and the rest are nil
}

// Apply maps n rows of x (n×In) to n×Out.
func (f *FeatureMap) Apply(x []float32, n int) []float32 {
	out := make([]float32, n*f.Out)
	h := make([]float64, max(f.Hidden, 1))
	y := make([]float64, f.Out)
	xi := make([]float64, f.In)
	for i := range n {
		for l := range f.In {
			xi[l] = float64(x[i*f.In+l])
		}
		f.forward(xi, h, y)
		for l, v := range y {
			out[i*f.Out+l] = float32(v)
		}
	}
	return out
}

// Linear returns W (Out×In, float32) for a linear map, to use as Problem.WQ / WK; nil
// for an MLP.
func (f *FeatureMap) Linear() []float32 {
	if f.Hidden > 0 {
		return nil
	}
	w := make([]float32, len(f.W1))
	for i, v := range f.W1 {
		w[i] = float32(v)
	}
	return w
}

func newFeatureMap(rng *rand.Rand, in, hidden, out int) *FeatureMap {
	f := &FeatureMap{In: in, Hidden: hidden, Out: out}
	randn := func(n int, s float64) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = rng.NormFloat64() * s
		}
		return w
	}
	if hidden == 0 {
		f.W1 = randn(out*in, 1/math.Sqrt(float64(in)))
		return f
	}
	f.W1 = randn(hidden*in, math.Sqrt(2/float64(in)))
	f.B1 = make([]float64, hidden)
	f.W2 = randn(out*hidden, 1/math.Sqrt(float64(hidden)))
	f.B2 = make([]float64, out)
	return f
}

// forward computes y = f(x), keeping the hidden pre-activations in h.
func (f *FeatureMap) forward(x, h, y []float64) {
	if f.Hidden == 0 {
		for o := range f.Out {
			var s float64
			for l, v := range x {
				s += f.W1[o*f.In+l] * v
			}
			y[o] = s
		}
		return
	}
	for j := range f.Hidden {
		s := f.B1[j]
		for l, v := range x {
			s += f.W1[j*f.In+l] * v
		}
		h[j] = s
	}
	for o := range f.Out {
		s := f.B2[o]
		for j := range f.Hidden {
			s += f.W2[o*f.Hidden+j] * math.Max(h[j], 0)
		}
		y[o] = s
	}
}

// backward accumulates the parameter gradients for dy = ∂L/∂y into g (same layout as
// params()).
func (f *FeatureMap) backward(x, h, dy []float64, g [][]float64) {
	if f.Hidden == 0 {
		for o := range f.Out {
			for l, v := range x {
				g[0][o*f.In+l] += dy[o] * v
			}
		}
		return
	}
	for o := range f.Out {
		g[3][o] += dy[o]
		for j := range f.Hidden {
			g[2][o*f.Hidden+j] += dy[o] * math.Max(h[j], 0)
		}
	}
	for j := range f.Hidden {
		if h[j] <= 0 {
			continue
		}
		var dh float64
		for o := range f.Out {
			dh += dy[o] * f.W2[o*f.Hidden+j]
		}
		g[1][j] += dh
		for l, v := range x {
			g[0][j*f.In+l] += dh * v
		}
	}
}

func (f *FeatureMap) params() [][]float64 {
	if f.Hidden == 0 {
		return [][]float64{f.W1}
	}
	return [][]float64{f.W1, f.B1, f.W2, f.B2}
}

// adam is the Adam optimizer state of one parameter list.
type adam struct {
	m, v [][]float64
	t    int
}

func newAdam(ps [][]float64) *adam {
	a := &adam{}
	for _, p := range ps {
		a.m = append(a.m, make([]float64, len(p)))
		a.v = append(a.v, make([]float64, len(p)))
	}
	return a
}

func (a *adam) step(ps, gs [][]float64, lr float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	for i, p := range ps {
		for j := range p {
			g := gs[i][j]
			a.m[i][j] = b1*a.m[i][j] + (1-b1)*g
			a.v[i][j] = b2*a.v[i][j] + (1-b2)*g*g
			p[j] -= lr * (a.m[i][j] / c1) / (math.Sqrt(a.v[i][j]/c2) + eps)
		}
	}
}

func zeroGrads(ps [][]float64) [][]float64 {
	g := make([][]float64, len(ps))
	for i, p := range ps {
		g[i] = make([]float64, len(p))
	}
	return g
}

// Distill learns feature maps f_Q (DT → D) and f_K (DS → D) such that
// κ_W(t_i, s_j) = k0(f_Q(t_i), f_K(s_j)) — or its logarithm — fits the target matrix
// z (n×m) in relative Frobenius error, by full-batch Adam on
// ‖pred − Z‖²_F / ‖Z‖²_F. The gradients with respect to q and k come from the kernel's
// Grad (attention's zoo); the maps' own backward is here. The constructive side of
// the universal-approximation claim: the error falls with the width D (see
// DistillSweep).
func Distill(t []float32, n, dt int, s []float32, m, ds int, z []float32, o DistillOptions) (*Distilled, error) {
	start := time.Now()
	if err := checkPoints("T", t, n, dt); err != nil {
		return nil, err
	}
	if err := checkPoints("S", s, m, ds); err != nil {
		return nil, err
	}
	if len(z) != n*m {
		return nil, fmt.Errorf("%w: target has %d values, want n·m = %d·%d", ErrShape, len(z), n, m)
	}
	if err := checkFinite("target", z, m); err != nil {
		return nil, err
	}
	if o.Kernel == nil {
		return nil, errKernelNil
	}
	if o.D <= 0 || o.Hidden < 0 {
		return nil, fmt.Errorf("%w: feature width D = %d, hidden = %d", ErrShape, o.D, o.Hidden)
	}
	steps, lr := o.Steps, o.LR
	if steps <= 0 {
		steps = 1000
	}
	if lr <= 0 {
		lr = 0.02
	}
	gamma := o.Gamma
	if gamma == 0 {
		gamma = float32(1 / math.Sqrt(float64(o.D)))
	}
	g64 := float64(gamma)
	rng := newRand(o.Seed)
	fq := newFeatureMap(rng, dt, o.Hidden, o.D)
	fk := newFeatureMap(rng, ds, o.Hidden, o.D)
	pq, pk := fq.params(), fk.params()
	aq, ak := newAdam(pq), newAdam(pk)

	dz := newDistiller(o.Kernel, g64, o.Target, fq, fk, f64(t), n, dt, f64(s), m, ds, z)
	out := &Distilled{Kernel: o.Kernel, Gamma: gamma, D: o.D, Q: fq, K: fk}
	for step := 0; step <= steps; step++ {
		l, err := dz.loss(step < steps)
		if err != nil {
			return nil, err
		}
		out.RelErr = math.Sqrt(l)
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("%w: distillation diverged at step %d (loss %v); lower LR", ErrNotConverged, step, l)
		}
		if step%10 == 0 || step == steps {
			out.History = append(out.History, out.RelErr)
		}
		if step == steps {
			break
		}
		aq.step(pq, dz.gq, lr)
		ak.step(pk, dz.gk, lr)
	}
	out.Time = time.Since(start)
	return out, nil
}

// distiller evaluates the distillation loss ‖pred − Z‖²_F / ‖Z‖²_F and its parameter
// gradients (gq, gk, laid out as FeatureMap.params()).
type distiller struct {
	k             Kernel
	gamma         float64
	target        DistillTarget
	fq, fk        *FeatureMap
	tx, sx        []float64
	n, dt, m, ds  int
	z             []float32
	zz            float64
	q, k2, hq, hk []float64
	dq, dk        []float64
	gq, gk        [][]float64
	d, hw         int
}

func newDistiller(k Kernel, gamma float64, target DistillTarget, fq, fk *FeatureMap, tx []float64, n, dt int, sx []float64, m, ds int, z []float32) *distiller {
	d, hw := fq.Out, max(fq.Hidden, 1)
	dz := &distiller{k: k, gamma: gamma, target: target, fq: fq, fk: fk, tx: tx, sx: sx, n: n, dt: dt, m: m, ds: ds, z: z,
		q: make([]float64, n*d), k2: make([]float64, m*d), hq: make([]float64, n*hw), hk: make([]float64, m*hw),
		dq: make([]float64, n*d), dk: make([]float64, m*d), gq: zeroGrads(fq.params()), gk: zeroGrads(fk.params()), d: d, hw: hw}
	for _, v := range z {
		dz.zz += float64(v) * float64(v)
	}
	if dz.zz == 0 {
		dz.zz = 1
	}
	return dz
}

func (dz *distiller) loss(grad bool) (float64, error) {
	d, hw, dt, ds, m := dz.d, dz.hw, dz.dt, dz.ds, dz.m
	for i := range dz.n {
		dz.fq.forward(dz.tx[i*dt:(i+1)*dt], dz.hq[i*hw:(i+1)*hw], dz.q[i*d:(i+1)*d])
	}
	for j := range m {
		dz.fk.forward(dz.sx[j*ds:(j+1)*ds], dz.hk[j*hw:(j+1)*hw], dz.k2[j*d:(j+1)*d])
	}
	clear(dz.dq)
	clear(dz.dk)
	var l float64
	for i := range dz.n {
		qi := dz.q[i*d : (i+1)*d]
		for j := range m {
			kj := dz.k2[j*d : (j+1)*d]
			val := dz.k.Value(dz.gamma, qi, kj)
			pred := val
			if dz.target == FitLogit {
				if !(val > 0) {
					return 0, fmt.Errorf("%w: FitLogit needs κ > 0, κ(t_%d, s_%d) = %g with kernel %s", ErrKernel, i, j, val, dz.k.Name())
				}
				pred = math.Log(val)
			}
			r := pred - float64(dz.z[i*m+j])
			l += r * r
			if grad {
				g := 2 * r / dz.zz // ∂L/∂pred
				if dz.target == FitLogit {
					g /= val // ∂log κ = ∂κ / κ
				}
				dz.k.Grad(dz.gamma, qi, kj, g, dz.dq[i*d:(i+1)*d], dz.dk[j*d:(j+1)*d])
			}
		}
	}
	if grad {
		for _, g := range dz.gq {
			clear(g)
		}
		for _, g := range dz.gk {
			clear(g)
		}
		for i := range dz.n {
			dz.fq.backward(dz.tx[i*dt:(i+1)*dt], dz.hq[i*hw:(i+1)*hw], dz.dq[i*d:(i+1)*d], dz.gq)
		}
		for j := range m {
			dz.fk.backward(dz.sx[j*ds:(j+1)*ds], dz.hk[j*hw:(j+1)*hw], dz.dk[j*d:(j+1)*d], dz.gk)
		}
	}
	return l / dz.zz, nil
}

// DistillPoint is one entry of a width sweep.
type DistillPoint struct {
	D      int
	RelErr float64
}

// DistillSweep runs Distill at each feature width and reports the fit error against
// the width.
func DistillSweep(t []float32, n, dt int, s []float32, m, ds int, z []float32, o DistillOptions, widths []int) ([]DistillPoint, error) {
	var out []DistillPoint
	for _, w := range widths {
		oo := o
		oo.D = w
		r, err := Distill(t, n, dt, s, m, ds, z, oo)
		if err != nil {
			return out, err
		}
		out = append(out, DistillPoint{D: w, RelErr: r.RelErr})
	}
	return out, nil
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)) }
