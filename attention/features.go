package attention

import (
	"fmt"
	"math"

	"github.com/kernelmachines/bkm/simd"
)

// Explicit feature maps of the finite-dimensional kernels.
//
//	poly   (γ qᵀk + c)^p = Σ_{|α|=p} (p!/α!) z^α w^α, z = (√γ q, √c), w = (√γ k, √c):
//	       φ_α(q) = √(p!/α!) z^α over the multisets α of size p from d+1 coordinates.
//	taylor Σ_{n≤N} (xᵀy)^n/n! = Σ_{|α|≤N} x^α y^α / α!, x = √γ q: φ_α(q) = x^α/√α!.
//	linear φ(q) = elu(q) + 1 elementwise.
//	favor  φ_r(q) = exp(w_rᵀx − ‖x‖²/2)/√D, x = √γ q.
//
// Multisets are enumerated as non-decreasing index sequences in lexicographic order.

func checkRows(fn, name string, n, cols int, x []float32, ld int) {
	if n < 0 || cols < 0 {
		panic(fmt.Sprintf("attention: %s: negative dimension (n = %d, cols = %d)", fn, n, cols))
	}
	if ld < max(1, cols) {
		panic(fmt.Sprintf("attention: %s: ld%s = %d < max(1, %d)", fn, name, ld, cols))
	}
	if n > 0 && cols > 0 && len(x) < (n-1)*ld+cols {
		panic(fmt.Sprintf("attention: %s: len(%s) = %d < %d needed for %d×%d with ld%s = %d",
			fn, name, len(x), (n-1)*ld+cols, n, cols, name, ld))
	}
}

func (z *zooKernel) FeatureMap(gamma float32, n, d int, x []float32, ldx int, phi []float32, ldphi int) {
	f := z.FeatureDim(d)
	if f < 0 {
		panic(fmt.Sprintf("attention: FeatureMap: kernel %s has no finite feature map", z.Name()))
	}
	z.checkFavorDim("FeatureMap", d)
	checkRows("FeatureMap", "x", n, d, x, ldx)
	checkRows("FeatureMap", "phi", n, f, phi, ldphi)
	for i := 0; i < n; i++ {
		z.featureRow(gamma, x[i*ldx:i*ldx+d], phi[i*ldphi:i*ldphi+f])
	}
}

// favorRows writes favor's φ(x_i) for the n rows of x (length d, stride ldx) into phi
// (stride ldphi) in float32, on the calling goroutine: the projections √γ·XWᵀ as one
// product, then per row exp(· − γ‖x_i‖²/2 − ½ ln D), the 1/√D folded into the
// exponent. It is the fused paths' feature map; featureRow (float64, one row) is its
// reference, and the two agree within float32 rounding (TestFavorRowsMatchReference).
// Computing a head's features as one GEMM and one vector exp per row instead of D
// scalar float64 dot products and exps makes the favor kernels train at GEMM speed.
func (z *zooKernel) favorRows(gamma float32, n, d int, x []float32, ldx int, phi []float32, ldphi int) {
	if n == 0 {
		return
	}
	f := z.nfeat
	simd.SgemmThreads(1, false, true, n, f, d, float32(math.Sqrt(float64(gamma))), x, ldx, z.w, d, 0, phi, ldphi)
	half := float32(math.Log(float64(f)) / 2)
	for i := 0; i < n; i++ {
		xi := x[i*ldx : i*ldx+d]
		row := phi[i*ldphi : i*ldphi+f]
		simd.ExpSub(row, row, gamma*simd.Dot(xi, xi)/2+half)
	}
}

// featureRows writes φ(x_i) for the n rows of x (stride ldx) into phi (stride ldphi):
// the fused paths' feature map, favor's through favorRows (one product), the other
// kernels' row by row through featureRow.
func (z *zooKernel) featureRows(gamma float32, n, d int, x []float32, ldx int, phi []float32, ldphi int) {
	if z.kind == kFavor {
		z.favorRows(gamma, n, d, x, ldx, phi, ldphi)
		return
	}
	f := z.FeatureDim(d)
	for i := 0; i < n; i++ {
		z.featureRow(gamma, x[i*ldx:i*ldx+d], phi[i*ldphi:i*ldphi+f])
	}
}

// featureRow writes φ(x) into out (len FeatureDim(len(x))). It does not allocate.
func (z *zooKernel) featureRow(gamma float32, x, out []float32) {
	d := len(x)
	sg := math.Sqrt(float64(gamma))
	switch z.kind {
	case kLinear:
		for l, v := range x {
			if v > 0 {
				out[l] = v + 1
			} else {
				out[l] = float32(math.Exp(float64(v)))
			}
		}
	case kFavor:
		var xx float64
		for _, v := range x {
			xx += float64(v) * float64(v)
		}
		xx *= float64(gamma)
		inv := 1 / math.Sqrt(float64(z.nfeat))
		for r := 0; r < z.nfeat; r++ {
			w := z.w[r*d : r*d+d]
			var wx float64
			for l, v := range x {
				wx += float64(w[l]) * float64(v)
			}
			out[r] = float32(math.Exp(sg*wx-xx/2) * inv)
		}
	case kPoly:
		// coordinates z_l = √γ x_l (l < d) and z_d = √c.
		coord := func(l int) float64 {
			if l == d {
				return math.Sqrt(z.c)
			}
			return sg * float64(x[l])
		}
		n := monomials(d+1, z.p, 0, coord, factorial(z.p), out)
		_ = n
	case kTaylor:
		coord := func(l int) float64 { return sg * float64(x[l]) }
		pos := 0
		for deg := 0; deg <= z.p; deg++ {
			pos += monomials(d, deg, pos, coord, 1, out)
		}
	default:
		panic(fmt.Sprintf("attention: kernel %s has no finite feature map", z.Name()))
	}
}

func factorial(n int) float64 {
	f := 1.0
	for i := 2; i <= n; i++ {
		f *= float64(i)
	}
	return f
}

// monomials writes, for every multiset α of size deg from m coordinates, the value
// √(scale/α!)·∏ coord(l)^α_l into out[pos:], and returns how many it wrote.
func monomials(m, deg, pos int, coord func(int) float64, scale float64, out []float32) int {
	if deg == 0 {
		out[pos] = float32(math.Sqrt(scale))
		return 1
	}
	var idx [16]int // degrees above 16 are not supported by the feature maps
	if deg > len(idx) {
		panic(fmt.Sprintf("attention: feature map of degree %d > %d", deg, len(idx)))
	}
	start := pos
	for {
		prod, afact, run := 1.0, 1.0, 1
		for t := 0; t < deg; t++ {
			prod *= coord(idx[t])
			if t > 0 && idx[t] == idx[t-1] {
				run++
				afact *= float64(run)
			} else {
				run = 1
			}
		}
		out[pos] = float32(math.Sqrt(scale/afact) * prod)
		pos++
		// next non-decreasing sequence
		t := deg - 1
		for t >= 0 && idx[t] == m-1 {
			t--
		}
		if t < 0 {
			return pos - start
		}
		idx[t]++
		for u := t + 1; u < deg; u++ {
			idx[u] = idx[t]
		}
	}
}
