package onnx

import (
	"fmt"
	"math"
	"strings"

	"github.com/kernelmachines/bkm/attention"
)

// kernelGraph is one attention layer's kernel as standard operators: κ(q, k) over
// queries [.., Nq, D] and keys [.., Nk, D], normalized as package attention does
// (exp-family kernels by a softmax of their logits; the others by their row sum, a row
// whose sum is at most 1e-30 in magnitude giving zeros).
type kernelGraph struct {
	name  string // canonical spec (attention.Kernel.Name)
	exp   bool
	gamma float32
	// base names the formula: edp, rbf, laplace, expint, intersection, poly, taylor, linear.
	base string
	p    int     // poly degree, taylor order
	c    float32 // poly offset
}

// ErrUnsupportedKernel is wrapped by the error for a kernel that standard ONNX
// operators do not express here.
var ErrUnsupportedKernel = fmt.Errorf("kernel not exportable to ONNX")

// guardEps mirrors package attention's: a non-exp-family row whose kernel sum is at
// most this in magnitude gives zeros.
const guardEps = 1e-30

// newKernelGraph parses a layer's kernel spec for head dimension d and scale (0: 1/√d).
func newKernelGraph(spec string, scale float32, d int) (*kernelGraph, error) {
	if spec == "" {
		spec = "edp"
	}
	k, err := attention.ByName(spec, d)
	if err != nil {
		return nil, err
	}
	opt := attention.Options{Kernel: k, Scale: scale}
	kg := &kernelGraph{name: k.Name(), exp: k.ExpFamily(), gamma: opt.Gamma(d)}
	name := k.Name()
	switch {
	case name == "edp" || name == "rbf" || name == "laplace" || name == "expint" || name == "intersection" || name == "linear":
		kg.base = name
	case strings.HasPrefix(name, "poly:"):
		var c float64
		if _, err := fmt.Sscanf(name, "poly:p=%d,c=%g", &kg.p, &c); err != nil {
			return nil, fmt.Errorf("kernel %q: %w", spec, err)
		}
		kg.base, kg.c = "poly", float32(c)
	case strings.HasPrefix(name, "taylor"):
		if _, err := fmt.Sscanf(name, "taylor%d", &kg.p); err != nil {
			return nil, fmt.Errorf("kernel %q: %w", spec, err)
		}
		kg.base = "taylor"
	default:
		return nil, fmt.Errorf("%w: %s (its random features live inside package attention; export edp, rbf, laplace, expint, intersection, poly, taylor or linear)", ErrUnsupportedKernel, name)
	}
	return kg, nil
}

// transposeKeys turns [.., N, X] into [.., X, N] for the rank-4 tensors of attention.
func transposeLast(g *graph, x string) string {
	return g.op("Transpose", []string{x}, intsAttr("perm", 0, 1, 3, 2))
}

// pairwise returns the [.., Nq, Nk, D] broadcast of q against k for elementwise kernels.
func pairwise(g *graph, op, q, k string) string {
	qe := g.op("Unsqueeze", []string{q, g.ints(3)})
	ke := g.op("Unsqueeze", []string{k, g.ints(2)})
	return g.op(op, []string{qe, ke})
}

func sumLast(g *graph, x string, keep bool) string {
	kd := int64(0)
	if keep {
		kd = 1
	}
	return g.op("ReduceSum", []string{x, g.ints(-1)}, intAttr("keepdims", kd))
}

// attend computes the attention output [.., Nq, D] of q over k, v (rank 4); keep, when
// not empty, is a bool mask broadcastable to [.., Nq, Nk] that is true for keys to see.
func (kg *kernelGraph) attend(g *graph, q, k, v, keep string) string {
	gam := g.scalar(kg.gamma)
	dot := func() string { // γ qᵀk
		return g.op("MatMul", []string{g.op("Mul", []string{q, gam}), transposeLast(g, k)})
	}
	var scores string // logits (exp family) or kernel values
	switch kg.base {
	case "edp":
		scores = dot()
	case "rbf":
		// −(γ/2)‖q−k‖² = γ qᵀk − (γ/2)‖k‖² − (γ/2)‖q‖²; the query term cancels in the softmax.
		kk := transposeLast(g, sumLast(g, g.op("Mul", []string{k, k}), true))
		scores = g.op("Sub", []string{dot(), g.op("Mul", []string{kk, g.scalar(kg.gamma / 2)})})
	case "laplace":
		l1 := sumLast(g, g.op("Abs", []string{pairwise(g, "Sub", q, k)}), false)
		scores = g.op("Mul", []string{l1, g.scalar(-kg.gamma)})
	case "expint":
		scores = g.op("Mul", []string{sumLast(g, pairwise(g, "Min", q, k), false), gam})
	case "intersection":
		scores = sumLast(g, g.op("Relu", []string{pairwise(g, "Min", q, k)}), false)
	case "poly":
		base := g.op("Add", []string{dot(), g.scalar(kg.c)})
		scores = g.op("Pow", []string{base, g.scalar(float32(kg.p))})
	case "taylor":
		// Horner: s_N = 1, s_{n−1} = 1 + x·s_n/n, κ = s_0 = Σ_{n≤N} xⁿ/n!.
		x := dot()
		s := g.scalar(1)
		if kg.p == 0 {
			s = g.op("Add", []string{g.op("Mul", []string{x, g.scalar(0)}), s}) // ones of x's shape
		}
		for n := kg.p; n >= 1; n-- {
			s = g.op("Add", []string{g.op("Mul", []string{x, g.op("Mul", []string{s, g.scalar(1 / float32(n))})}), g.scalar(1)})
		}
		scores = s
	case "linear":
		phi := func(x string) string {
			return g.op("Add", []string{g.op("Elu", []string{x}, floatAttr("alpha", 1)), g.scalar(1)})
		}
		scores = g.op("MatMul", []string{phi(q), transposeLast(g, phi(k))})
	}
	var p string
	if kg.exp {
		if keep != "" {
			scores = g.op("Where", []string{keep, scores, g.scalar(float32(math.Inf(-1)))})
		}
		p = g.op("Softmax", []string{scores}, intAttr("axis", -1))
	} else {
		if keep != "" {
			scores = g.op("Where", []string{keep, scores, g.scalar(0)})
		}
		z := sumLast(g, scores, true)
		ok := g.op("Greater", []string{g.op("Abs", []string{z}), g.scalar(guardEps)})
		inv := g.op("Where", []string{ok, g.op("Reciprocal", []string{z}), g.scalar(0)})
		p = g.op("Mul", []string{scores, inv})
	}
	return g.op("MatMul", []string{p, v})
}
