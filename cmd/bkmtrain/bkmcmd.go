package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/bkm"
)

// bkmModelFile is what `bkm fit` writes and `bkm predict` reads. It holds the training
// problem itself (points, responses, kernel, options) and the fitted coefficients.
// predict rebuilds the model from the stored problem and coefficients
// (bkm.NewP1Model, bkm.NewP2Model) without solving again; coefficients that do not
// fit the stored problem's shape are an error.
type bkmModelFile struct {
	Problem     string    `json:"problem"` // "p1" or "p2"
	Kernel      string    `json:"kernel"`
	Gamma       float32   `json:"gamma"`
	Lambda      float64   `json:"lambda"`
	Solver      string    `json:"solver"`
	Reg         string    `json:"regularizer"`
	Tol         float64   `json:"tol,omitempty"`
	MaxIter     int       `json:"max_iter,omitempty"`
	Precond     bool      `json:"precondition,omitempty"`
	N           int       `json:"n"`
	DT          int       `json:"dt"`
	M           int       `json:"m"`
	DS          int       `json:"ds"`
	P           int       `json:"p,omitempty"`
	T           []float32 `json:"t"`
	S           []float32 `json:"s"`
	Y           []float32 `json:"y,omitempty"`
	R           []float32 `json:"r,omitempty"`
	Mask        []bool    `json:"mask,omitempty"`
	D           int       `json:"d,omitempty"`  // projected dimension (0: identity projections)
	WQ          []float32 `json:"wq,omitempty"` // D×DT, q = W_Q t (absent: identity)
	WK          []float32 `json:"wk,omitempty"` // D×DS, k = W_K s (absent: identity)
	Report      string    `json:"report"`
	Coefficient []float64 `json:"coefficients"`
}

func runBKM(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("want bkm fit or bkm predict")
	}
	switch args[0] {
	case "fit":
		return bkmFit(args[1:], stdout, stderr)
	case "predict":
		return bkmPredict(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		// The flags of both subcommands; flag.ErrHelp makes the status 0.
		fmt.Fprintln(stderr, "usage: bkmtrain bkm fit [flags]      fit a binary kernel machine to CSV data")
		fmt.Fprintln(stderr, "       bkmtrain bkm predict [flags]  predict with a model written by bkm fit")
		for _, sub := range []func([]string, io.Writer, io.Writer) error{bkmFit, bkmPredict} {
			fmt.Fprintln(stderr)
			if err := sub([]string{"-h"}, stdout, stderr); !errors.Is(err, flag.ErrHelp) {
				return err
			}
		}
		return flag.ErrHelp
	}
	return usagef("unknown bkm command %q: want fit or predict", args[0])
}

