package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wordPairs returns n deterministic pairs of one to three Spanish number, colour and
// noun words and their word-for-word English translation.
func wordPairs(r *rand.Rand, n int) string {
	es := strings.Fields("uno dos tres cuatro cinco seis siete ocho nueve diez rojo verde azul casa perro gato sol luna agua pan")
	en := strings.Fields("one two three four five six seven eight nine ten red green blue house dog cat sun moon water bread")
	var b strings.Builder
	for range n {
		var src, tgt []string
		for range 1 + r.IntN(3) {
			i := r.IntN(len(es))
			src, tgt = append(src, es[i]), append(tgt, en[i])
		}
		fmt.Fprintf(&b, "%s\t%s\n", strings.Join(src, " "), strings.Join(tgt, " "))
	}
	return b.String()
}

var distinctRE = regexp.MustCompile(`(\d+) distinct outputs for (\d+) distinct sources`)

// TestEndToEndTranslationsDifferWithInput trains a small model for a few CPU seconds on
// a word-for-word translation task and requires the final evaluation to report at
// least 90% distinct outputs for the distinct validation sources: a model that
// answers every sentence alike (as the default recipe's did before issue 18) fails.
func TestEndToEndTranslationsDifferWithInput(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	trainPath := mustWrite(t, dir, "train.tsv", wordPairs(r, 2000))
	validPath := mustWrite(t, dir, "valid.tsv", wordPairs(r, 60))
	res := runBin(t, "", "train", "--train", trainPath, "--valid", validPath, "--out", filepath.Join(dir, "run"),
		"--tokenizer", "byte", "--d-model", "32", "--heads", "2", "--ffn", "64", "--layers", "1", "--max-len", "40",
		"--max-tokens", "400", "--lr", "3e-3", "--warmup", "20", "--schedule", "constant", "--steps", "800",
		"--eval-every", "0", "--samples", "3", "--threads", "1", "--progress", "plain", "--log-every", "800")
	require.Equal(t, 0, res.code, res.stderr)
	m := distinctRE.FindStringSubmatch(res.stdout)
	require.NotNil(t, m, "the summary reports the distinct outputs: %s", res.stdout)
	t.Log(m[0])
	distinct, _ := strconv.Atoi(m[1])
	sources, _ := strconv.Atoi(m[2])
	require.Greater(t, sources, 40, "the validation pairs have distinct sources")
	require.GreaterOrEqual(t, float64(distinct), 0.9*float64(sources), "outputs must differ with the input:\n%s", res.stderr)
}
