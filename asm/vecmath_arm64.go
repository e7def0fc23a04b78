//go:build !purego

package asm

// NEON vector-math kernels (vecmath_arm64.s). Each processes all of dst (or x)
// in 4-lane steps with a lane-by-lane tail; callers bound the length (simd passes chunks).
// The results equal the twins' bit for bit; the sums differ by summation order.

// ExpNEON computes dst[i] = e^src[i]. len(src) ≥ len(dst). Reference loop:
//
//	for i := range dst { dst[i] = Exp32(src[i]) }
//
//go:noescape
func ExpNEON(dst, src []float32)

// ExpSubNEON computes dst[i] = e^(src[i] − m) and returns their sum, in 4 partial
// sums. len(src) ≥ len(dst). Reference loop:
//
//	for i := range dst { dst[i] = Exp32(src[i] - m); s += dst[i] }
//
//go:noescape
func ExpSubNEON(dst, src []float32, m float32) float32

// ExpSumNEON returns Σ e^(x[i] − m), in 4 partial sums, storing nothing. Reference loop:
//
//	for _, v := range x { s += Exp32(v - m) }
//
//go:noescape
func ExpSumNEON(x []float32, m float32) float32

// LogNEON computes dst[i] = ln src[i]. len(src) ≥ len(dst). Reference loop:
//
//	for i := range dst { dst[i] = Log32(src[i]) }
//
//go:noescape
func LogNEON(dst, src []float32)

// TanhNEON computes dst[i] = tanh src[i]. len(src) ≥ len(dst). Reference loop:
//
//	for i := range dst { dst[i] = Tanh32(src[i]) }
//
//go:noescape
func TanhNEON(dst, src []float32)

// GeluNEON computes dst[i] = gelu(src[i]) (tanh approximation). len(src) ≥ len(dst).
// Reference loop:
//
//	for i := range dst { x := src[i]; x3 := x*x*x; u := k0 * fma(k1, x3, x); dst[i] = 0.5*x * (1 + Tanh32(u)) }
//
//go:noescape
func GeluNEON(dst, src []float32)

// GeluBackwardNEON accumulates dx[i] += gelu'(x[i])·dy[i] (tanh approximation).
// len(x), len(dy) ≥ len(dx); the results equal GeluBackwardGeneric's bit for bit.
// Reference loop (every operation rounded to float32, fma rounded once):
//
//	for i := range dx {
//		v := min(max(x[i], -10), 10); x2 := v*v; t := Tanh32(k0 * fma(k1, x2*v, v))
//		g := fma((0.5*v)*(1-t*t), k0*fma(3*k1, x2, 1), 0.5*(1+t)); dx[i] += g*dy[i]
//	}
//
//go:noescape
func GeluBackwardNEON(dx, x, dy []float32)
