package train

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/internal/atomicfile"
)

// A kernel study (bkmtrain compare-kernels) trains the same model, data and recipe once
// per kernel and seed. Its directory holds StudySpecFile (what every run shares) and one
// subdirectory per run with StudyRunFile, written atomically when the run finishes, so
// an interrupted study resumes without redoing finished runs and its report is
// regenerated from the saved runs alone. A run in progress keeps a checkpoint and its
// metrics log in its directory, so an interrupted run resumes too (ReadRunLog).
const (
	StudySpecFile = "study.json"
	StudyRunFile  = "result.json"
)

// StudySpec is what every run of a study shares: a study can only be resumed or
// extended (more kernels, more seeds) with the same spec.
type StudySpec struct {
	Config        Config  `json:"config"` // the shared config; Model.Kernel and Seed vary per run
	Data          string  `json:"data"`
	Tokenizer     string  `json:"tokenizer"`
	EvalEvery     int     `json:"eval_every"`
	BLEUSentences int     `json:"bleu_sentences"`
	Beam          int     `json:"beam"`
	LenPenalty    float64 `json:"len_penalty"`
	Threads       int     `json:"threads"` // GEMM threads of every run (wall times compare at equal counts)
}

// Same reports whether two specs describe the same study.
func (s StudySpec) Same(o StudySpec) bool {
	a, errA := json.Marshal(s)
	b, errB := json.Marshal(o)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// StudyRun is the result of one finished run of a study. A diverged run has Diverged
// set and no measurements.
type StudyRun struct {
	Kernel     string    `json:"kernel"`
	Seed       uint64    `json:"seed"`
	Diverged   string    `json:"diverged,omitempty"`
	ValLoss    float64   `json:"val_loss"`
	BLEU       *float64  `json:"bleu,omitempty"` // translation with BLEU sentences
	Distinct   int       `json:"distinct,omitempty"`
	Sources    int       `json:"sources,omitempty"`
	FinalLoss  float64   `json:"final_train_loss"`
	WallSec    float64   `json:"wall_s"`
	CurveSteps []float64 `json:"curve_steps"`
	CurveLoss  []float64 `json:"curve_val_loss"`
	// Build is the version-control revision of the binary that trained the run
	// (abbreviated, "+dirty" for a modified work tree; empty if unknown, as with
	// -buildvcs=false; "A+B" for a run begun by build A and resumed by B): runs of one
	// study made by different builds differ in float32 rounding, and the report says
	// which build made which run.
	Build string `json:"build,omitempty"`
}

// RunLog is what a run's metrics log says about the run: its validation curve, the
// loss of its last update and its wall time.
type RunLog struct {
	CurveSteps []float64
	CurveLoss  []float64
	FinalLoss  float64
	WallSec    float64
	Builds     []string // the distinct builds of the start events, in order (unknown ones left out)
}

// ReadRunLog reads a run's metrics log (MetricsLog), which may span several sessions: a
// run resumed from its checkpoint continues the log cut back to the checkpoint
// (ResumeMetrics) after a new "start" event. Elapsed times restart at every start, so
// the wall time is the sum of each session's last elapsed time: the time spent on the
// steps the log keeps, not on work lost to an interruption. A step validated twice (a
// run resumed at the step it last validated) keeps the later value.
func ReadRunLog(path string) (RunLog, error) {
	var r RunLog
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	session := 0.0
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m MetricsRecord
		if err := json.Unmarshal(line, &m); err != nil {
			return r, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		if m.Kind == "event" && m.Event == "start" {
			r.WallSec, session = r.WallSec+session, 0
			if m.Build != "" && !slices.Contains(r.Builds, m.Build) {
				r.Builds = append(r.Builds, m.Build)
			}
		}
		session = max(session, m.Elapsed)
		switch {
		case m.Kind == "train" && m.Loss != nil:
			r.FinalLoss = *m.Loss
		case m.Kind == "valid" && m.ValLoss != nil:
			if n := len(r.CurveSteps); n > 0 && r.CurveSteps[n-1] == float64(m.Step) {
				r.CurveLoss[n-1] = *m.ValLoss
				continue
			}
			r.CurveSteps = append(r.CurveSteps, float64(m.Step))
			r.CurveLoss = append(r.CurveLoss, *m.ValLoss)
		}
	}
	r.WallSec += session
	return r, nil
}

// WriteStudyJSON writes v as indented JSON to path atomically.
func WriteStudyJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}

