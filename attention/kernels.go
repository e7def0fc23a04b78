package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Kernel is a base kernel k0(q, k) of the zoo in paper.md §2, evaluated on projected
// queries q and keys k of one head (length d) with scale γ.
//
// The scalar methods work in float64 and are the mathematical definition that the
// fused float32 paths are tested against; the bulk methods (Gram, FeatureMap) work on
// float32 row-major matrices. The set of kernels is closed: build them with the
// constructors of this package or ByName.
type Kernel interface {
	ScalarKernel
	// Gram writes the base-kernel Gram matrix on one domain, G[i, j] = κ(x_i, x_j)
	// for the n rows x_i (length d, stride ldx) of x, into g (n×n, stride ldg). It
	// is what package bkm needs for G_T and G_S.
	Gram(gamma float32, n, d int, x []float32, ldx int, g []float32, ldg int)
	// FeatureMap writes φ(x_i) (FeatureDim(d) values, stride ldphi) for the n rows of
	// x, with ⟨φ(q), φ(k)⟩ = κ(q, k). It panics for infinite-dimensional kernels.
	FeatureMap(gamma float32, n, d int, x []float32, ldx int, phi []float32, ldphi int)

	zoo() *zooKernel // the set of kernels is closed
}

// ScalarKernel is the float64 definition of a kernel, one pair of points at a time:
// the part of Kernel that package bkm also accepts from kernels outside the zoo.
type ScalarKernel interface {
	// Name is the canonical spec of the kernel; ByName(k.Name(), d) rebuilds it.
	Name() string
	// ExpFamily reports whether κ = exp(logit) with a finite logit, normalized in log
	// space (running max and sum): edp, rbf, laplace, expint.
	ExpFamily() bool
	// FeatureDim is the dimension of the explicit feature map for head dimension d,
	// or -1 when it is infinite.
	FeatureDim(d int) int
	// Value returns κ(q, k).
	Value(gamma float64, q, k []float64) float64
	// Logit returns log κ(q, k): for exp-family kernels the finite logit (for rbf the
	// full −(γ/2)‖q−k‖², whose query term cancels under normalization); for the
	// others log κ, which may be −Inf or NaN where κ ≤ 0.
	Logit(gamma float64, q, k []float64) float64
	// Grad accumulates dq += g·∂κ/∂q and dk += g·∂κ/∂k. Where κ is not
	// differentiable (|x| at 0, min at a tie) it uses the symmetric subgradient.
	Grad(gamma float64, q, k []float64, g float64, dq, dk []float64)
}

type kind int

const (
	kEDP kind = iota
	kRBF
	kLaplace
	kExpInt
	kIntersection
	kPoly
	kTaylor
	kLinear
	kFavor
)

// zooKernel implements every kernel of the zoo; kind selects the formula.
type zooKernel struct {
	kind  kind
	p     int     // poly degree, taylor order
	c     float64 // poly offset
	nfeat int     // favor: number of random features D
	d     int     // favor: head dimension the random matrix was drawn for
	seed  uint64  // favor
	w     []float32
}

func (z *zooKernel) zoo() *zooKernel { return z }

// EDP is the exponentiated dot product exp(γ qᵀk), the standard Transformer kernel.
func EDP() Kernel { return &zooKernel{kind: kEDP} }

// RBF is the Gaussian kernel exp(−(γ/2)‖q−k‖²).
func RBF() Kernel { return &zooKernel{kind: kRBF} }

// Laplace is exp(−γ‖q−k‖₁).
func Laplace() Kernel { return &zooKernel{kind: kLaplace} }

// ExpInt is the exponentiated intersection kernel exp(γ Σ_l min(q_l, k_l)).
func ExpInt() Kernel { return &zooKernel{kind: kExpInt} }

// Intersection is Σ_l min(relu(q_l), relu(k_l)); it ignores γ.
func Intersection() Kernel { return &zooKernel{kind: kIntersection} }

// Poly is (γ qᵀk + c)^p. Normalized attention needs p even (values ≥ 0). It panics
// unless p ≥ 1 and c ≥ 0.
func Poly(p int, c float32) Kernel {
	if p < 1 {
		panic(fmt.Sprintf("attention: Poly: p = %d < 1", p))
	}
	if !(c >= 0) {
		panic(fmt.Sprintf("attention: Poly: c = %v < 0", c))
	}
	return &zooKernel{kind: kPoly, p: p, c: float64(c)}
}