func bkmFit(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bkm fit", stderr)
	tPath := fs.String("t", "", "CSV of target points T, one point per row (n×d_t; required)")
	sPath := fs.String("s", "", "CSV of source points S, one point per row (m×d_s; required)")
	yPath := fs.String("y", "", "P1: CSV of responses at the T points (n×p)")
	rPath := fs.String("r", "", "P2: CSV of responses on pairs (n×m)")
	maskPath := fs.String("mask", "", "P2: CSV of 0/1, which pairs of --r are observed (n×m; default all)")
	wqPath := fs.String("wq", "", "CSV of the target projection W_Q (D×d_t): the kernel sees q = W_Q t (default identity)")
	wkPath := fs.String("wk", "", "CSV of the source projection W_K (D×d_s): the kernel sees k = W_K s (default identity)")
	kernel := fs.String("kernel", "edp", "kernel of attention's zoo: edp, rbf, laplace, expint, intersection, poly<p>, taylor<N>, linear, favor<D>")
	gamma := fs.Float64("gamma", 0, "kernel scale γ (0 = 1/√d)")
	lambda := fs.Float64("lambda", 1e-3, "regularization λ > 0")
	solver := fs.String("solver", "dense", "dense (factorization, float64) or cg (matrix-free conjugate gradients)")
	reg := fs.String("reg", "auto", "regularizer: auto, rkbs or tikhonov")
	tol := fs.Float64("tol", 0, "cg: relative residual tolerance (0 = bkm's default)")
	maxIter := fs.Int("max-iter", 0, "cg: iteration cap (0 = bkm's default)")
	precond := fs.Bool("precondition", false, "cg: Jacobi preconditioning")
	modelPath := fs.String("model", "bkm-model.json", "where to write the fitted model")
	outPath := fs.String("out", "", "also write the fitted values at the training points as CSV here (- = stdout)")
	threads := fs.Int("threads", 0, "threads (0 = all cores)")
	diagnose := fs.Bool("diagnose", false, "also print bkm.Diagnose: asymmetry, indefiniteness and conditioning of the kernel matrices (dense, small problems)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tPath == "" || *sPath == "" {
		return usagef("--t and --s are required")
	}
	if (*yPath == "") == (*rPath == "") {
		return usagef("give --y (problem P1) or --r (problem P2), exactly one")
	}
	if *maskPath != "" && *rPath == "" {
		return usagef("--mask goes with --r")
	}
	mf := bkmModelFile{Kernel: *kernel, Gamma: float32(*gamma), Lambda: *lambda, Solver: *solver, Reg: *reg,
		Tol: *tol, MaxIter: *maxIter, Precond: *precond}
	var err error
	if mf.T, mf.N, mf.DT, err = readCSVMatrix(*tPath); err != nil {
		return err
	}
	if mf.S, mf.M, mf.DS, err = readCSVMatrix(*sPath); err != nil {
		return err
	}
	if err := mf.readProjections(*wqPath, *wkPath, *tPath, *sPath); err != nil {
		return err
	}
	if *yPath != "" {
		mf.Problem = "p1"
		var ny int
		if mf.Y, ny, mf.P, err = readCSVMatrix(*yPath); err != nil {
			return err
		}
		if ny != mf.N {
			return fmt.Errorf("%s has %d rows, %s has %d: P1 needs one response row per T point", *yPath, ny, *tPath, mf.N)
		}
	} else {
		mf.Problem = "p2"
		r, nr, mr, err := readCSVMatrix(*rPath)
		if err != nil {
			return err
		}
		if nr != mf.N || mr != mf.M {
			return fmt.Errorf("%s is %d×%d, want n×m = %d×%d (rows: T points of %s, columns: S points of %s)", *rPath, nr, mr, mf.N, mf.M, *tPath, *sPath)
		}
		mf.R = r
		if *maskPath != "" {
			mv, nm, mm, err := readCSVMatrix(*maskPath)
			if err != nil {
				return err
			}
			if nm != mf.N || mm != mf.M {
				return fmt.Errorf("%s is %d×%d, want %d×%d like %s", *maskPath, nm, mm, mf.N, mf.M, *rPath)
			}
			mf.Mask = make([]bool, len(mv))
			for i, v := range mv {
				if v != 0 && v != 1 {
					return fmt.Errorf("%s:%d: mask values are 0 or 1, got %g", *maskPath, i/mf.M+1, v)
				}
				mf.Mask[i] = v == 1
			}
		}
	}
	if *diagnose {
		p, err := mf.problem()
		if err != nil {
			return err
		}
		d, err := bkm.Diagnose(p, mf.Lambda)
		if err != nil {
			return fmt.Errorf("diagnose: %w", err)
		}
		fmt.Fprintf(stderr, "bkm diagnose: %s\n", d)
	}
	p1, p2, rep, solveErr := mf.solve(*threads)
	if solveErr != nil && p1 == nil && p2 == nil {
		return solveErr
	}
	mf.Report = rep.String()
	if p1 != nil {
		mf.Coefficient = p1.Coefficients()
	} else {
		mf.Coefficient = p2.Coefficients()
	}
	fmt.Fprintf(stderr, "bkm fit %s: n=%d m=%d kernel %s λ=%g: %s\n", strings.ToUpper(mf.Problem), mf.N, mf.M, mf.Kernel, mf.Lambda, rep)
	b, err := json.Marshal(mf)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*modelPath, b); err != nil {
		return fmt.Errorf("writing model: %w", err)
	}
	fmt.Fprintf(stderr, "model written to %s\n", *modelPath)
	if solveErr != nil {
		// Not converged: the model holds the best iterate; say so and fail.
		return fmt.Errorf("%w; %s holds the best iterate", solveErr, *modelPath)
	}
	if *outPath == "" {
		return nil
	}
	var vals []float64
	cols := mf.P
	if p1 != nil {
		vals, err = p1.Predict(mf.T, mf.N)
	} else {
		vals, err = p2.Predict(mf.T, mf.N, mf.S, mf.M)
		cols = mf.M
	}
	if err != nil {
		return err
	}
	return writeCSVOut(*outPath, stdout, vals, cols)
}

