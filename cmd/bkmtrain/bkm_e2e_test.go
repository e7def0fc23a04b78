package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeCSV(t *testing.T, path string, header string, rows [][]float64) {
	t.Helper()
	var b strings.Builder
	if header != "" {
		b.WriteString(header + "\n")
	}
	for _, r := range rows {
		for j, v := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(v, 'g', 8, 64))
		}
		b.WriteByte('\n')
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}

func parseCSV(t *testing.T, s string) [][]float64 {
	t.Helper()
	var out [][]float64
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		var row []float64
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(f, 64)
			require.NoError(t, err, "line %q", line)
			row = append(row, v)
		}
		out = append(out, row)
	}
	return out
}

func randPoints(rng *rand.Rand, n, d int) [][]float64 {
	p := make([][]float64, n)
	for i := range p {
		p[i] = make([]float64, d)
		for j := range p[i] {
			p[i][j] = rng.NormFloat64()
		}
	}
	return p
}

// TestEndToEndBKM fits P1 and P2 from CSV files with the binary and checks the
// predictions: with a small λ the fitted values reproduce the training responses, and
// predict at the training points gives the same numbers as fit's fitted values.
func TestEndToEndBKM(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	T, S := randPoints(rng, 30, 3), randPoints(rng, 25, 3)
	Y := make([][]float64, len(T))
	R := make([][]float64, len(T))
	for i, x := range T {
		Y[i] = []float64{math.Sin(x[0]) + 0.5*x[1], x[2]}
		for _, s := range S {
			R[i] = append(R[i], math.Tanh(x[0]*s[0]+x[1]*s[1]-x[2]*s[2]))
		}
	}
	tp, sp, yp, rp := filepath.Join(dir, "t.csv"), filepath.Join(dir, "s.csv"), filepath.Join(dir, "y.csv"), filepath.Join(dir, "r.csv")
	writeCSV(t, tp, "a,b,c", T) // a header line is skipped
	writeCSV(t, sp, "", S)
	writeCSV(t, yp, "", Y)
	writeCSV(t, rp, "", R)

	for _, tc := range []struct {
		name, kernel string
		resp         []string
		want         [][]float64
		predictArgs  []string
		wantShape    string // of the coefficients
	}{
		{"P1", "rbf", []string{"--y", yp}, Y, nil, "M·P = 25·2 = 50"},
		{"P2", "edp", []string{"--r", rp}, R, []string{"--s", sp}, "M·N = 25·30 = 750"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := filepath.Join(dir, tc.name+".json")
			fitted := filepath.Join(dir, tc.name+"-fitted.csv")
			r := runBin(t, "", append([]string{"bkm", "fit", "--t", tp, "--s", sp, "--kernel", tc.kernel, "--lambda", "1e-4", "--model", model, "--out", fitted, "--diagnose"}, tc.resp...)...)
			require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
			require.Contains(t, r.stderr, "bkm diagnose: ")
			require.Contains(t, r.stderr, "bkm fit "+tc.name+": n=30 m=25 kernel "+tc.kernel)
			got := parseCSV(t, mustRead(t, fitted))
			require.Len(t, got, len(tc.want))
			var num, den float64
			for i := range got {
				require.Len(t, got[i], len(tc.want[i]))
				for j := range got[i] {
					num += (got[i][j] - tc.want[i][j]) * (got[i][j] - tc.want[i][j])
					den += tc.want[i][j] * tc.want[i][j]
				}
			}
			require.Less(t, math.Sqrt(num/den), 0.05, "relative training error")

			// predict rebuilds the fitted model from the stored coefficients: the same
			// numbers as fit's fitted values, bit for bit.
			predict := append([]string{"bkm", "predict", "--t", tp}, tc.predictArgs...)
			r = runBin(t, "", append(predict, "--model", model)...)
			require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
			pred := parseCSV(t, r.stdout)
			require.Equal(t, got, pred)

			// It evaluates the stored coefficients rather than solving again: doubled
			// coefficients (exact in floating point) double every prediction.
			mf := readModelJSON(t, model)
			coef := mf["coefficients"].([]any)
			doubled := filepath.Join(dir, tc.name+"-doubled.json")
			twice := make([]any, len(coef))
			for i, c := range coef {
				twice[i] = 2 * c.(float64)
			}
			mf["coefficients"] = twice
			writeModel(t, doubled, mf)
			r = runBin(t, "", append(predict, "--model", doubled)...)
			require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
			pred2 := parseCSV(t, r.stdout)
			require.Equal(t, len(pred), len(pred2))
			for i := range pred {
				for j := range pred[i] {
					require.Equal(t, 2*pred[i][j], pred2[i][j], "row %d column %d", i, j)
				}
			}

			// A truncated coefficient array is an error naming the file and the sizes.
			truncated := filepath.Join(dir, tc.name+"-truncated.json")
			mf["coefficients"] = coef[:len(coef)-1]
			writeModel(t, truncated, mf)
			r = runBin(t, "", append(predict, "--model", truncated)...)
			require.Equal(t, 1, r.code, "stderr: %s", r.stderr)
			require.Empty(t, r.stdout)
			require.Contains(t, r.stderr, "model "+truncated+": stored "+tc.name+" model does not fit its problem")
			require.Contains(t, r.stderr, fmt.Sprintf("coefficients have %d values, want %s", len(coef)-1, tc.wantShape))
		})
	}

	bad := mustWrite(t, dir, "bad.csv", "1,2,3\n4,oops,6\n")
	ragged := mustWrite(t, dir, "ragged.csv", "1,2,3\n4,5\n")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bkm", "fit", "--t", bad, "--s", sp, "--y", yp}, 1, `bad.csv:2:3: field 2: "oops" is not a number`},
		{[]string{"bkm", "fit", "--t", ragged, "--s", sp, "--y", yp}, 1, "ragged.csv:2: 2 columns, earlier rows have 3"},
		{[]string{"bkm", "fit", "--t", tp, "--s", sp, "--r", yp}, 1, "y.csv is 30×2, want n×m = 30×25"},
		{[]string{"bkm", "fit", "--t", tp, "--s", sp}, 2, "give --y (problem P1) or --r (problem P2)"},
		{[]string{"bkm", "fit", "--t", tp, "--s", sp, "--y", yp, "--kernel", "nope"}, 2, `unknown kernel "nope"`},
		{[]string{"bkm", "fit", "--t", tp, "--s", sp, "--y", yp, "--lambda", "-1"}, 1, "λ must be finite and > 0"},
		{[]string{"bkm", "predict", "--model", filepath.Join(dir, "P1.json"), "--t", sp, "--s", sp}, 2, "the model is P1"},
	} {
		r := runBin(t, "", tc.args...)
		require.Equal(t, tc.code, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, fmt.Sprint(tc.args))
	}
}

