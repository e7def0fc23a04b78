package attention

import (
	"fmt"
	"math"
)

// firstBad returns the index of the first NaN or ±Inf in x, or -1.
func firstBad(x []float32) int {
	for i, v := range x {
		if v != v || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}

func checkFinite(fn, name string, x []float32, n int, shape string) error {
	if i := firstBad(x[:n]); i >= 0 {
		return fmt.Errorf("attention: %s: %s%s has %v at flat index %d", fn, name, shape, x[i], i)
	}
	return nil
}

// checkScale returns the error for a NaN or ±Inf Options.Scale, which Forward and
// Backward reject with a panic; a nil o is left to checkShape's panic.
func checkScale(fn string, o *Options) error {
	if o != nil && (o.Scale != o.Scale || math.IsInf(float64(o.Scale), 0)) {
		return fmt.Errorf("attention: %s: Options.Scale = %v: want a finite scale (0 = 1/√D)", fn, o.Scale)
	}
	return nil
}

// ForwardChecked is Forward preceded by a scan of Scale, q, k and v for NaN and ±Inf
// (an error names the tensor and the flat index; nothing is computed), and followed
// by a scan of out (non-finite outputs from finite inputs, e.g. an overflowing
// unnormalized sum, are reported too). stats may legitimately hold −Inf for fully
// masked rows and is not scanned. Forward itself never checks values.
func ForwardChecked(o *Options, B, H, Nq, Nk, D int, q, k, v, out, stats []float32, ws *Workspace) error {
	if err := checkScale("ForwardChecked", o); err != nil {
		return err
	}
	checkInputs("ForwardChecked", o, B, H, Nq, Nk, D, q, k, v)
	qs, _, err := checkFiniteInputs("ForwardChecked", B, H, Nq, Nk, D, q, k, v)
	if err != nil {
		return err
	}
	Forward(o, B, H, Nq, Nk, D, q, k, v, out, stats, ws)
	return checkFinite("ForwardChecked", "out", out, B*H*Nq*D, qs+" (inputs were finite: the kernel sum overflowed)")
}

// BackwardChecked is Backward preceded by a scan of Scale, q, k, v, out and dout for
// NaN and ±Inf, and of stats for NaN, and followed by a scan of dq, dk, dv.
func BackwardChecked(o *Options, B, H, Nq, Nk, D int, q, k, v, out, dout, stats, dq, dk, dv []float32, ws *Workspace) error {
	if err := checkScale("BackwardChecked", o); err != nil {
		return err
	}
	checkInputs("BackwardChecked", o, B, H, Nq, Nk, D, q, k, v)
	checkLen("BackwardChecked", "out", out, B*H*Nq*D)
	checkLen("BackwardChecked", "dout", dout, B*H*Nq*D)
	checkLen("BackwardChecked", "stats", stats, B*H*Nq)
	qs, ks, err := checkFiniteInputs("BackwardChecked", B, H, Nq, Nk, D, q, k, v)
	if err != nil {
		return err
	}
	if err := checkFinite("BackwardChecked", "out", out, B*H*Nq*D, qs); err != nil {
		return err
	}
	if err := checkFinite("BackwardChecked", "dout", dout, B*H*Nq*D, qs); err != nil {
		return err
	}
	for i, s := range stats[:B*H*Nq] {
		if s != s {
			return fmt.Errorf("attention: BackwardChecked: stats [B=%d, H=%d, Nq=%d] has NaN at flat index %d", B, H, Nq, i)
		}
	}
	Backward(o, B, H, Nq, Nk, D, q, k, v, out, dout, stats, dq, dk, dv, ws)
	if e := checkFinite("BackwardChecked", "dq", dq, B*H*Nq*D, qs); e != nil {
		return e
	}
	if e := checkFinite("BackwardChecked", "dk", dk, B*H*Nk*D, ks); e != nil {
		return e
	}
	return checkFinite("BackwardChecked", "dv", dv, B*H*Nk*D, ks)
}

// checkFiniteInputs scans q, k and v of fn for NaN and ±Inf. It returns the shapes of
// the query-side and key-side tensors, as the errors print them, for fn's later scans.
func checkFiniteInputs(fn string, B, H, Nq, Nk, D int, q, k, v []float32) (qs, ks string, err error) {
	qs, ks = fmt.Sprintf(" [B=%d, H=%d, Nq=%d, D=%d]", B, H, Nq, D), fmt.Sprintf(" [B=%d, H=%d, Nk=%d, D=%d]", B, H, Nk, D)
	if err = checkFinite(fn, "q", q, B*H*Nq*D, qs); err == nil {
		if err = checkFinite(fn, "k", k, B*H*Nk*D, ks); err == nil {
			err = checkFinite(fn, "v", v, B*H*Nk*D, ks)
		}
	}
	return qs, ks, err
}
