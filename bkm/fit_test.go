package bkm

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

func TestParseRegularizerRoundTrip(t *testing.T) {
	for _, r := range []Regularizer{RegAuto, RegRKBS, RegTikhonov} {
		got, err := ParseRegularizer(r.String())
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
	_, err := ParseRegularizer("ridge")
	require.ErrorContains(t, err, `regularizer "ridge": want auto, rkbs or tikhonov`)
	for _, s := range []Solver{SolverDense, SolverCG} {
		got, err := ParseSolver(s.String())
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	_, err = ParseSolver("lu")
	require.ErrorContains(t, err, `solver "lu": want dense or cg`)
}

// p1Problem and p2Problem are asymProblem with the responses of one problem only.
func p1Problem(seed uint64, kern Kernel) *Problem {
	p := asymProblem(seed, kern, 14, 11, 4, 5, 3, 2)
	p.R = nil
	return p
}

func p2Problem(seed uint64, kern Kernel) *Problem {
	p := asymProblem(seed, kern, 14, 11, 4, 5, 3, 2)
	p.Y, p.P = nil, 0
	return p
}

// Fit runs the solver the options choose and returns its model and report.
func TestFitDispatches(t *testing.T) {
	o := Options{Lambda: 0.1, Tol: 1e-10, MaxIter: 2000}
	p1 := func(solve func(*Problem, Options) (*P1Model, Report, error)) func(*Problem, Options) ([]float64, error) {
		return func(p *Problem, o Options) ([]float64, error) {
			md, _, err := solve(p, o)
			return md.Coefficients(), err
		}
	}
	p2 := func(solve func(*Problem, Options) (*P2Model, Report, error)) func(*Problem, Options) ([]float64, error) {
		return func(p *Problem, o Options) ([]float64, error) {
			md, _, err := solve(p, o)
			return md.Coefficients(), err
		}
	}
	for _, tc := range []struct {
		name   string
		p      *Problem
		solver Solver
		method string
		direct func(*Problem, Options) ([]float64, error)
	}{
		{"P1 dense", p1Problem(1, attention.EDP()), SolverDense, "dense-", p1(SolveP1Dense)},
		{"P1 cg", p1Problem(2, attention.RBF()), SolverCG, "cg", p1(SolveP1CG)},
		{"P2 dense", p2Problem(3, attention.EDP()), SolverDense, "dense-", p2(SolveP2Dense)},
		{"P2 cg", p2Problem(4, attention.Laplace()), SolverCG, "cg", p2(SolveP2CG)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md, rep, err := Fit(tc.p, FitOptions{Options: o, Solver: tc.solver})
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(rep.Method, tc.method), rep.Method)
			require.Equal(t, rep.String(), md.Report)
			require.Equal(t, tc.p.R != nil, md.IsP2())
			want, err := tc.direct(tc.p, o)
			require.NoError(t, err)
			require.Equal(t, want, md.Coefficients())
		})
	}
}

func TestFitErrors(t *testing.T) {
	p := p2Problem(5, attention.EDP())
	p.Mask = make([]bool, p.N*p.M)
	for i := range p.Mask {
		p.Mask[i] = i%4 != 1
	}
	_, _, err := Fit(p, FitOptions{Options: Options{Lambda: 0.1}})
	require.ErrorIs(t, err, ErrPartialMask)
	require.ErrorContains(t, err, "pair [0, 1] is unobserved")
	md, _, err := Fit(p, FitOptions{Options: Options{Lambda: 0.5, Regularizer: RegTikhonov, MaxIter: 5000}, Solver: SolverCG})
	require.NoError(t, err)
	require.True(t, md.IsP2())

	both := asymProblem(6, attention.EDP(), 5, 4, 3, 3, 3, 1)
	_, _, err = Fit(both, FitOptions{Options: Options{Lambda: 0.1}})
	require.ErrorIs(t, err, ErrShape)

	// CG at its cap: the best iterate and ErrNotConverged, as SolveP1CG.
	md, rep, err := Fit(p1Problem(7, attention.EDP()), FitOptions{Options: Options{Lambda: 1e-3, MaxIter: 2, Tol: 1e-12}, Solver: SolverCG})
	require.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, md)
	require.False(t, rep.Converged)
}

// saveLoad saves md to a buffer and loads it back.
func saveLoad(t *testing.T, md *Model) (*Model, []byte) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, md.Save(&b))
	file := append([]byte(nil), b.Bytes()...)
	got, err := Load(&b, 1)
	require.NoError(t, err)
	return got, file
}