// readStudyJSON reads a JSON file written by WriteStudyJSON; unknown fields are errors.
func readStudyJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadStudySpec reads dir's StudySpecFile; os.ErrNotExist when there is none.
func ReadStudySpec(dir string) (StudySpec, error) {
	var s StudySpec
	return s, readStudyJSON(filepath.Join(dir, StudySpecFile), &s)
}

// ReadStudyRun reads a run's StudyRunFile in runDir; os.ErrNotExist when the run did not
// finish.
func ReadStudyRun(runDir string) (StudyRun, error) {
	var r StudyRun
	if err := readStudyJSON(filepath.Join(runDir, StudyRunFile), &r); err != nil {
		return r, err
	}
	if r.Kernel == "" || len(r.CurveSteps) != len(r.CurveLoss) {
		return r, fmt.Errorf("%s: not a study run (no kernel, or curve lengths differ)", filepath.Join(runDir, StudyRunFile))
	}
	return r, nil
}

// ReadStudy reads a study directory: its spec and every finished run, ordered by kernel
// (first as listed in order, then by name) and seed.
func ReadStudy(dir string, order []string) (StudySpec, []StudyRun, error) {
	spec, err := ReadStudySpec(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return spec, nil, fmt.Errorf("%s holds no kernel study (no %s)", dir, StudySpecFile)
		}
		return spec, nil, err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*", StudyRunFile))
	if err != nil {
		return spec, nil, err
	}
	var runs []StudyRun
	for _, p := range paths {
		r, err := ReadStudyRun(filepath.Dir(p))
		if err != nil {
			return spec, nil, err
		}
		runs = append(runs, r)
	}
	rank := func(k string) int {
		if i := slices.Index(order, k); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(runs, func(a, b StudyRun) int {
		if c := rank(a.Kernel) - rank(b.Kernel); c != 0 {
			return c
		}
		if c := strings.Compare(a.Kernel, b.Kernel); c != 0 {
			return c
		}
		return cmp.Compare(a.Seed, b.Seed)
	})
	return spec, runs, nil
}

// KernelRuns groups a study's runs by kernel, in order of first appearance.
type KernelRuns struct {
	Kernel string
	Runs   []StudyRun // finished, not diverged
	Failed []StudyRun // diverged
}

// GroupStudy groups runs by kernel, keeping their order.
func GroupStudy(runs []StudyRun) []KernelRuns {
	var out []KernelRuns
	for _, r := range runs {
		i := slices.IndexFunc(out, func(k KernelRuns) bool { return k.Kernel == r.Kernel })
		if i < 0 {
			out = append(out, KernelRuns{Kernel: r.Kernel})
			i = len(out) - 1
		}
		if r.Diverged != "" {
			out[i].Failed = append(out[i].Failed, r)
		} else {
			out[i].Runs = append(out[i].Runs, r)
		}
	}
	return out
}

// values extracts one measurement of each run; BLEU skips runs without one.
func (k KernelRuns) values(what string) []float64 {
	var x []float64
	for _, r := range k.Runs {
		switch what {
		case "bleu":
			if r.BLEU != nil {
				x = append(x, *r.BLEU)
			}
		case "val":
			x = append(x, r.ValLoss)
		case "train":
			x = append(x, r.FinalLoss)
		case "wall":
			x = append(x, r.WallSec)
		}
	}
	return x
}

// MeanStd returns the mean and the sample standard deviation (n−1; 0 for one value,
// NaN for none).
func MeanStd(x []float64) (mean, std float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

// PairedT is Student's paired t-test of a against b (pairs a[i], b[i]): the mean
// difference a−b and its sample std, t = mean/(std/√n), df = n−1 and the two-sided p
// value. With fewer than two pairs t and p are NaN; identical nonzero differences give
// t = ±Inf and p = 0.
func PairedT(a, b []float64) (mean, std, t float64, df int, p float64) {
	if len(a) != len(b) {
		panic("train: PairedT: len(a) != len(b)")
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	mean, std = MeanStd(d)
	df = len(d) - 1
	if len(d) < 2 {
		return mean, std, math.NaN(), df, math.NaN()
	}
	if std == 0 {
		if mean == 0 {
			return mean, std, math.NaN(), df, math.NaN()
		}
		return mean, std, math.Copysign(math.Inf(1), mean), df, 0
	}
	t = mean / (std / math.Sqrt(float64(len(d))))
	p = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.CDF(-math.Abs(t))
	return mean, std, t, df, p
}

// pairBySeed returns the measurements of the seeds both kernels finished, in seed order.
func pairBySeed(a, b KernelRuns, what string) (x, y []float64, seeds []uint64) {
	for _, ra := range a.Runs {
		for _, rb := range b.Runs {
			if ra.Seed != rb.Seed {
				continue
			}
			va, vb := KernelRuns{Runs: []StudyRun{ra}}.values(what), KernelRuns{Runs: []StudyRun{rb}}.values(what)
			if len(va) == 1 && len(vb) == 1 {
				x, y, seeds = append(x, va[0]), append(y, vb[0]), append(seeds, ra.Seed)
			}
		}
	}
	return x, y, seeds
}

// MeanCurve averages the runs' validation curves point by point, cut to the shortest.
func (k KernelRuns) MeanCurve() (steps, loss []float64) {
	if len(k.Runs) == 0 {
		return nil, nil
	}
	n := len(k.Runs[0].CurveSteps)
	for _, r := range k.Runs {
		n = min(n, len(r.CurveSteps))
	}
	steps = append([]float64(nil), k.Runs[0].CurveSteps[:n]...)
	loss = make([]float64, n)
	for _, r := range k.Runs {
		for i := range n {
			loss[i] += r.CurveLoss[i] / float64(len(k.Runs))
		}
	}
	return steps, loss
}

// SweepPoint is one kernel of a feature-dimension sweep.
type SweepPoint struct {
	Kernel     string
	FeatureDim int
	ValLoss    []float64
	BLEU       []float64
}

// Sweeps finds the families of kernels that differ only in their feature dimension
// (taylor<N>, favor<D>, poly<p>) with at least two members among groups, each sorted
// by the dimension of the explicit feature map for head dimension d.
func Sweeps(groups []KernelRuns, d int) map[string][]SweepPoint {
	out := map[string][]SweepPoint{}
	for _, g := range groups {
		k, err := attention.ByName(g.Kernel, d)
		if err != nil || len(g.Runs) == 0 {
			continue
		}
		fd := k.FeatureDim(d)
		family := strings.TrimRight(strings.SplitN(g.Kernel, ":", 2)[0], "0123456789")
		if fd < 0 || family == "linear" {
			continue
		}
		out[family] = append(out[family], SweepPoint{Kernel: g.Kernel, FeatureDim: fd, ValLoss: g.values("val"), BLEU: g.values("bleu")})
	}
	for f, pts := range out {
		if len(pts) < 2 {
			delete(out, f)
			continue
		}
		slices.SortFunc(pts, func(a, b SweepPoint) int { return a.FeatureDim - b.FeatureDim })
	}
	return out
}

// StudyReport is the Markdown report of a study: the setup, one row per kernel (mean ±
// sample std over seeds), the paired tests over seeds against the reference kernel
// (edp when present, else the first), the feature-dimension sweeps, and every run.
func StudyReport(spec StudySpec, runs []StudyRun) string {
	var b strings.Builder
	cfg, m := spec.Config, spec.Config.Model
	translate := m.Arch == "encdec"
	groups := GroupStudy(runs)
	var seeds []uint64
	for _, r := range runs {
		if !slices.Contains(seeds, r.Seed) {
			seeds = append(seeds, r.Seed)
		}
	}
	slices.Sort(seeds)
	batch := fmt.Sprintf("%d tokens", cfg.Data.MaxTokens)
	if !translate {
		batch = fmt.Sprintf("%d×%d tokens", cfg.Data.Batch, cfg.Data.Context)
	}
	fmt.Fprintf(&b, "Data %s. Model %s, d_model %d, %d heads, FFN %d, layers %d/%d, max_len %d, dropout %g. "+
		"Vocabulary %d (%s). AdamW lr %g, %s schedule (warm-up %d), %d steps, clip %g; batch %s. Seeds %v, %d thread(s). "+
		"Validation every %d steps; BLEU on %d validation sentences (beam %d). Mean ± sample std over seeds (no ± with one seed); wall time per run.\n\n",
		spec.Data, m.Arch, m.DModel, m.Heads, m.FFN, m.EncLayers, m.DecLayers, m.MaxLen, m.Dropout,
		m.Vocab, spec.Tokenizer, cfg.Optim.LR, cfg.Schedule.Kind, cfg.Schedule.Warmup, cfg.Schedule.Steps, cfg.Optim.ClipNorm,
		batch, seeds, spec.Threads, spec.EvalEvery, spec.BLEUSentences, spec.Beam)
	if translate {
		b.WriteString("| kernel | BLEU | valid loss | final train loss | wall time | runs |\n|---|---|---|---|---|---|\n")
	} else {
		b.WriteString("| kernel | valid loss | valid ppl | final train loss | wall time | runs |\n|---|---|---|---|---|---|\n")
	}
	for _, g := range groups {
		runsCol := fmt.Sprintf("%d/%d", len(g.Runs), len(g.Runs)+len(g.Failed))
		if len(g.Failed) > 0 {
			runsCol += " (diverged: seeds"
			for _, r := range g.Failed {
				runsCol += fmt.Sprintf(" %d", r.Seed)
			}
			runsCol += ")"
		}
		if len(g.Runs) == 0 {
			fmt.Fprintf(&b, "| %s | — | — | — | — | %s |\n", g.Kernel, runsCol)
			continue
		}
		wm, _ := MeanStd(g.values("wall"))
		wall := time.Duration(wm * float64(time.Second)).Round(time.Second)
		if wm < 10 {
			wall = time.Duration(wm * float64(time.Second)).Round(100 * time.Millisecond)
		}
		if translate {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", g.Kernel, PlusMinus(g.values("bleu"), 2), PlusMinus(g.values("val"), 4), PlusMinus(g.values("train"), 4), wall, runsCol)
		} else {
			vm, _ := MeanStd(g.values("val"))
			fmt.Fprintf(&b, "| %s | %s | %.2f | %s | %s | %s |\n", g.Kernel, PlusMinus(g.values("val"), 4), math.Exp(vm), PlusMinus(g.values("train"), 4), wall, runsCol)
		}
	}
	writePairedTests(&b, groups, translate)
	writeSweeps(&b, groups, m.DModel/max(m.Heads, 1), translate)
	b.WriteString("\nPer run (seed: ")
	if translate {
		b.WriteString("BLEU / ")
	}
	b.WriteString("valid loss):\n\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "- %s:", g.Kernel)
		for _, r := range append(append([]StudyRun(nil), g.Runs...), g.Failed...) {
			switch {
			case r.Diverged != "":
				fmt.Fprintf(&b, " seed %d diverged", r.Seed)
			case r.BLEU != nil:
				fmt.Fprintf(&b, " seed %d %.2f / %.4f", r.Seed, *r.BLEU, r.ValLoss)
			default:
				fmt.Fprintf(&b, " seed %d %.4f", r.Seed, r.ValLoss)
			}
			if r.Build != "" {
				fmt.Fprintf(&b, " (build %s)", r.Build)
			}
			b.WriteString(";")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// writePairedTests adds the paired t-tests over seeds of every kernel against the
// reference kernel.
func writePairedTests(b *strings.Builder, groups []KernelRuns, translate bool) {
	if len(groups) < 2 {
		return
	}
	ref := groups[0]
	if i := slices.IndexFunc(groups, func(g KernelRuns) bool { return g.Kernel == "edp" }); i >= 0 {
		ref = groups[i]
	}
	fmt.Fprintf(b, "\nPaired t-tests over seeds against %s (difference kernel − %s on the seeds both finished: mean ± sample std, t, two-sided p; n < 2 pairs: no test):\n\n", ref.Kernel, ref.Kernel)
	whats := []string{"val"}
	head := "| kernel | seeds | Δ valid loss | t | p |\n|---|---|---|---|---|\n"
	if translate {
		whats = []string{"bleu", "val"}
		head = "| kernel | seeds | Δ BLEU | t | p | Δ valid loss | t | p |\n|---|---|---|---|---|---|---|---|\n"
	}
	b.WriteString(head)
	for _, g := range groups {
		if g.Kernel == ref.Kernel {
			continue
		}
		_, _, seeds := pairBySeed(g, ref, "val")
		fmt.Fprintf(b, "| %s | %d |", g.Kernel, len(seeds))
		for _, what := range whats {
			x, y, _ := pairBySeed(g, ref, what)
			mean, std, t, _, p := PairedT(x, y)
			dec := 4
			if what == "bleu" {
				dec = 2
			}
			diff := "—"
			if len(x) > 0 {
				diff = strconv.FormatFloat(mean, 'f', dec, 64)
				if len(x) > 1 {
					diff += " ± " + strconv.FormatFloat(std, 'f', dec, 64)
				}
			}
			fmt.Fprintf(b, " %s | %s | %s |", diff, fmtStat(t, 2), fmtStat(p, 3))
		}
		b.WriteString("\n")
	}
}

// writeSweeps adds a table per feature-dimension sweep.
func writeSweeps(b *strings.Builder, groups []KernelRuns, d int, translate bool) {
	sweeps := Sweeps(groups, d)
	for _, family := range slices.Sorted(maps.Keys(sweeps)) {
		fmt.Fprintf(b, "\nSweep of %s: feature dimension of the explicit feature map (head dimension %d) against ", family, d)
		if translate {
			b.WriteString("BLEU and ")
		}
		b.WriteString("validation loss:\n\n| kernel | feature dim |")
		if translate {
			b.WriteString(" BLEU |")
		}
		b.WriteString(" valid loss | runs |\n|---|---|")
		if translate {
			b.WriteString("---|")
		}
		b.WriteString("---|---|\n")
		for _, p := range sweeps[family] {
			fmt.Fprintf(b, "| %s | %d |", p.Kernel, p.FeatureDim)
			if translate {
				fmt.Fprintf(b, " %s |", PlusMinus(p.BLEU, 2))
			}
			fmt.Fprintf(b, " %s | %d |\n", PlusMinus(p.ValLoss, 4), len(p.ValLoss))
		}
	}
}

func fmtStat(x float64, decimals int) string {
	if math.IsNaN(x) {
		return "—"
	}
	return strconv.FormatFloat(x, 'f', decimals, 64)
}

// PlusMinus formats mean ± sample std with the given decimals; one value has no
// spread, none is "—".
func PlusMinus(x []float64, decimals int) string {
	if len(x) == 0 {
		return "—"
	}
	m, sd := MeanStd(x)
	if len(x) < 2 {
		return strconv.FormatFloat(m, 'f', decimals, 64)
	}
	return strconv.FormatFloat(m, 'f', decimals, 64) + " ± " + strconv.FormatFloat(sd, 'f', decimals, 64)
}
