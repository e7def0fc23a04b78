package train

import (
	"math/rand/v2"
	"strings"
)

// syntheticCorpus writes n sentences from a small English-like grammar with a seeded
// RNG: plenty of structure (spelling, agreement, punctuation) for a byte-level model to
// learn, nothing to download.
func syntheticCorpus(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	dets := []string{"the", "a", "every", "no", "this", "that"}
	adjs := []string{"quick", "lazy", "small", "bright", "quiet", "old", "young", "green", "curious", "gentle"}
	nouns := []string{"fox", "dog", "river", "teacher", "garden", "machine", "kernel", "student", "city", "bird"}
	verbs := []string{"watches", "follows", "finds", "remembers", "carries", "answers", "builds", "visits"}
	advs := []string{"slowly", "quickly", "again", "today", "at night", "without a sound"}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		s := pick(dets) + " " + pick(adjs) + " " + pick(nouns) + " " + pick(verbs) + " " + pick(dets) + " " + pick(nouns)
		if rng.IntN(2) == 0 {
			s += " " + pick(advs)
		}
		sb.WriteString(strings.ToUpper(s[:1]) + s[1:] + ".")
		if i%5 == 4 {
			sb.WriteString("\n")
		} else {
			sb.WriteString(" ")
		}
	}
	return sb.String()
}
