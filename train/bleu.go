package train

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// Corpus BLEU as sacreBLEU computes it by default (BLEU signature
// nrefs:N|case:mixed|eff:no|tok:13a|smooth:exp): 13a tokenization, case-sensitive, n-grams
// up to 4, counts clipped by the maximum count over the references, the closest reference
// length (ties to the shorter) for the brevity penalty, and "exp" smoothing (an order with
// no match gets precision 100/(2^k·total) for its k-th such order; an order with no
// n-grams at all ends the sum, its log precision counting as −9999999999, i.e. BLEU 0).

// Tokenize13a is sacreBLEU's default "13a" tokenizer (mteval-v13a.pl).
func Tokenize13a(line string) string {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	line = strings.ReplaceAll(line, "\n", " ")
	if strings.Contains(line, "&") {
		line = strings.ReplaceAll(line, "&quot;", `"`)
		line = strings.ReplaceAll(line, "&amp;", "&")
		line = strings.ReplaceAll(line, "&lt;", "<")
		line = strings.ReplaceAll(line, "&gt;", ">")
	}
	line = " " + line + " "
	for _, r := range tok13a {
		line = r.re.ReplaceAllString(line, r.repl)
	}
	return strings.Join(strings.Fields(line), " ")
}

var tok13a = []struct {
	re   *regexp.Regexp
	repl string
}{
	// punctuation and symbols: {|}~ [\]^_` space!"#$%& ()*+ :;<=>?@ /
	{regexp.MustCompile(`([\{-\~\[-\x60 -\&\(-\+\:-\@\/])`), " ${1} "},
	// period and comma unless preceded by a digit
	{regexp.MustCompile(`([^0-9])([\.,])`), "${1} ${2} "},
	// period and comma unless followed by a digit
	{regexp.MustCompile(`([\.,])([^0-9])`), " ${1} ${2}"},
	// dash when preceded by a digit
	{regexp.MustCompile(`([0-9])(-)`), "${1} ${2} "},
}

// BLEUScore is a corpus BLEU result with sacreBLEU's fields.
type BLEUScore struct {
	Score      float64    // 0–100
	Counts     [4]int     // matching n-grams (clipped)
	Totals     [4]int     // hypothesis n-grams
	Precisions [4]float64 // percent, smoothed
	BP         float64
	SysLen     int
	RefLen     int
}

// String formats like sacreBLEU: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)".
func (s BLEUScore) String() string {
	ratio := 0.0
	if s.RefLen > 0 {
		ratio = float64(s.SysLen) / float64(s.RefLen)
	}
	return fmt.Sprintf("BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
		s.Score, s.Precisions[0], s.Precisions[1], s.Precisions[2], s.Precisions[3], s.BP, ratio, s.SysLen, s.RefLen)
}

// CorpusBLEU scores hypotheses against one or more reference streams (refs[r][i] is the
// r-th reference of sentence i, as in sacrebleu.corpus_bleu).
func CorpusBLEU(hyps []string, refs [][]string) (BLEUScore, error) {
	var s BLEUScore
	if len(refs) == 0 {
		return s, fmt.Errorf("bleu: no reference streams")
	}
	for r, stream := range refs {
		if len(stream) != len(hyps) {
			return s, fmt.Errorf("bleu: reference stream %d has %d sentences, the hypotheses %d", r, len(stream), len(hyps))
		}
	}
	for i, h := range hyps {
		ht := strings.Fields(Tokenize13a(h))
		s.SysLen += len(ht)
		maxRef := map[string]int{}
		closest, diff := -1, -1
		for _, stream := range refs {
			rt := strings.Fields(Tokenize13a(stream[i]))
			d := abs(len(ht) - len(rt))
			if diff < 0 || d < diff || (d == diff && len(rt) < closest) {
				closest, diff = len(rt), d
			}
			for g, c := range ngramCounts(rt) {
				maxRef[g] = max(maxRef[g], c)
			}
		}
		s.RefLen += closest
		for g, c := range ngramCounts(ht) {
			n := strings.Count(g, " ") // order−1
			s.Totals[n] += c
			s.Counts[n] += min(c, maxRef[g])
		}
	}
	if s.Counts == [4]int{} {
		return s, nil // sacreBLEU: no match at all scores 0
	}
	smooth := 1.0
	for n := 0; n < 4; n++ {
		if s.Totals[n] == 0 {
			break
		}
		if s.Counts[n] == 0 {
			smooth *= 2
			s.Precisions[n] = 100 / (smooth * float64(s.Totals[n]))
		} else {
			s.Precisions[n] = 100 * float64(s.Counts[n]) / float64(s.Totals[n])
		}
	}
	s.BP = 1
	if s.SysLen < s.RefLen {
		s.BP = 0
		if s.SysLen > 0 {
			s.BP = math.Exp(1 - float64(s.RefLen)/float64(s.SysLen))
		}
	}
	var logSum float64
	for _, p := range s.Precisions {
		if p == 0 {
			logSum += -9999999999
		} else {
			logSum += math.Log(p)
		}
	}
	s.Score = s.BP * math.Exp(logSum/4)
	return s, nil
}

// ngramCounts counts the 1- to 4-grams of tokens, keyed by the space-joined n-gram.
func ngramCounts(tokens []string) map[string]int {
	c := map[string]int{}
	for n := 1; n <= 4; n++ {
		for i := 0; i+n <= len(tokens); i++ {
			c[strings.Join(tokens[i:i+n], " ")]++
		}
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
