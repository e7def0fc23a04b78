package train

// DistinctOutputs measures whether a translator's outputs differ with its input: over
// the distinct source sentences of src (a repeated source counts once, with its first
// output), sources is how many there are and distinct how many different outputs they
// got. A model that answers every sentence alike scores distinct = 1. src and hyp must
// have the same length.
func DistinctOutputs(src, hyp []string) (distinct, sources int) {
	if len(src) != len(hyp) {
		panic("train: DistinctOutputs: len(src) != len(hyp)")
	}
	seenSrc := make(map[string]bool, len(src))
	seenHyp := make(map[string]bool, len(hyp))
	for i, s := range src {
		if seenSrc[s] {
			continue
		}
		seenSrc[s] = true
		seenHyp[hyp[i]] = true
	}
	return len(seenHyp), len(seenSrc)
}