// Taylor is the order-N truncation of edp, Σ_{n≤N} (γ qᵀk)^n / n!; positive for even N.
// It panics unless N ≥ 0.
func Taylor(order int) Kernel {
	if order < 0 {
		panic(fmt.Sprintf("attention: Taylor: order = %d < 0", order))
	}
	return &zooKernel{kind: kTaylor, p: order}
}

// Linear is ⟨φ(q), φ(k)⟩ with φ = elu + 1 elementwise (feature dimension d); it
// ignores γ.
func Linear() Kernel { return &zooKernel{kind: kLinear} }

// Favor is the FAVOR+ positive random-feature estimate of edp: ⟨φ(x), φ(y)⟩ with
// x = √γ q, y = √γ k, φ_r(x) = exp(w_rᵀx − ‖x‖²/2)/√D and w_r ~ N(0, I_d) drawn from a
// PCG generator seeded with seed. The kernel only accepts head dimension d.
func Favor(D, d int, seed uint64) Kernel {
	if D < 1 {
		panic(fmt.Sprintf("attention: Favor: D = %d < 1", D))
	}
	if d < 1 {
		panic(fmt.Sprintf("attention: Favor: d = %d < 1", d))
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	w := make([]float32, D*d)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	return &zooKernel{kind: kFavor, nfeat: D, d: d, seed: seed, w: w}
}

// Bounds on the numbers in a ByName spec, which comes from a user: the feature maps of
// poly and taylor support degrees up to 16 (see monomials), and favor's D·d random
// weights must fit in memory.
const (
	maxSpecDegree   = 16
	maxSpecFeatures = 1 << 16
)

// ByName parses a kernel spec as written on a command line: "edp", "rbf", "laplace",
// "expint", "intersection", "linear", "poly<p>" or "poly:p=<p>,c=<c>" (c defaults to 1),
// "taylor<N>" or "taylor:n=<N>", "favor<D>" or "favor:D=<D>,seed=<s>" (D defaults to
// 256, seed to 1). d is the head dimension, used only by favor. The spec comes from a
// user, so it is checked and an error returned: 1 ≤ p ≤ 16, c finite and ≥ 0,
// 0 ≤ N ≤ 16, 1 ≤ D ≤ 65536, seed an unsigned integer.
func ByName(spec string, d int) (Kernel, error) {
	s := strings.ToLower(strings.TrimSpace(spec))
	name, params, _ := strings.Cut(s, ":")
	kv := map[string]string{}
	if params != "" {
		for _, f := range strings.Split(params, ",") {
			key, val, ok := strings.Cut(f, "=")
			if !ok {
				return nil, fmt.Errorf("attention: kernel %q: parameter %q is not key=value", spec, f)
			}
			kv[strings.TrimSpace(key)] = strings.TrimSpace(val)
		}
	}
	base := strings.TrimRight(name, "0123456789")
	suffix := name[len(base):]
	intParam := func(key, label string, def int) (int, error) {
		v, ok := kv[key]
		delete(kv, key)
		if !ok {
			v = suffix
		}
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("attention: kernel %q: bad %s %q", spec, label, v)
		}
		return n, nil
	}
	var k Kernel
	switch base {
	case "edp", "rbf", "laplace", "expint", "intersection", "linear":
		if suffix != "" {
			return nil, fmt.Errorf("attention: kernel %q: %s takes no number", spec, base)
		}
		k = map[string]func() Kernel{"edp": EDP, "rbf": RBF, "laplace": Laplace, "expint": ExpInt,
			"intersection": Intersection, "linear": Linear}[base]()
	case "poly":
		p, err := intParam("p", "degree p", 2)
		if err != nil {
			return nil, err
		}
		c := 1.0
		if v, ok := kv["c"]; ok {
			delete(kv, "c")
			// !(c >= 0) also rejects NaN; ±Inf would make every score NaN or Inf.
			if c, err = strconv.ParseFloat(v, 32); err != nil || !(c >= 0) || math.IsInf(c, 0) {
				return nil, fmt.Errorf("attention: kernel %q: bad offset c %q (want a finite c ≥ 0)", spec, v)
			}
		}
		if p < 1 || p > maxSpecDegree {
			return nil, fmt.Errorf("attention: kernel %q: degree p = %d outside [1, %d]", spec, p, maxSpecDegree)
		}
		k = Poly(p, float32(c))
	case "taylor":
		n, err := intParam("n", "order n", 2)
		if err != nil {
			return nil, err
		}
		if n < 0 || n > maxSpecDegree {
			return nil, fmt.Errorf("attention: kernel %q: order n = %d outside [0, %d]", spec, n, maxSpecDegree)
		}
		k = Taylor(n)
	case "favor":
		D, err := intParam("d", "feature count D", 256)
		if err != nil {
			return nil, err
		}
		seed := uint64(1)
		if v, ok := kv["seed"]; ok {
			delete(kv, "seed")
			if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
				return nil, fmt.Errorf("attention: kernel %q: bad seed %q", spec, v)
			}
		}
		if D < 1 || D > maxSpecFeatures {
			return nil, fmt.Errorf("attention: kernel %q: feature count D = %d outside [1, %d]", spec, D, maxSpecFeatures)
		}
		if d < 1 {
			return nil, fmt.Errorf("attention: kernel %q: head dimension d = %d < 1", spec, d)
		}
		k = Favor(D, d, seed)
	default:
		return nil, fmt.Errorf("attention: unknown kernel %q (want edp, rbf, laplace, expint, intersection, poly<p>, taylor<N>, linear, favor<D>)", spec)
	}
	for key := range kv {
		return nil, fmt.Errorf("attention: kernel %q: unknown parameter %q", spec, key)
	}
	return k, nil
}

