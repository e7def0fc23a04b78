package train

import (
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