// readModelJSON reads a model file as generic JSON, to edit it.
func readModelJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	var mf map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustRead(t, path)), &mf))
	return mf
}

func writeModel(t *testing.T, path string, mf map[string]any) {
	t.Helper()
	b, err := json.Marshal(mf)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// TestEndToEndBKMProjections: with --wq and --wk the kernel sees q = W_Q t and
// k = W_K s, so T and S may have different dimensions; fitting the raw points with
// the projections gives the fitted values of fitting the projected points with
// identity projections, the model file keeps the projections, and predict applies them.
func TestEndToEndBKMProjections(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	T, S := randPoints(rng, 20, 3), randPoints(rng, 15, 5)
	WQ, WK := randPoints(rng, 2, 3), randPoints(rng, 2, 5)
	for _, w := range [][][]float64{WQ, WK} { // small logits keep the kernel matrices well conditioned
		for _, row := range w {
			for c := range row {
				row[c] *= 0.4
			}
		}
	}
	project := func(x, w [][]float64) [][]float64 {
		out := make([][]float64, len(x))
		for i := range x {
			out[i] = make([]float64, len(w))
			for r := range w {
				for c := range w[r] {
					// the binary computes in float32: round inputs the same way
					out[i][r] += float64(float32(w[r][c])) * float64(float32(x[i][c]))
				}
			}
		}
		return out
	}
	Q, K := project(T, WQ), project(S, WK)
	R := make([][]float64, len(T))
	for i := range T {
		for j := range S {
			R[i] = append(R[i], math.Sin(Q[i][0]*K[j][0])+0.3*Q[i][1]-0.2*K[j][1])
		}
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	writeCSV(t, path("t.csv"), "", T)
	writeCSV(t, path("s.csv"), "", S)
	writeCSV(t, path("wq.csv"), "", WQ)
	writeCSV(t, path("wk.csv"), "", WK)
	writeCSV(t, path("q.csv"), "", Q)
	writeCSV(t, path("k.csv"), "", K)
	writeCSV(t, path("r.csv"), "", R)
	writeCSV(t, path("wk3.csv"), "", randPoints(rng, 3, 5))

	fit := func(name string, args ...string) [][]float64 {
		t.Helper()
		r := runBin(t, "", append([]string{"bkm", "fit", "--r", path("r.csv"), "--kernel", "edp", "--lambda", "0.1", // the two fits see inputs rounded differently

			"--model", path(name + ".json"), "--out", path(name + ".csv")}, args...)...)
		require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
		return parseCSV(t, mustRead(t, path(name+".csv")))
	}
	projected := fit("projected", "--t", path("t.csv"), "--s", path("s.csv"), "--wq", path("wq.csv"), "--wk", path("wk.csv"))
	identity := fit("identity", "--t", path("q.csv"), "--s", path("k.csv"))
	require.Len(t, projected, len(identity))
	for i := range projected {
		require.InDeltaSlice(t, identity[i], projected[i], 1e-3, "row %d", i)
	}
	mf := readModelJSON(t, path("projected.json"))
	require.Equal(t, 2.0, mf["d"])
	require.Len(t, mf["wq"], 2*3)
	require.Len(t, mf["wk"], 2*5)

	// predict rebuilds the projections from the model file.
	r := runBin(t, "", "bkm", "predict", "--model", path("projected.json"), "--t", path("t.csv"), "--s", path("s.csv"))
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Equal(t, projected, parseCSV(t, r.stdout))

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--wq", path("wk.csv"), "--wk", path("wk.csv")}, "wk.csv (--wq) is 2×5: want D×3, one column per coordinate of the points of " + path("t.csv")},
		{[]string{"--wq", path("wq.csv"), "--wk", path("wk3.csv")}, "wk3.csv (--wk) has 3 rows but --wq has 2"},
		{[]string{"--wq", path("wq.csv")}, "s.csv has 5 columns but the projection gives D = 2: give --wk too"},
	} {
		r := runBin(t, "", append([]string{"bkm", "fit", "--t", path("t.csv"), "--s", path("s.csv"), "--r", path("r.csv"), "--model", path("bad.json")}, tc.args...)...)
		require.Equal(t, 1, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want, fmt.Sprint(tc.args))
		require.NoFileExists(t, path("bad.json"))
	}
}

// TestEndToEndBKMErrors: the bkm command's user errors (issue 15) are one line on
// stderr naming the flag, file or field at fault, with the right status, and leave no
// model file behind.
func TestEndToEndBKMErrors(t *testing.T) {
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	rng := rand.New(rand.NewPCG(9, 10))
	T, S := randPoints(rng, 12, 2), randPoints(rng, 9, 2)
	Y := randPoints(rng, 12, 1)
	R, mask := randPoints(rng, 12, 9), make([][]float64, 12)
	for i := range mask {
		for j := range 9 {
			mask[i] = append(mask[i], float64((i+j)%3%2))
		}
	}
	writeCSV(t, path("t.csv"), "", T)
	writeCSV(t, path("s.csv"), "", S)
	writeCSV(t, path("y.csv"), "", Y)
	writeCSV(t, path("r.csv"), "", R)
	writeCSV(t, path("mask.csv"), "", mask)
	// Excel's byte order mark before a numeric first row: data, not a header.
	require.NoError(t, os.WriteFile(path("bom.csv"), append([]byte("\uFEFF"), mustRead(t, path("t.csv"))...), 0o644))
	lines := strings.SplitAfter(mustRead(t, path("t.csv")), "\n")
	require.NoError(t, os.WriteFile(path("nan.csv"), []byte("NaN,1\n"+strings.Join(lines[1:], "")), 0o644))

	p1 := []string{"bkm", "fit", "--t", path("t.csv"), "--s", path("s.csv"), "--y", path("y.csv")}
	p2 := []string{"bkm", "fit", "--t", path("t.csv"), "--s", path("s.csv"), "--r", path("r.csv")}
	fit := func(model string, args ...string) result {
		t.Helper()
		return runBin(t, "", append(append([]string(nil), args...), "--model", path(model))...)
	}
	r := fit("p1.json", p1...)
	require.Equal(t, 0, r.code, r.stderr)
	r = fit("p2.json", append(p2, "--mask", path("mask.csv"), "--solver", "cg", "--reg", "tikhonov", "--lambda", "0.1", "--max-iter", "5000")...)
	require.Equal(t, 0, r.code, r.stderr)
	r = fit("bom.json", "bkm", "fit", "--t", path("bom.csv"), "--s", path("s.csv"), "--y", path("y.csv"))
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "n=12 m=9")
	r = fit("header.json", "bkm", "fit", "--t", path("t.csv"), "--s", path("s.csv"), "--y", path("y.csv"), "--header")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "n=11 m=8", "the first row of every file is a header")

	// Model files with a bad kernel, an unknown field, another format version.
	for name, edit := range map[string]func(map[string]any){
		"kernel.json":  func(m map[string]any) { m["kernel"] = "nope" },
		"field.json":   func(m map[string]any) { m["colour"] = "blue" },
		"version.json": func(m map[string]any) { m["version"] = 99 },
	} {
		m := readModelJSON(t, path("p1.json"))
		edit(m)
		writeModel(t, path(name), m)
	}
	predict := func(model string, extra ...string) []string {
		return append([]string{"bkm", "predict", "--model", path(model), "--t", path("t.csv")}, extra...)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		want     string
		mustNot  string
		noOutput string // a model file that must not exist afterwards
	}{
		{"negative gamma", append(p1, "--gamma", "-1", "--model", path("x.json")), 2, "--gamma = -1: the kernel scale must be finite and ≥ 0", "NaN or Inf", "x.json"},
		{"NaN gamma", append(p1, "--gamma", "NaN", "--model", path("x.json")), 2, "--gamma = NaN: the kernel scale must be finite", "", "x.json"},
		{"float32 overflow gamma", append(p1, "--gamma", "1e39", "--model", path("x.json")), 2, "--gamma = 1e+39", "", "x.json"},
		{"NaN tol", append(p1, "--tol", "NaN", "--model", path("x.json")), 2, "--tol = NaN: must be finite", "", "x.json"},
		{"fit threads", append(p1, "--threads", "1000000", "--model", path("x.json")), 2, "--threads = 1000000: must be in [0, 1024] (0 = all cores)", "", "x.json"},
		{"predict threads", predict("p1.json", "--threads", "1000000"), 2, "--threads = 1000000: must be in [0, 1024] (0 = all cores)", "", ""},
		{"partial mask, dense solver", append(p2, "--mask", path("mask.csv"), "--model", path("x.json")), 2, "mask.csv leaves pairs unobserved: the dense solver needs every pair; use --solver cg", "SolveP2CG", "x.json"},
		{"bad solver", append(p1, "--solver", "lu", "--model", path("x.json")), 2, `--solver: solver "lu": want dense or cg`, "", "x.json"},
		{"bad reg", append(p1, "--reg", "l2", "--model", path("x.json")), 2, `--reg: regularizer "l2": want auto, rkbs or tikhonov`, "", "x.json"},
		{"NaN in row 1", []string{"bkm", "fit", "--t", path("nan.csv"), "--s", path("s.csv"), "--y", path("y.csv"), "--model", path("x.json")}, 1, `nan.csv:1:1: field 1: "NaN" is not finite`, "", "x.json"},
		{"normalized P2", predict("p2.json", "--s", path("s.csv"), "--normalized"), 2, "--normalized is for P1 models; " + path("p2.json") + " is a P2 model", "", ""},
		{"model with a bad kernel", predict("kernel.json"), 1, "model " + path("kernel.json") + `: field "kernel": unknown kernel "nope"`, "--kernel", ""},
		{"model with an unknown field", predict("field.json"), 1, "model " + path("field.json") + `: not a bkm model file: json: unknown field "colour"`, "", ""},
		{"model of another version", predict("version.json"), 1, `field "version": format version 99, this bkm reads version 1`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runBin(t, "", tc.args...)
			require.Equal(t, tc.code, r.code, r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %s", r.stderr)
			require.NotContains(t, r.stderr, "goroutine")
			if tc.mustNot != "" {
				require.NotContains(t, r.stderr, tc.mustNot)
			}
			if tc.noOutput != "" {
				require.NoFileExists(t, path(tc.noOutput))
			}
		})
	}

	// P1's normalized predictor still works.
	r = runBin(t, "", predict("p1.json", "--normalized")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, parseCSV(t, r.stdout), 12)
}