// Names lists the base names ByName accepts.
func Names() []string {
	return []string{"edp", "rbf", "laplace", "expint", "intersection", "poly2", "taylor2", "linear", "favor"}
}

func (z *zooKernel) Name() string {
	switch z.kind {
	case kEDP:
		return "edp"
	case kRBF:
		return "rbf"
	case kLaplace:
		return "laplace"
	case kExpInt:
		return "expint"
	case kIntersection:
		return "intersection"
	case kPoly:
		return fmt.Sprintf("poly:p=%d,c=%g", z.p, z.c)
	case kTaylor:
		return fmt.Sprintf("taylor%d", z.p)
	case kLinear:
		return "linear"
	case kFavor:
		return fmt.Sprintf("favor:D=%d,seed=%d", z.nfeat, z.seed)
	}
	panic("unreachable")
}

func (z *zooKernel) String() string { return z.Name() }

func (z *zooKernel) ExpFamily() bool {
	return z.kind == kEDP || z.kind == kRBF || z.kind == kLaplace || z.kind == kExpInt
}

// usesFeatures reports whether the fused path evaluates the kernel through its
// feature map (linear, favor) rather than from qᵀk or elementwise.
func (z *zooKernel) usesFeatures() bool { return z.kind == kLinear || z.kind == kFavor }

func (z *zooKernel) FeatureDim(d int) int {
	switch z.kind {
	case kPoly:
		return binom(d+z.p, z.p)
	case kTaylor:
		return binom(d+z.p, z.p)
	case kLinear:
		return d
	case kFavor:
		return z.nfeat
	}
	return -1
}

// binom returns C(n, k), saturating at MaxInt.
func binom(n, k int) int {
	if k < 0 || k > n {
		return 0
	}
	r := 1
	for i := 1; i <= k; i++ {
		if r > math.MaxInt/(n-k+i) {
			return math.MaxInt
		}
		r = r * (n - k + i) / i
	}
	return r
}

func checkPair(fn string, q, k []float64) {
	if len(q) != len(k) {
		panic(fmt.Sprintf("attention: %s: len(q) = %d != len(k) = %d", fn, len(q), len(k)))
	}
}

func (z *zooKernel) checkFavorDim(fn string, d int) {
	if z.kind == kFavor && d != z.d {
		panic(fmt.Sprintf("attention: %s: favor kernel drawn for d = %d used with d = %d", fn, z.d, d))
	}
}

func dot64(q, k []float64) float64 {
	var s float64
	for i := range q {
		s += q[i] * k[i]
	}
	return s
}

func elu1(x float64) float64 {
	if x > 0 {
		return x + 1
	}
	return math.Exp(x)
}

func elu1Grad(x float64) float64 {
	if x > 0 {
		return 1
	}
	return math.Exp(x)
}

// favorFeature64 returns φ_r(√γ q) for one random feature r.
func (z *zooKernel) favorFeature64(gamma float64, r int, q []float64) float64 {
	sg := math.Sqrt(gamma)
	var wx, xx float64
	for l, v := range q {
		x := sg * v
		wx += float64(z.w[r*z.d+l]) * x
		xx += x * x
	}
	return math.Exp(wx-xx/2) / math.Sqrt(float64(z.nfeat))
}

