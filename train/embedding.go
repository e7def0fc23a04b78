package train

import "math"

// embeddingForward looks tokens up and adds positions:
//
//	out[b, t, :] = scale·wte[tok[b, t], :] + pos[t, :]
//	tok [B, T] int32   wte [V, C]   pos [≥T, C] (learned table or the sinusoid table)   out [B, T, C]
func embeddingForward(out []float32, tok []int32, wte, pos []float32, scale float32, B, T, C int) {
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			o := out[(b*T+t)*C : (b*T+t+1)*C]
			e := wte[int(tok[b*T+t])*C:][:C]
			p := pos[t*C : (t+1)*C]
			for i := range o {
				o[i] = scale*e[i] + p[i]
			}
		}
	}
}

// embeddingBackward accumulates dwte[tok] += scale·dout and, when dpos is not nil (learned
// positions), dpos[t] += dout.
func embeddingBackward(dwte, dpos []float32, dout []float32, tok []int32, scale float32, B, T, C int) {
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			g := dout[(b*T+t)*C : (b*T+t+1)*C]
			dw := dwte[int(tok[b*T+t])*C:][:C]
			for i, v := range g {
				dw[i] += scale * v
			}
			if dpos != nil {
				dp := dpos[t*C : (t+1)*C]
				for i, v := range g {
					dp[i] += v
				}
			}
		}
	}
}

// sinusoidTable fills pos [n, C] with fairseq's sinusoidal positions: the first half of
// each row holds sin(t·ω_i), the second half cos(t·ω_i), ω_i = 10000^(−i/(C/2−1)),
// positions counted from 0. An odd C leaves the last column zero.
func sinusoidTable(pos []float32, n, C int) {
	half := C / 2
	step := 0.0
	if half > 1 {
		step = math.Log(10000) / float64(half-1)
	}
	for t := 0; t < n; t++ {
		row := pos[t*C : (t+1)*C]
		for i := 0; i < half; i++ {
			a := float64(t) * math.Exp(-float64(i)*step)
			row[i] = float32(math.Sin(a))
			row[half+i] = float32(math.Cos(a))
		}
	}
}