func bkmPredict(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bkm predict", stderr)
	modelPath := fs.String("model", "bkm-model.json", "model written by bkm fit")
	tPath := fs.String("t", "", "CSV of new target points (required)")
	sPath := fs.String("s", "", "P2: CSV of new source points (predict h(t, s) for every pair)")
	outPath := fs.String("out", "-", "CSV of predictions (- = stdout): rows per point of --t; P1: p columns, P2: one per point of --s")
	normalized := fs.Bool("normalized", false, "P1: the normalized predictor F̄(t) = Σ c_j κ(t,s_j) / Σ κ(t,s_j) (attention)")
	threads := fs.Int("threads", 0, "threads (0 = all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tPath == "" {
		return usagef("--t is required")
	}
	b, err := os.ReadFile(*modelPath)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	var mf bkmModelFile
	if err := json.Unmarshal(b, &mf); err != nil {
		return fmt.Errorf("model %s: not a bkm model file: %v", *modelPath, err)
	}
	t, nt, dt, err := readCSVMatrix(*tPath)
	if err != nil {
		return err
	}
	if dt != mf.DT {
		return fmt.Errorf("%s has %d columns, the model's T points have %d", *tPath, dt, mf.DT)
	}
	if mf.Problem == "p2" && *sPath == "" {
		return usagef("the model is P2 (pairs): give --s too")
	}
	if mf.Problem == "p1" && *sPath != "" {
		return usagef("the model is P1: --s is only for P2 models")
	}
	p1, p2, err := mf.model(*threads)
	if err != nil {
		return fmt.Errorf("model %s: %w", *modelPath, err)
	}
	var vals []float64
	cols := mf.P
	if p1 != nil {
		if *normalized {
			vals, err = p1.PredictNormalized(t, nt)
		} else {
			vals, err = p1.Predict(t, nt)
		}
	} else {
		s, ns, ds, err2 := readCSVMatrix(*sPath)
		if err2 != nil {
			return err2
		}
		if ds != mf.DS {
			return fmt.Errorf("%s has %d columns, the model's S points have %d", *sPath, ds, mf.DS)
		}
		vals, err = p2.Predict(t, nt, s, ns)
		cols = ns
	}
	if err != nil {
		return err
	}
	return writeCSVOut(*outPath, stdout, vals, cols)
}

// problem builds the bkm.Problem (identity projections: T and S points are compared
// directly by the kernel).
func (mf *bkmModelFile) problem() (*bkm.Problem, error) {
	d := mf.DT
	if mf.D > 0 {
		d = mf.D
	}
	k, err := attention.ByName(mf.Kernel, d)
	if err != nil {
		return nil, usagef("--kernel: %s", strings.TrimPrefix(err.Error(), "attention: "))
	}
	return &bkm.Problem{T: mf.T, N: mf.N, DT: mf.DT, S: mf.S, M: mf.M, DS: mf.DS, Kernel: k, Gamma: mf.Gamma,
		WQ: mf.WQ, WK: mf.WK, D: mf.D, Y: mf.Y, P: mf.P, R: mf.R, Mask: mf.Mask}, nil
}

// readProjections reads the optional W_Q and W_K files: each has D rows (the same D
// for both) and as many columns as the points it projects; without a file that side
// is the identity, which needs its points to have D coordinates already.
func (mf *bkmModelFile) readProjections(wqPath, wkPath, tPath, sPath string) error {
	type side struct {
		flag, path, points string
		dim                int
		w                  *[]float32
	}
	for _, s := range []side{{"--wq", wqPath, tPath, mf.DT, &mf.WQ}, {"--wk", wkPath, sPath, mf.DS, &mf.WK}} {
		if s.path == "" {
			continue
		}
		w, rows, cols, err := readCSVMatrix(s.path)
		if err != nil {
			return err
		}
		if cols != s.dim {
			return fmt.Errorf("%s (%s) is %d×%d: want D×%d, one column per coordinate of the points of %s", s.path, s.flag, rows, cols, s.dim, s.points)
		}
		if mf.D != 0 && rows != mf.D {
			return fmt.Errorf("%s (%s) has %d rows but --wq has %d: both project into the same D dimensions", s.path, s.flag, rows, mf.D)
		}
		mf.D, *s.w = rows, w
	}
	for _, s := range []side{{"--wq", wqPath, tPath, mf.DT, &mf.WQ}, {"--wk", wkPath, sPath, mf.DS, &mf.WK}} {
		if mf.D != 0 && s.path == "" && s.dim != mf.D {
			return fmt.Errorf("%s has %d columns but the projection gives D = %d: give %s too (without it, %s is the identity)", s.points, s.dim, mf.D, s.flag, s.flag)
		}
	}
	return nil
}

