package attention

import "math"

// Reference is the float64 oracle: it materializes every Nq×Nk kernel matrix and
// computes, for q [B, H, Nq, D], k and v [B, H, Nk, D] and (if dout is not nil) the
// output gradient dout [B, H, Nq, D], the outputs, the row statistics (as Forward
// defines them) and the gradients, with the scalar float64 definitions of the
// kernel (Value, Logit, Grad). Dropout uses the same mask as Forward (the hash of
// dropout.go). It allocates freely and is meant for tests only.
func Reference(o *Options, B, H, Nq, Nk, D int, q, k, v, dout []float64) (out, stats, dq, dk, dv []float64) {
	checkShape("Reference", o, B, H, Nq, Nk, D)
	z := o.kernel()
	drop := newDropper(o.Dropout, o.DropoutSeed)
	keep := func(bh, i, j int) float64 { return drop.keep64(o.Dropout, bh, i, j, Nk) } // M_ij/(1−p)
	gamma := float64(o.Gamma(D))
	exp := z.ExpFamily()
	off := Nk - Nq
	out = make([]float64, B*H*Nq*D)
	stats = make([]float64, B*H*Nq)
	if dout != nil {
		dq = make([]float64, B*H*Nq*D)
		dk = make([]float64, B*H*Nk*D)
		dv = make([]float64, B*H*Nk*D)
	}
	visible := func(b, i, j int) bool {
		return !(o.Causal && j > i+off) && (o.KeyMask == nil || o.KeyMask[b*Nk+j])
	}
	P := make([]float64, Nq*Nk)  // normalized weights (or kernel values when unnormalized)
	lg := make([]float64, Nq*Nk) // logits (exp-family)
	inv := make([]float64, Nq)   // 1/Z_i (0 for a zero row)
	lse := make([]float64, Nq)   // exp-family row log-sum-exp
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			bh := b*H + h
			qh := q[bh*Nq*D : (bh+1)*Nq*D]
			kh := k[bh*Nk*D : (bh+1)*Nk*D]
			vh := v[bh*Nk*D : (bh+1)*Nk*D]
			for i := 0; i < Nq; i++ {
				qi := qh[i*D : i*D+D]
				m := math.Inf(-1)
				var zsum float64
				for j := 0; j < Nk; j++ {
					P[i*Nk+j] = 0
					if !visible(b, i, j) {
						continue
					}
					kj := kh[j*D : j*D+D]
					if exp {
						lg[i*Nk+j] = z.Logit(gamma, qi, kj)
						m = math.Max(m, lg[i*Nk+j])
					} else {
						P[i*Nk+j] = z.Value(gamma, qi, kj)
						zsum += P[i*Nk+j]
					}
				}
				if exp {
					if math.IsInf(m, -1) {
						lse[i] = m
					} else {
						for j := 0; j < Nk; j++ {
							if visible(b, i, j) {
								zsum += math.Exp(lg[i*Nk+j] - m)
							}
						}
						lse[i] = m + math.Log(zsum)
						for j := 0; j < Nk; j++ {
							if visible(b, i, j) {
								if o.Unnormalized {
									P[i*Nk+j] = math.Exp(lg[i*Nk+j])
								} else {
									P[i*Nk+j] = math.Exp(lg[i*Nk+j] - lse[i])
								}
							}
						}
					}
					stats[bh*Nq+i] = lse[i]
				} else {
					stats[bh*Nq+i] = zsum
					inv[i] = 0
					if math.Abs(zsum) > guardEps {
						inv[i] = 1 / zsum
					}
					if o.Unnormalized {
						inv[i] = 1
					}
					for j := range Nk {
						P[i*Nk+j] *= inv[i]
					}
				}
				oi := out[(bh*Nq+i)*D : (bh*Nq+i+1)*D]
				for j := 0; j < Nk; j++ {
					pd := P[i*Nk+j] * keep(bh, i, j)
					for l := range oi {
						oi[l] += pd * vh[j*D+l]
					}
				}
			}
			if dout == nil {
				continue
			}
			do := dout[bh*Nq*D : (bh+1)*Nq*D]
			oh := out[bh*Nq*D : (bh+1)*Nq*D]
			for i := 0; i < Nq; i++ {
				qi := qh[i*D : i*D+D]
				doi := do[i*D : i*D+D]
				var di float64
				if !o.Unnormalized {
					for l := range doi {
						di += doi[l] * oh[i*D+l]
					}
				}
				for j := 0; j < Nk; j++ {
					if !visible(b, i, j) {
						continue
					}
					kj := kh[j*D : j*D+D]
					// dp = ∂L/∂P_ij through the dropped weight (M_ij/(1−p))·P_ij;
					// D_i = dO_i·O_i = Σ_j P_ij dp_ij still.
					var dp float64
					mk := keep(bh, i, j)
					for l := range doi {
						dp += doi[l] * vh[j*D+l]
						dv[(bh*Nk+j)*D+l] += mk * P[i*Nk+j] * doi[l]
					}
					dp *= mk
					// g = ∂L/∂κ_ij: exp-family P = κ·e^{−lse}, so g = (dP − D_i)e^{−lse}
					// (e^0 when unnormalized); otherwise (dP − D_i)/Z_i.
					var g float64
					if exp {
						if math.IsInf(lse[i], -1) {
							continue
						}
						if o.Unnormalized {
							g = dp
						} else {
							g = (dp - di) * math.Exp(-lse[i])
						}
					} else {
						g = (dp - di) * inv[i]
					}
					z.Grad(gamma, qi, kj, g, dq[(bh*Nq+i)*D:(bh*Nq+i+1)*D], dk[(bh*Nk+j)*D:(bh*Nk+j+1)*D])
				}
			}
		}
	}
	return
}
