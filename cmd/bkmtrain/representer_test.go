package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// TestEndToEndRepresenter trains a tiny model for two steps and measures its attention
// layers against finite kernels: the table, the JSON points and the PNG curves are
// written, the capture check is exact, and a second run into the same --out is refused
// without --overwrite.
func TestEndToEndRepresenter(t *testing.T) {
	run, _ := trainTiny(t, "--kernel", "edp", "--steps", "2", "--eval-every", "0")
	out := filepath.Join(t.TempDir(), "rep")
	cmd := []string{"representer", "--checkpoint", run, "--sentences", "6", "--taylor", "2,4", "--favor", "16,64",
		"--favor-seeds", "1,2", "--distill", "4", "--distill-points", "8", "--distill-steps", "20", "--threads", "1", "--out", out}
	r := runBin(t, "", cmd...)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Contains(t, r.stderr, "captured 3 attention layers on 6 sentences")
	md := mustRead(t, filepath.Join(out, "representer.md"))
	require.Equal(t, md, r.stdout)
	require.Regexp(t, `(?m)^\| enc0\.self \| exact \| ∞ \| `, md)
	require.Regexp(t, `(?m)^\| dec0\.cross \| taylor4 \| 495 \| `, md) // C(8+4, 4), head dimension 8
	require.Regexp(t, `(?m)^\| dec0\.self \| favor64 \| 64 \| \S+ ± `, md)
	require.Regexp(t, `(?m)^\| dec0\.self \| distill4 \| 4 \| .*logit fit`, md)
	var pts []train.ApproxPoint
	require.NoError(t, json.Unmarshal([]byte(mustRead(t, filepath.Join(out, "representer.json"))), &pts))
	exact := 0
	for _, p := range pts {
		if p.Method == train.ApproxExact {
			exact++
			require.Less(t, p.OutErr, 1e-5, "%s head %d", p.Layer, p.Head)
		}
	}
	require.Equal(t, 3*3, exact, "three layers (each as a whole and its two heads)")
	for _, name := range []string{"curves-enc0-self.png", "curves-dec0-cross.png", "curves-favor.png", "curves-distill.png"} {
		requirePNG(t, filepath.Join(out, name))
	}
	require.NoError(t, os.Remove(filepath.Join(out, "curves-favor.png")))
	r = runBin(t, "", "representer", "--plot", out)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.FileExists(t, filepath.Join(out, "curves-favor.png"))
	r = runBin(t, "", cmd...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "holds the results of another run (representer.md)")
	r = runBin(t, "", "representer", "--checkpoint", run, "--favor", "16,x")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `--favor: "x" is not a positive integer`)
}

// TestRepresenterPlotRejectsPathNames: --plot refuses a representer.json whose layer or
// method would put a PNG outside the directory (or name none), naming the file and
// the field, and writes nothing.
func TestRepresenterPlotRejectsPathNames(t *testing.T) {
	for _, c := range []struct{ layer, method, want string }{
		{"enc0.self", "../../x", `method "../../x"`},
		{"enc0.self", `a\b`, `method "a\\b"`},
		{"..", "favor", `layer ".."`},
		{"a/b", "favor", `layer "a/b"`},
		{"enc0.self", "", `method ""`},
	} {
		dir := t.TempDir()
		pts := []train.ApproxPoint{{Layer: c.layer, Method: c.method, Head: -1, Dim: 16, OutErr: 0.5}}
		js, err := json.Marshal(pts)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "representer.json"), js, 0o644))
		r := runBin(t, "", "representer", "--plot", dir)
		require.Equal(t, 1, r.code, "stderr: %s", r.stderr)
		require.Contains(t, r.stderr, filepath.Join(dir, "representer.json"))
		require.Contains(t, r.stderr, c.want)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "nothing written")
		matches, err := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(dir)), "*.png"))
		require.NoError(t, err)
		require.Empty(t, matches)
	}
}
