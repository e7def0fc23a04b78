package attention

import (
	"math"

	"github.com/kernelmachines/bkm/simd"
)

func (z *zooKernel) Gram(gamma float32, n, d int, x []float32, ldx int, g []float32, ldg int) {
	CrossGram(z, gamma, n, n, d, x, ldx, x, ldx, g, ldg)
}

// CrossGram writes K[i, j] = κ(x_i, y_j) (the kernel itself, not its logit) for the n
// rows of x and the m rows of y (length d, strides ldx, ldy) into g (n×m, stride ldg).
// Dot-product kernels go through simd.Sgemm; feature kernels allocate their feature
// matrices (this is not a hot path). Exp-family values may overflow to +Inf.
func CrossGram(k Kernel, gamma float32, n, m, d int, x []float32, ldx int, y []float32, ldy int, g []float32, ldg int) {
	z := k.zoo()
	z.checkFavorDim("CrossGram", d)
	checkRows("CrossGram", "x", n, d, x, ldx)
	checkRows("CrossGram", "y", m, d, y, ldy)
	checkRows("CrossGram", "g", n, m, g, ldg)
	if n == 0 || m == 0 {
		return
	}
	switch z.kind {
	case kEDP, kRBF, kPoly, kTaylor:
		simd.Sgemm(false, true, n, m, d, gamma, x, ldx, y, ldy, 0, g, ldg)
		for i := 0; i < n; i++ {
			row := g[i*ldg : i*ldg+m]
			switch z.kind {
			case kEDP:
				simd.Exp(row, row)
			case kRBF:
				xi := x[i*ldx : i*ldx+d]
				xn := simd.Dot(xi, xi)
				for j := range row {
					yj := y[j*ldy : j*ldy+d]
					row[j] -= gamma / 2 * (xn + simd.Dot(yj, yj))
				}
				simd.Exp(row, row)
			default:
				for j, v := range row {
					row[j] = z.dotValue(v)
				}
			}
		}
	case kLinear, kFavor:
		f := z.FeatureDim(d)
		fx := make([]float32, n*f)
		fy := make([]float32, m*f)
		z.FeatureMap(gamma, n, d, x, ldx, fx, f)
		z.FeatureMap(gamma, m, d, y, ldy, fy, f)
		simd.Sgemm(false, true, n, m, f, 1, fx, f, fy, f, 0, g, ldg)
	default:
		for i := 0; i < n; i++ {
			xi := x[i*ldx : i*ldx+d]
			for j := 0; j < m; j++ {
				yj := y[j*ldy : j*ldy+d]
				var a float64
				for l, u := range xi {
					w := float64(yj[l])
					switch z.kind {
					case kLaplace:
						a -= math.Abs(float64(u) - w)
					case kExpInt:
						a += math.Min(float64(u), w)
					default:
						a += math.Max(0, math.Min(float64(u), w))
					}
				}
				if z.kind == kIntersection {
					g[i*ldg+j] = float32(a)
				} else {
					g[i*ldg+j] = float32(math.Exp(float64(gamma) * a))
				}
			}
		}
	}
}