// TestBKMOverwrite: bkm fit and predict keep an existing --model or --out file (the
// refusal comes before any fitting, so the file is unchanged) unless --overwrite, which
// replaces it with the new result.
func TestBKMOverwrite(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	T := randPoints(rng, 12, 2)
	tp, yp := filepath.Join(dir, "t.csv"), filepath.Join(dir, "y.csv")
	writeCSV(t, tp, "", T)
	writeCSV(t, yp, "", randPoints(rng, 12, 1))
	model, out := filepath.Join(dir, "m.json"), filepath.Join(dir, "fitted.csv")
	fit := []string{"bkm", "fit", "--t", tp, "--s", tp, "--y", yp, "--model", model, "--out", out}
	r := runBin(t, "", fit...)
	require.Equal(t, 0, r.code, r.stderr)

	require.NoError(t, os.WriteFile(model, []byte("keep me"), 0o644))
	r = runBin(t, "", fit...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "--model "+model+" exists: choose another file, or give --overwrite")
	require.Equal(t, "keep me", mustRead(t, model))

	require.NoError(t, os.Remove(model))
	r = runBin(t, "", fit...) // --out still exists
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "--out "+out+" exists")
	require.NoFileExists(t, model, "nothing written when an output is refused")

	require.NoError(t, os.WriteFile(model, []byte("old model"), 0o644))
	r = runBin(t, "", append(fit, "--overwrite")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, mustRead(t, model), `"coefficients":`, "the old model replaced")

	pred := []string{"bkm", "predict", "--model", model, "--t", tp, "--out", out}
	r = runBin(t, "", pred...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "--out "+out+" exists")
	r = runBin(t, "", append(pred, "--overwrite")...)
	require.Equal(t, 0, r.code, r.stderr)
}