// A saved and loaded model predicts exactly what the fitted one does, at new points,
// for F, G (responses on S), masked P2 with NaN at unobserved pairs, and kernels named
// with parameters (poly, favor).
func TestSaveLoadRoundTrip(t *testing.T) {
	rng := newRNG(10)
	tNew, sNew := randMat(rng, 6, 4, 1), randMat(rng, 5, 5, 1)
	for _, tc := range []struct {
		name   string
		p      *Problem
		solver Solver
	}{
		{"F edp", p1Problem(11, attention.EDP()), SolverDense},
		{"G rbf", func() *Problem {
			p := p1Problem(12, attention.RBF())
			p.Y, p.Z = nil, randMat(newRNG(13), p.M, p.P, 1)
			return p
		}(), SolverDense},
		{"F poly", p1Problem(14, attention.Poly(3, 0.5)), SolverCG},
		{"F favor", p1Problem(15, attention.Favor(16, 3, 7)), SolverDense},
		{"P2 masked", func() *Problem {
			p := p2Problem(16, attention.EDP())
			p.Mask = make([]bool, p.N*p.M)
			for i := range p.Mask {
				p.Mask[i] = i%3 != 0
				if !p.Mask[i] {
					p.R[i] = float32(math.NaN())
				}
			}
			return p
		}(), SolverCG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := FitOptions{Options: Options{Lambda: 0.3, Regularizer: RegTikhonov, Tol: 1e-9, MaxIter: 3000, Precondition: true}, Solver: tc.solver}
			md, _, err := Fit(tc.p, o)
			require.NoError(t, err)
			got, file := saveLoad(t, md)
			require.Contains(t, string(file), `"version":1`)
			require.Equal(t, md.FitOptions, got.FitOptions)
			require.Equal(t, md.Report, got.Report)
			require.Equal(t, md.Coefficients(), got.Coefficients())
			require.Equal(t, tc.p.Kernel.Name(), got.Problem.Kernel.Name())
			x, nx, s, ns := tNew, 6, sNew, 5
			if !md.IsP2() {
				s, ns = nil, 0
				if md.P1.OnSource() {
					x, nx = sNew, 5
				}
				require.Equal(t, md.P1.OnSource(), got.P1.OnSource())
			}
			want, wcols, err := md.Predict(x, nx, s, ns)
			require.NoError(t, err)
			pred, cols, err := got.Predict(x, nx, s, ns)
			require.NoError(t, err)
			require.Equal(t, wcols, cols)
			require.Equal(t, want, pred)
		})
	}
}

func TestSaveNonZooKernel(t *testing.T) {
	p := p1Problem(20, sigmoidKernel{})
	md, _, err := Fit(p, FitOptions{Options: Options{Lambda: 0.5, Regularizer: RegTikhonov}})
	require.NoError(t, err)
	var b bytes.Buffer
	err = md.Save(&b)
	require.ErrorIs(t, err, ErrKernel)
	require.ErrorContains(t, err, `kernel "sigmoid" is not of attention's zoo`)
}

// SaveFile replaces the file only when the whole model is written: a failed save
// leaves the old file as it was and no temporary file behind.
func TestSaveFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	md, _, err := Fit(p1Problem(21, attention.EDP()), FitOptions{Options: Options{Lambda: 0.1}})
	require.NoError(t, err)
	require.NoError(t, md.SaveFile(path))
	loaded, err := LoadFile(path, 1)
	require.NoError(t, err)
	require.Equal(t, md.Coefficients(), loaded.Coefficients())
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	bad, _, err := Fit(p1Problem(22, sigmoidKernel{}), FitOptions{Options: Options{Lambda: 0.5, Regularizer: RegTikhonov}})
	require.NoError(t, err)
	err = bad.SaveFile(path)
	require.ErrorContains(t, err, "bkm: model "+path+": ")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")

	require.Error(t, md.SaveFile(filepath.Join(dir, "missing", "model.json")))
	_, err = LoadFile(filepath.Join(dir, "missing.json"), 1)
	require.ErrorContains(t, err, "missing.json")
}

// Load checks the file field by field and says which field is wrong.
func TestLoadErrors(t *testing.T) {
	md, _, err := Fit(p1Problem(23, attention.EDP()), FitOptions{Options: Options{Lambda: 0.1}})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, md.Save(&b))
	good := b.String()
	edit := func(kv ...any) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(good), &m))
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return string(out)
	}
	for _, tc := range []struct {
		name, file, want string
		is               error
	}{
		{"unknown field", edit("colour", "blue"), `unknown field "colour"`, nil},
		{"newer version", edit("version", 2), `field "version": format version 2, this bkm reads version 1`, nil},
		{"trailing data", good + `{}`, "data after the JSON object", nil},
		{"not JSON", "P1\x00", "not a bkm model file", nil},
		{"not an object", "[1, 2]", "not a bkm model file: JSON array where an object belongs", nil},
		{"wrong type", edit("n", "three"), `field "n": JSON string where int belongs`, nil},
		{"fraction for an int", edit("m", 2.5), `field "m": JSON number 2.5 where int belongs`, nil},
		{"bad kernel", edit("kernel", "nope"), `field "kernel": unknown kernel "nope"`, nil},
		{"bad problem", edit("problem", "p3"), `field "problem" = "p3"`, nil},
		{"bad solver", edit("solver", "lu"), `field "solver": solver "lu"`, nil},
		{"bad regularizer", edit("regularizer", "l1"), `field "regularizer": regularizer "l1"`, nil},
		{"P1 with r", edit("r", []float64{1}), `fields "r", "mask": a P1 model`, nil},
		{"short t", edit("t", []float64{1, 2}), "T has 2 values", ErrShape},
		{"overflowing sizes", edit("n", 1<<32, "dt", 1<<32, "t", []float64{}), "T has 0 values", ErrShape},
		{"short coefficients", edit("coefficients", []float64{1}), "stored P1 model does not fit its problem", ErrShape},
		{"negative gamma", edit("gamma", -1), "Gamma = -1", ErrGamma},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.file), 1)
			require.ErrorContains(t, err, tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "bkm: model: "), err.Error())
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
		})
	}
	// A favor kernel's random projection is bounded before it is drawn.
	_, err = kernelByName("favor65536", 4096)
	require.ErrorIs(t, err, ErrLimit)
	_, err = kernelByName("favor64", 4096)
	require.NoError(t, err)

	// The unversioned files of earlier releases have the same fields.
	_, err = Load(strings.NewReader(edit("version", nil)), 1)
	require.NoError(t, err)
}