func (z *zooKernel) Logit(gamma float64, q, k []float64) float64 {
	checkPair("Logit", q, k)
	switch z.kind {
	case kEDP:
		return gamma * dot64(q, k)
	case kRBF:
		var s float64
		for i := range q {
			t := q[i] - k[i]
			s += t * t
		}
		return -gamma / 2 * s
	case kLaplace:
		var s float64
		for i := range q {
			s += math.Abs(q[i] - k[i])
		}
		return -gamma * s
	case kExpInt:
		var s float64
		for i := range q {
			s += math.Min(q[i], k[i])
		}
		return gamma * s
	}
	return math.Log(z.Value(gamma, q, k))
}

func (z *zooKernel) Value(gamma float64, q, k []float64) float64 {
	checkPair("Value", q, k)
	z.checkFavorDim("Value", len(q))
	switch z.kind {
	case kEDP, kRBF, kLaplace, kExpInt:
		return math.Exp(z.Logit(gamma, q, k))
	case kIntersection:
		var s float64
		for i := range q {
			s += math.Max(0, math.Min(q[i], k[i]))
		}
		return s
	case kPoly:
		return math.Pow(gamma*dot64(q, k)+z.c, float64(z.p))
	case kTaylor:
		x := gamma * dot64(q, k)
		s, t := 1.0, 1.0
		for n := 1; n <= z.p; n++ {
			t *= x / float64(n)
			s += t
		}
		return s
	case kLinear:
		var s float64
		for i := range q {
			s += elu1(q[i]) * elu1(k[i])
		}
		return s
	case kFavor:
		var s float64
		for r := 0; r < z.nfeat; r++ {
			s += z.favorFeature64(gamma, r, q) * z.favorFeature64(gamma, r, k)
		}
		return s
	}
	panic("unreachable")
}

// step is the symmetric subgradient of min(a, b) with respect to a: 1, 0 or ½ at a tie.
func step(a, b float64) float64 {
	switch {
	case a < b:
		return 1
	case a > b:
		return 0
	}
	return 0.5
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func (z *zooKernel) Grad(gamma float64, q, k []float64, g float64, dq, dk []float64) {
	checkPair("Grad", q, k)
	if len(dq) != len(q) || len(dk) != len(k) {
		panic(fmt.Sprintf("attention: Grad: len(dq) = %d, len(dk) = %d, want %d", len(dq), len(dk), len(q)))
	}
	z.checkFavorDim("Grad", len(q))
	switch z.kind {
	case kEDP:
		a := g * z.Value(gamma, q, k) * gamma
		for i := range q {
			dq[i] += a * k[i]
			dk[i] += a * q[i]
		}
	case kRBF:
		a := g * z.Value(gamma, q, k) * gamma
		for i := range q {
			dq[i] += a * (k[i] - q[i])
			dk[i] += a * (q[i] - k[i])
		}
	case kLaplace:
		a := g * z.Value(gamma, q, k) * gamma
		for i := range q {
			s := sign(q[i] - k[i])
			dq[i] -= a * s
			dk[i] += a * s
		}
	case kExpInt:
		a := g * z.Value(gamma, q, k) * gamma
		for i := range q {
			dq[i] += a * step(q[i], k[i])
			dk[i] += a * step(k[i], q[i])
		}
	case kIntersection:
		// min(relu(q), relu(k)) = max(0, min(q, k)).
		for i := range q {
			if math.Min(q[i], k[i]) > 0 {
				dq[i] += g * step(q[i], k[i])
				dk[i] += g * step(k[i], q[i])
			}
		}
	case kPoly, kTaylor:
		x := gamma * dot64(q, k)
		var fp float64 // dκ/dx
		if z.kind == kPoly {
			fp = float64(z.p) * math.Pow(x+z.c, float64(z.p-1))
		} else {
			t := 1.0
			for n := 0; n < z.p; n++ {
				fp += t
				t *= x / float64(n+1)
			}
		}
		a := g * fp * gamma
		for i := range q {
			dq[i] += a * k[i]
			dk[i] += a * q[i]
		}
	case kLinear:
		for i := range q {
			dq[i] += g * elu1Grad(q[i]) * elu1(k[i])
			dk[i] += g * elu1(q[i]) * elu1Grad(k[i])
		}
	case kFavor:
		// ∂φ_r(√γ q)/∂q = √γ φ_r (w_r − √γ q).
		sg := math.Sqrt(gamma)
		for r := 0; r < z.nfeat; r++ {
			fq := z.favorFeature64(gamma, r, q)
			fk := z.favorFeature64(gamma, r, k)
			a := g * fq * fk * sg
			for i := range q {
				w := float64(z.w[r*z.d+i])
				dq[i] += a * (w - sg*q[i])
				dk[i] += a * (w - sg*k[i])
			}
		}
	}
}
