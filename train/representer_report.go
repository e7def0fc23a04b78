package train

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kernelmachines/bkm/internal/atomicfile"
)

// ApproxReport is the markdown report of RepresenterCurves' points (bkmtrain
// representer): per layer, the attention output's relative error against the feature
// dimension for each finite kernel. Per-head points (Head ≥ 0) are left out.
func ApproxReport(heading string, points []ApproxPoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", heading)
	b.WriteString("Relative error of the attention output ‖Ô − O‖/‖O‖ (all heads of the layer; favor: mean ± std over seeds), ")
	b.WriteString("and of the normalized attention weights ‖P̂ − P‖/‖P‖ in brackets. Dimension: the feature dimension ")
	b.WriteString("(taylor: C(d+N, N) monomials, favor: D random features, distill: width of the learned map). ")
	b.WriteString("exact: the layer's own kernel recomputed in float64 against the model's float32 output. ")
	b.WriteString("taylor and favor approximate edp; for a layer with another kernel their error includes the difference between the two kernels.\n\n")
	b.WriteString("| layer | kernel | dimension | output error | weight error |\n|---|---|---|---|---|\n")
	for _, p := range points {
		if p.Head != -1 {
			continue
		}
		name := p.Method
		if p.Method != ApproxExact {
			name = fmt.Sprintf("%s%d", p.Method, p.Param)
		}
		dim := strconv.Itoa(p.Dim)
		if p.Dim < 0 {
			dim = "∞"
		}
		outErr, wErr := fmt.Sprintf("%.3g", p.OutErr), fmt.Sprintf("(%.3g)", p.WeightErr)
		if p.Runs > 1 {
			outErr += fmt.Sprintf(" ± %.2g", p.OutStd)
			wErr = fmt.Sprintf("(%.3g ± %.2g)", p.WeightErr, p.WeightStd)
		}
		if p.Method == ApproxExact {
			wErr = ""
			if p.LogitRMS > 0 {
				wErr = fmt.Sprintf("logits γ qᵀk: rms %.3g, max |·| %.3g", p.LogitRMS, p.LogitMax)
			}
		}
		if p.Method == ApproxDistill {
			wErr += fmt.Sprintf(", logit fit %.3g", p.FitErr)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", p.Layer, name, dim, outErr, wErr)
	}
	return b.String()
}

// WriteApproxPoints writes points as the JSON ParseApproxPoints reads (representer.json),
// atomically: an existing file is replaced whole or not at all.
func WriteApproxPoints(path string, points []ApproxPoint) error {
	b, err := json.MarshalIndent(points, "", " ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}

// ParseApproxPoints decodes the points RepresenterCurves measured, as written to a
// representer.json (name: the file, for errors). It rejects a point whose layer or
// method, which become parts of PNG file names, is empty or could leave the directory
// (a path separator or "..").
func ParseApproxPoints(name string, b []byte) ([]ApproxPoint, error) {
	var points []ApproxPoint
	if err := json.Unmarshal(b, &points); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i, p := range points {
		for _, f := range []struct{ field, v string }{{"layer", p.Layer}, {"method", p.Method}} {
			if f.v == "" || strings.ContainsAny(f.v, `/\`) || strings.Contains(f.v, "..") {
				return nil, fmt.Errorf("%s: point %d: %s %q is not a plain name", name, i, f.field, f.v)
			}
		}
	}
	return points, nil
}
