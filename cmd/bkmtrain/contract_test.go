package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kernelmachines/bkm/serve"
	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// snapshot maps every file and directory below dir to its size, mode and content hash.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entry := fmt.Sprintf("%v %d %v", info.Mode(), info.Size(), info.ModTime().UnixNano())
		if !d.IsDir() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			entry += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		snap[path] = entry
		return nil
	}))
	return snap
}

// contractRow is one row of the error table of docs/bkmtrain.md.
type contractRow struct {
	args   []string
	status int
	want   string
}

var contractRowRE = regexp.MustCompile("^\\| `bkmtrain ([^`]*)` \\| (\\d) \\| `([^`]*)` \\|$")

func docErrorTable(t *testing.T) (doc string, rows []contractRow) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "bkmtrain.md"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if m := contractRowRE.FindStringSubmatch(line); m != nil {
			status, _ := strconv.Atoi(m[2])
			rows = append(rows, contractRow{strings.Fields(m[1]), status, m[3]})
		}
	}
	require.GreaterOrEqual(t, len(rows), 30, "the error table of docs/bkmtrain.md")
	return string(b), rows
}

// contractDir makes the directory the error table runs in: the files it names.
func contractDir(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"g.tsv":         "hola\thello\nadiós\tgoodbye\nsí\tyes\n",
		"bad.tsv":       "hola\thello\nsin tabulador\n",
		"cr.tsv":        "hola\thello\radiós\tgoodbye\r",
		"nul.tsv":       "hola\thello\nbin\x00ario\tbinary\n",
		"bad.json":      `{"model": {"d_model": 30, "heads": 4}}`,
		"typo.json":     `{"model": {"dmodel": 32}}`,
		"trailing.json": `{"seed": 3} {"seed": 4}`,
		"plainfile":     "x",
		"latin1.txt":    "hola\nadi\xf3s\n",
		"empty.json":    " \n",
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "cmp", "edp-seed1"), 0o755))
	files[filepath.Join("cmp", "edp-seed1", "metrics.jsonl")] = `{"kind":"train","step":1,"elapsed_s":0}` + "\n"
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	r := runIn(t, dir, "", append([]string{"train", "--out", "run", "--steps", "2", "--eval-every", "0"}, tiny...)...)
	require.Equal(t, 0, r.code, r.stderr)
	return dir
}

// TestEndToEndErrorContract runs every bad invocation of docs/bkmtrain.md: the status
// the table says, one line on stderr naming the problem, no runtime trace, and nothing
// created or changed in the directory it runs in (which holds every output directory).
func TestEndToEndErrorContract(t *testing.T) {
	doc, rows := docErrorTable(t)
	dir := contractDir(t)
	for _, row := range rows {
		t.Run(strings.Join(row.args, " "), func(t *testing.T) {
			before := snapshot(t, dir)
			r := runIn(t, dir, "", row.args...)
			require.Equal(t, row.status, r.code, "stderr: %s", r.stderr)
			require.Contains(t, r.stderr, row.want)
			require.True(t, strings.HasPrefix(r.stderr, "bkmtrain"), "%q", r.stderr)
			require.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			require.NotContains(t, r.stderr, "goroutine")
			require.NotContains(t, r.stderr, "panic")
			require.Equal(t, before, snapshot(t, dir), "no file created or changed")
		})
	}
	// The limits the text states are the ones the code enforces.
	text := strings.Join(strings.Fields(doc), " ")
	for _, limit := range []string{
		fmt.Sprintf("`--beam` ≤ %d", maxBeam),
		fmt.Sprintf("`--threads` ≤ %s", thousands(simd.MaxThreads)),
		fmt.Sprintf("`--max-beam` ≤ %d, `--queue` ≤ %s", maxBeam, thousands(serve.MaxQueue)),
		fmt.Sprintf("`model.d_model` ≤ %s", thousands(train.MaxDModel)),
		fmt.Sprintf("`model.heads` ≤ %s", thousands(train.MaxHeads)),
		fmt.Sprintf("`model.ffn` ≤ %s", thousands(train.MaxFFN)),
		fmt.Sprintf("`model.vocab` ≤ %s", thousands(train.MaxVocab)),
		fmt.Sprintf("layers ≤ %s each", thousands(train.MaxLayers)),
		fmt.Sprintf("`model.max_len` ≤ %s", thousands(train.MaxLen)),
		fmt.Sprintf("`data.batch` ≤ %s", thousands(train.MaxBatch)),
		fmt.Sprintf("`data.max_tokens` ≤ %s", thousands(train.MaxTokens)),
		fmt.Sprintf("`optim.accumulate` ≤ %s", thousands(train.MaxAccumulate)),
	} {
		require.Contains(t, text, limit)
	}
}

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