// model rebuilds the fitted model from the stored problem and coefficients.
func (mf *bkmModelFile) model(threads int) (*bkm.P1Model, *bkm.P2Model, error) {
	p, err := mf.problem()
	if err != nil {
		return nil, nil, err
	}
	switch mf.Problem {
	case "p1":
		md, err := bkm.NewP1Model(p, mf.Coefficient, threads)
		if err != nil {
			return nil, nil, fmt.Errorf("stored P1 model does not fit its problem (n=%d m=%d p=%d): %w", mf.N, mf.M, mf.P, err)
		}
		return md, nil, nil
	case "p2":
		md, err := bkm.NewP2Model(p, mf.Coefficient, threads)
		if err != nil {
			return nil, nil, fmt.Errorf("stored P2 model does not fit its problem (n=%d m=%d): %w", mf.N, mf.M, err)
		}
		return nil, md, nil
	}
	return nil, nil, fmt.Errorf("problem = %q: want p1 or p2", mf.Problem)
}

// solve builds the bkm.Problem and runs the chosen solver.
func (mf *bkmModelFile) solve(threads int) (*bkm.P1Model, *bkm.P2Model, bkm.Report, error) {
	p, err := mf.problem()
	if err != nil {
		return nil, nil, bkm.Report{}, err
	}
	o := bkm.Options{Lambda: mf.Lambda, Tol: mf.Tol, MaxIter: mf.MaxIter, Precondition: mf.Precond, Threads: threads}
	switch mf.Reg {
	case "auto":
		o.Regularizer = bkm.RegAuto
	case "rkbs":
		o.Regularizer = bkm.RegRKBS
	case "tikhonov":
		o.Regularizer = bkm.RegTikhonov
	default:
		return nil, nil, bkm.Report{}, usagef("--reg = %q: want auto, rkbs or tikhonov", mf.Reg)
	}
	var p1 *bkm.P1Model
	var p2 *bkm.P2Model
	var rep bkm.Report
	switch {
	case mf.Problem == "p1" && mf.Solver == "dense":
		p1, rep, err = bkm.SolveP1Dense(p, o)
	case mf.Problem == "p1" && mf.Solver == "cg":
		p1, rep, err = bkm.SolveP1CG(p, o)
	case mf.Problem == "p2" && mf.Solver == "dense":
		p2, rep, err = bkm.SolveP2Dense(p, o)
	case mf.Problem == "p2" && mf.Solver == "cg":
		p2, rep, err = bkm.SolveP2CG(p, o)
	default:
		return nil, nil, rep, usagef("--solver = %q: want dense or cg", mf.Solver)
	}
	if err != nil {
		if errors.Is(err, bkm.ErrNotConverged) && (p1 != nil || p2 != nil) {
			return p1, p2, rep, fmt.Errorf("%w (raise --max-iter or --tol, or use --solver dense)", err)
		}
		return nil, nil, rep, err
	}
	return p1, p2, rep, nil
}

// readCSVMatrix reads a numeric CSV file: one row per point, the same number of
// columns on every row. A first row that is not numeric is taken as a header.
func readCSVMatrix(path string) (vals []float32, rows, cols int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("reading data: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, 0, fmt.Errorf("%s: %v", path, err)
		}
		line, _ = r.FieldPos(0)
		row := make([]float32, len(rec))
		bad := -1
		for j, s := range rec {
			x, perr := strconv.ParseFloat(strings.TrimSpace(s), 32)
			if perr != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				bad = j
				break
			}
			row[j] = float32(x)
		}
		if bad >= 0 {
			if rows == 0 && cols == 0 && line == 1 {
				continue // header
			}
			return nil, 0, 0, fmt.Errorf("%s:%d: column %d: %q is not a finite number", path, line, bad+1, rec[bad])
		}
		if rows == 0 {
			cols = len(row)
		} else if len(row) != cols {
			return nil, 0, 0, fmt.Errorf("%s:%d: %d columns, earlier rows have %d", path, line, len(row), cols)
		}
		vals = append(vals, row...)
		rows++
	}
	if rows == 0 {
		return nil, 0, 0, fmt.Errorf("%s: no data rows", path)
	}
	return vals, rows, cols, nil
}

func writeCSVOut(path string, stdout io.Writer, vals []float64, cols int) error {
	var w io.Writer = stdout
	var f *os.File
	if path != "-" {
		var err error
		if f, err = os.Create(path); err != nil {
			return fmt.Errorf("writing predictions: %w", err)
		}
		w = f
	}
	bw := bufio.NewWriter(w)
	for i := 0; i < len(vals); i += cols {
		for j := 0; j < cols; j++ {
			if j > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(strconv.FormatFloat(vals[i+j], 'g', -1, 64))
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		return f.Close()
	}
	return nil
}
