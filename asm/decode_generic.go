package asm

// DotRowsGeneric is the reference loop of DotRowsAVX512.
func DotRowsGeneric(q, k []float32, ldk int, s []float32) {
	for j := range s {
		row := k[j*ldk : j*ldk+len(q)]
		var a float32
		for l, x := range q {
			a += x * row[l]
		}
		s[j] = a
	}
}

// SqDistRowsGeneric is the reference loop of SqDistRowsAVX512.
func SqDistRowsGeneric(q, k []float32, ldk int, s []float32) {
	for j := range s {
		row := k[j*ldk : j*ldk+len(q)]
		var a float32
		for l, x := range q {
			t := row[l] - x
			a += t * t
		}
		s[j] = a
	}
}

// AxpyRowsGeneric is the reference loop of AxpyRowsAVX512.
func AxpyRowsGeneric(p, v []float32, ldv int, o []float32) {
	for j, a := range p {
		row := v[j*ldv : j*ldv+len(o)]
		for l := range o {
			o[l] = FMA32(a, row[l], o[l])
		}
	}
}
