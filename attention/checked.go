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
	checkShape("ForwardChecked", o, B, H, Nq, Nk, D)
	checkLen("ForwardChecked", "q", q, B*H*Nq*D)
	checkLen("ForwardChecked", "k", k, B*H*Nk*D)
	checkLen("ForwardChecked", "v", v, B*H*Nk*D)
	qs, ks := fmt.Sprintf(" [B=%d, H=%d, Nq=%d, D=%d]", B, H, Nq, D), fmt.Sprintf(" [B=%d, H=%d, Nk=%d, D=%d]", B, H, Nk, D)
	for _, e := range []error{
		checkFinite("ForwardChecked", "q", q, B*H*Nq*D, qs),
		checkFinite("ForwardChecked", "k", k, B*H*Nk*D, ks),
		checkFinite("ForwardChecked", "v", v, B*H*Nk*D, ks),
	} {
		if e != nil {
			return e
		}
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
	checkShape("BackwardChecked", o, B, H, Nq, Nk, D)
	checkLen("BackwardChecked", "q", q, B*H*Nq*D)
	checkLen("BackwardChecked", "k", k, B*H*Nk*D)
	checkLen("BackwardChecked", "v", v, B*H*Nk*D)
	checkLen("BackwardChecked", "out", out, B*H*Nq*D)
	checkLen("BackwardChecked", "dout", dout, B*H*Nq*D)
	checkLen("BackwardChecked", "stats", stats, B*H*Nq)
	qs, ks := fmt.Sprintf(" [B=%d, H=%d, Nq=%d, D=%d]", B, H, Nq, D), fmt.Sprintf(" [B=%d, H=%d, Nk=%d, D=%d]", B, H, Nk, D)
	for _, e := range []error{
		checkFinite("BackwardChecked", "q", q, B*H*Nq*D, qs),
		checkFinite("BackwardChecked", "k", k, B*H*Nk*D, ks),
		checkFinite("BackwardChecked", "v", v, B*H*Nk*D, ks),
		checkFinite("BackwardChecked", "out", out, B*H*Nq*D, qs),
		checkFinite("BackwardChecked", "dout", dout, B*H*Nq*D, qs),
	} {
		if e != nil {
			return e
		}
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
