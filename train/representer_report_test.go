package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestApproxReport: one row per layer-wide point, per-head points left out, exact rows
// with the logits' statistics, averaged rows with their std, distill rows with the fit
// error, an infinite dimension as ∞.
func TestApproxReport(t *testing.T) {
	points := []ApproxPoint{
		{Layer: "enc0", Head: -1, Method: ApproxExact, Dim: -1, OutErr: 1.5e-7, LogitRMS: 2.5, LogitMax: 9},
		{Layer: "enc0", Head: 0, Method: ApproxTaylor, Param: 2, Dim: 21, OutErr: 0.5},
		{Layer: "enc0", Head: -1, Method: ApproxTaylor, Param: 2, Dim: 21, OutErr: 0.25, WeightErr: 0.125, Runs: 1},
		{Layer: "dec1", Head: -1, Method: ApproxFavor, Param: 64, Dim: 64, OutErr: 0.3, OutStd: 0.01,
			WeightErr: 0.4, WeightStd: 0.02, Runs: 3},
		{Layer: "dec1", Head: -1, Method: ApproxDistill, Param: 8, Dim: 8, OutErr: 0.1, WeightErr: 0.2, FitErr: 0.05},
	}
	md := ApproxReport("## Heading", points)
	require.True(t, strings.HasPrefix(md, "## Heading\n\n"))
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	require.Equal(t, []string{
		"| layer | kernel | dimension | output error | weight error |",
		"|---|---|---|---|---|",
		"| enc0 | exact | ∞ | 1.5e-07 | logits γ qᵀk: rms 2.5, max |·| 9 |",
		"| enc0 | taylor2 | 21 | 0.25 | (0.125) |",
		"| dec1 | favor64 | 64 | 0.3 ± 0.01 | (0.4 ± 0.02) |",
		"| dec1 | distill8 | 8 | 0.1 | (0.2), logit fit 0.05 |",
	}, lines[len(lines)-6:])
}

// TestParseApproxPoints: points round-trip through WriteApproxPoints; malformed JSON and names that
// are empty or could leave the directory are refused with the file's name.
func TestParseApproxPoints(t *testing.T) {
	want := []ApproxPoint{{Layer: "enc0", Head: -1, Method: ApproxFavor, Param: 16, Dim: 16, OutErr: 0.5, Runs: 3}}
	path := filepath.Join(t.TempDir(), "representer.json")
	require.NoError(t, WriteApproxPoints(path, want))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	got, err := ParseApproxPoints("r.json", b)
	require.NoError(t, err)
	require.Equal(t, want, got)
	_, err = ParseApproxPoints("r.json", []byte(`[{"layer":`))
	require.ErrorContains(t, err, "r.json: ")
	for _, bad := range []string{`{"layer":"","method":"favor"}`, `{"layer":"a/b","method":"favor"}`,
		`{"layer":"enc0","method":"..x"}`, `{"layer":"enc0","method":"a\\b"}`} {
		_, err := ParseApproxPoints("r.json", []byte("["+bad+"]"))
		require.ErrorContains(t, err, "r.json: point 0: ", bad)
		require.ErrorContains(t, err, "is not a plain name", bad)
	}
}

// FuzzParseApproxPoints: no input panics ParseApproxPoints; an error names the file,
// and every point it accepts has a plain layer and method name. The seed corpus
// (testdata/fuzz/FuzzParseApproxPoints) holds a valid file, a traversing name and a
// truncated one.
func FuzzParseApproxPoints(f *testing.F) {
	f.Add([]byte(`[{"layer":"enc0","head":-1,"method":"exact","dim":-1,"out_err":1e-7}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		points, err := ParseApproxPoints("representer.json", b)
		if err != nil {
			require.ErrorContains(t, err, "representer.json: ")
			return
		}
		for _, p := range points {
			for _, v := range []string{p.Layer, p.Method} {
				require.NotEmpty(t, v)
				require.NotContains(t, v, "/")
				require.NotContains(t, v, `\`)
				require.NotContains(t, v, "..")
			}
		}
	})
}
