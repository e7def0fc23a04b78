package main

import (
	"flag"
	"math"
)

// maxBeam is the largest --beam: each step of beam search scores beam × vocabulary
// candidates and keeps a key/value cache per hypothesis, and beyond a few dozen
// hypotheses translations stop improving.
const maxBeam = 128

// defaultLenPenalty is the beam-search length penalty α of --len-penalty (scores are
// log p / len^α; fairseq's default 1).
const defaultLenPenalty = 1.0

// decodeFlags are the beam-search flags of every command that translates.
type decodeFlags struct {
	beam       int
	lenPenalty float64
}

// register adds --beam (with what it is for) and --len-penalty to fs.
func (d *decodeFlags) register(fs *flag.FlagSet, beamUsage string) {
	fs.IntVar(&d.beam, "beam", 1, beamUsage)
	fs.Float64Var(&d.lenPenalty, "len-penalty", defaultLenPenalty, "beam-search length penalty α: hypotheses ranked by log p / len^α (0 = none; beam > 1 only)")
}

// check rejects a beam outside [1, maxBeam] and a length penalty that is not a finite
// number.
func (d *decodeFlags) check() error {
	if d.beam < 1 {
		return usagef("--beam = %d: must be ≥ 1", d.beam)
	}
	if d.beam > maxBeam {
		return usagef("--beam = %d: must be at most %d", d.beam, maxBeam)
	}
	if math.IsNaN(d.lenPenalty) || math.IsInf(d.lenPenalty, 0) {
		return usagef("--len-penalty = %v: must be a finite number", d.lenPenalty)
	}
	return nil
}
