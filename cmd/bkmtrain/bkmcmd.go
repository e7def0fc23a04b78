package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/bkm"
	"github.com/kernelmachines/bkm/cluster"
	"github.com/kernelmachines/bkm/internal/atomicfile"
)

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

// bkmFitFlags are the flags of bkm fit.
type bkmFitFlags struct {
	t, s, y, r, mask, wq, wk string
	kernel                   string
	gamma                    float64
	solver, reg              string
	model, out               string
	overwrite, diagnose      bool
	csv                      bkm.CSVOptions
	opts                     bkm.FitOptions
	dist                     distFlags
}

func parseBKMFit(args []string, stderr io.Writer) (*bkmFitFlags, error) {
	f := &bkmFitFlags{}
	fs := newFlagSet("bkm fit", stderr)
	fs.StringVar(&f.t, "t", "", "CSV of target points T, one point per row (n×d_t; required)")
	fs.StringVar(&f.s, "s", "", "CSV of source points S, one point per row (m×d_s; required)")
	fs.StringVar(&f.y, "y", "", "P1: CSV of responses at the T points (n×p)")
	fs.StringVar(&f.r, "r", "", "P2: CSV of responses on pairs (n×m)")
	fs.StringVar(&f.mask, "mask", "", "P2: CSV of 0/1, which pairs of --r are observed (n×m; default all; a partial mask needs --solver cg)")
	fs.StringVar(&f.wq, "wq", "", "CSV of the target projection W_Q (D×d_t): the kernel sees q = W_Q t (default identity)")
	fs.StringVar(&f.wk, "wk", "", "CSV of the source projection W_K (D×d_s): the kernel sees k = W_K s (default identity)")
	fs.BoolVar(&f.csv.Header, "header", false, "the first row of every CSV is a header (default: only a first row with no number in it is)")
	fs.StringVar(&f.kernel, "kernel", "edp", "kernel of attention's zoo: edp, rbf, laplace, expint, intersection, poly<p>, taylor<N>, linear, favor<D>")
	fs.Float64Var(&f.gamma, "gamma", 0, "kernel scale γ ≥ 0 (0 = 1/√d)")
	fs.Float64Var(&f.opts.Lambda, "lambda", 1e-3, "regularization λ > 0")
	fs.StringVar(&f.solver, "solver", "dense", "dense (factorization, float64) or cg (matrix-free conjugate gradients)")
	fs.StringVar(&f.reg, "reg", "auto", "regularizer: auto, rkbs or tikhonov")
	fs.Float64Var(&f.opts.Tol, "tol", 0, "cg: relative residual tolerance (0 = bkm's default)")
	fs.IntVar(&f.opts.MaxIter, "max-iter", 0, "cg: iteration cap (0 = bkm's default)")
	fs.BoolVar(&f.opts.Precondition, "precondition", false, "cg: Jacobi preconditioning")
	fs.StringVar(&f.model, "model", "bkm-model.json", "where to write the fitted model")
	fs.StringVar(&f.out, "out", "", "also write the fitted values at the training points as CSV here (- = stdout)")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace an existing --model or --out file")
	fs.IntVar(&f.opts.Threads, "threads", 0, fmt.Sprintf("threads, at most %d (0 = all cores)", bkm.MaxThreads))
	f.dist.register(fs)
	fs.BoolVar(&f.diagnose, "diagnose", false, "also print bkm.Diagnose: asymmetry, indefiniteness and conditioning of the kernel matrices (dense, small problems)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return f, f.check()
}

// check validates the flags that need no data, before any file is read.
func (f *bkmFitFlags) check() error {
	switch {
	case f.t == "" || f.s == "":
		return usagef("--t and --s are required")
	case (f.y == "") == (f.r == ""):
		return usagef("give --y (problem P1) or --r (problem P2), exactly one")
	case f.mask != "" && f.r == "":
		return usagef("--mask goes with --r")
	case !(f.gamma >= 0) || f.gamma > math.MaxFloat32:
		return usagef("--gamma = %v: the kernel scale must be finite and ≥ 0 (0 = 1/√d)", f.gamma)
	case !(f.opts.Tol >= 0) || math.IsInf(f.opts.Tol, 0):
		return usagef("--tol = %v: must be finite and ≥ 0 (0 = bkm's default)", f.opts.Tol)
	case f.opts.MaxIter < 0:
		return usagef("--max-iter = %d: must be ≥ 0 (0 = bkm's default)", f.opts.MaxIter)
	}
	if err := checkThreads(f.opts.Threads); err != nil {
		return err
	}
	if _, err := attention.ByName(f.kernel, 1); err != nil {
		return usagef("--kernel: %s", strings.TrimPrefix(err.Error(), "attention: "))
	}
	var err error
	if f.opts.Solver, err = bkm.ParseSolver(f.solver); err != nil {
		return usagef("--solver: %s", strings.TrimPrefix(err.Error(), "bkm: "))
	}
	if f.opts.Regularizer, err = bkm.ParseRegularizer(f.reg); err != nil {
		return usagef("--reg: %s", strings.TrimPrefix(err.Error(), "bkm: "))
	}
	if f.dist.on && f.opts.Solver != bkm.SolverCG {
		return usagef("--distributed needs --solver cg (the dense solver runs on one process)")
	}
	return f.dist.check()
}

// checkOutputs refuses, before anything is read or fitted, a --model or --out that
// cannot be written or that would replace a file without --overwrite.
func (f *bkmFitFlags) checkOutputs() error {
	if err := checkNewFile("model", f.model, f.overwrite); err != nil {
		return err
	}
	return checkNewFile("out", f.out, f.overwrite)
}

func bkmFit(args []string, stdout, stderr io.Writer) (err error) {
	f, err := parseBKMFit(args, stderr)
	if err != nil {
		return err
	}
	if err := f.dist.join(); err != nil {
		return err
	}
	defer f.dist.leave(&err)
	if err := f.checkOutputs(); err != nil {
		return err
	}
	p, err := f.problem()
	if err != nil {
		return err
	}
	var comm bkm.Comm = bkm.Alone
	if f.dist.on {
		comm = cluster.World{}
		if comm.Rank() > 0 { // rank 0 alone prints and writes the model
			stdout, stderr = io.Discard, io.Discard
			f.diagnose, f.out, f.model = false, "", ""
		}
	}
	if f.diagnose {
		d, err := bkm.Diagnose(p, f.opts.Lambda)
		if err != nil {
			return fmt.Errorf("diagnose: %w", err)
		}
		fmt.Fprintf(stderr, "bkm diagnose: %s\n", d)
	}
	md, rep, fitErr := bkm.FitDistributed(p, f.opts, comm)
	switch {
	case errors.Is(fitErr, bkm.ErrPartialMask):
		return usagef("%s leaves pairs unobserved: the dense solver needs every pair; use --solver cg", f.mask)
	case md == nil:
		return fitErr
	}
	problem := "P1"
	if md.IsP2() {
		problem = "P2"
	}
	fmt.Fprintf(stderr, "bkm fit %s: n=%d m=%d kernel %s λ=%g: %s\n", problem, p.N, p.M, f.kernel, f.opts.Lambda, rep)
	if n := comm.Size(); n > 1 {
		fmt.Fprintf(stderr, "bkm fit: distributed CG on %d ranks\n", n)
	}
	if f.model == "" {
		return fitErr // a rank other than 0
	}
	if err := md.SaveFile(f.model); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "model written to %s\n", f.model)
	if fitErr != nil {
		// Not converged: the model holds the best iterate; say so and fail.
		return fmt.Errorf("%w (raise --max-iter or --tol, or use --solver dense); %s holds the best iterate", fitErr, f.model)
	}
	if f.out == "" {
		return nil
	}
	vals, cols, err := md.Predict(p.T, p.N, sourcesOfP2(md, p), p.M)
	if err != nil {
		return err
	}
	return writeCSVOut(f.out, stdout, vals, cols)
}

// sourcesOfP2 is the S points for Model.Predict of a P2 model, nil for P1.
func sourcesOfP2(md *bkm.Model, p *bkm.Problem) []float32 {
	if md.IsP2() {
		return p.S
	}
	return nil
}

// problem reads the CSV files into a bkm.Problem; sizes that do not match are
// errors naming the files.
func (f *bkmFitFlags) problem() (*bkm.Problem, error) {
	p := &bkm.Problem{Gamma: float32(f.gamma)}
	var err error
	if p.T, p.N, p.DT, err = bkm.ReadCSVFile(f.t, f.csv); err != nil {
		return nil, err
	}
	if p.S, p.M, p.DS, err = bkm.ReadCSVFile(f.s, f.csv); err != nil {
		return nil, err
	}
	if err := f.readProjections(p); err != nil {
		return nil, err
	}
	d := p.DT
	if p.D > 0 {
		d = p.D
	}
	if p.Kernel, err = attention.ByName(f.kernel, d); err != nil {
		return nil, usagef("--kernel: %s", strings.TrimPrefix(err.Error(), "attention: "))
	}
	if f.y != "" {
		var ny int
		if p.Y, ny, p.P, err = bkm.ReadCSVFile(f.y, f.csv); err != nil {
			return nil, err
		}
		if ny != p.N {
			return nil, fmt.Errorf("%s has %d rows, %s has %d: P1 needs one response row per T point", f.y, ny, f.t, p.N)
		}
		return p, nil
	}
	if p.R, err = f.readPairs(f.r, "n×m", p.N, p.M); err != nil {
		return nil, err
	}
	if f.mask == "" {
		return p, nil
	}
	mv, err := f.readPairs(f.mask, "like "+f.r, p.N, p.M)
	if err != nil {
		return nil, err
	}
	p.Mask = make([]bool, len(mv))
	for i, v := range mv {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("%s: row %d: mask values are 0 or 1, got %g", f.mask, i/p.M+1, v)
		}
		p.Mask[i] = v == 1
	}
	return p, nil
}

// readPairs reads an n×m CSV of values on (T point, S point) pairs.
func (f *bkmFitFlags) readPairs(path, want string, n, m int) ([]float32, error) {
	x, rows, cols, err := bkm.ReadCSVFile(path, f.csv)
	if err != nil {
		return nil, err
	}
	if rows != n || cols != m {
		return nil, fmt.Errorf("%s is %d×%d, want %s = %d×%d (rows: T points of %s, columns: S points of %s)", path, rows, cols, want, n, m, f.t, f.s)
	}
	return x, nil
}

// readProjections reads the optional W_Q and W_K files: each has D rows (the same D
// for both) and as many columns as the points it projects; without a file that side
// is the identity, which needs its points to have D coordinates already.
func (f *bkmFitFlags) readProjections(p *bkm.Problem) error {
	type side struct {
		flag, path, points string
		dim                int
		w                  *[]float32
	}
	sides := []side{{"--wq", f.wq, f.t, p.DT, &p.WQ}, {"--wk", f.wk, f.s, p.DS, &p.WK}}
	for _, s := range sides {
		if s.path == "" {
			continue
		}
		w, rows, cols, err := bkm.ReadCSVFile(s.path, f.csv)
		if err != nil {
			return err
		}
		if cols != s.dim {
			return fmt.Errorf("%s (%s) is %d×%d: want D×%d, one column per coordinate of the points of %s", s.path, s.flag, rows, cols, s.dim, s.points)
		}
		if p.D != 0 && rows != p.D {
			return fmt.Errorf("%s (%s) has %d rows but --wq has %d: both project into the same D dimensions", s.path, s.flag, rows, p.D)
		}
		p.D, *s.w = rows, w
	}
	for _, s := range sides {
		if p.D != 0 && s.path == "" && s.dim != p.D {
			return fmt.Errorf("%s has %d columns but the projection gives D = %d: give %s too (without it, %s is the identity)", s.points, s.dim, p.D, s.flag, s.flag)
		}
	}
	return nil
}

func bkmPredict(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bkm predict", stderr)
	modelPath := fs.String("model", "bkm-model.json", "model written by bkm fit")
	tPath := fs.String("t", "", "CSV of new target points (required)")
	sPath := fs.String("s", "", "P2: CSV of new source points (predict h(t, s) for every pair)")
	outPath := fs.String("out", "-", "CSV of predictions (- = stdout): rows per point of --t; P1: p columns, P2: one per point of --s")
	normalized := fs.Bool("normalized", false, "P1 only: the normalized predictor F̄(t) = Σ c_j κ(t,s_j) / Σ κ(t,s_j) (attention)")
	var csvOpts bkm.CSVOptions
	fs.BoolVar(&csvOpts.Header, "header", false, "the first row of every CSV is a header (default: only a first row with no number in it is)")
	threads := fs.Int("threads", 0, fmt.Sprintf("threads, at most %d (0 = all cores)", bkm.MaxThreads))
	overwrite := fs.Bool("overwrite", false, "replace an existing --out file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tPath == "" {
		return usagef("--t is required")
	}
	if err := checkThreads(*threads); err != nil {
		return err
	}
	if err := checkNewFile("out", *outPath, *overwrite); err != nil {
		return err
	}
	md, err := bkm.LoadFile(*modelPath, *threads)
	if err != nil {
		return err
	}
	if md.P1 != nil && md.P1.OnSource() {
		return fmt.Errorf("model %s is P1 fitted to responses on S: bkmtrain predicts the models bkm fit writes", *modelPath)
	}
	switch {
	case md.IsP2() && *sPath == "":
		return usagef("the model is P2 (pairs): give --s too")
	case !md.IsP2() && *sPath != "":
		return usagef("the model is P1: --s is only for P2 models")
	case md.IsP2() && *normalized:
		return usagef("--normalized is for P1 models; %s is a P2 model", *modelPath)
	}
	t, nt, err := readPoints(*tPath, "T", md.Problem.DT, csvOpts)
	if err != nil {
		return err
	}
	var vals []float64
	var cols int
	switch {
	case *normalized:
		vals, err = md.P1.PredictNormalized(t, nt)
		cols = md.P1.P
	case md.IsP2():
		s, ns, err2 := readPoints(*sPath, "S", md.Problem.DS, csvOpts)
		if err2 != nil {
			return err2
		}
		vals, cols, err = md.Predict(t, nt, s, ns)
	default:
		vals, cols, err = md.Predict(t, nt, nil, 0)
	}
	if err != nil {
		return err
	}
	return writeCSVOut(*outPath, stdout, vals, cols)
}

// readPoints reads new points whose dimension must be the model's.
func readPoints(path, side string, dim int, o bkm.CSVOptions) ([]float32, int, error) {
	x, n, d, err := bkm.ReadCSVFile(path, o)
	if err != nil {
		return nil, 0, err
	}
	if d != dim {
		return nil, 0, fmt.Errorf("%s has %d columns, the model's %s points have %d", path, d, side, dim)
	}
	return x, n, nil
}

// writeCSVOut writes rows of cols values to stdout (path "-") or atomically to path.
func writeCSVOut(path string, stdout io.Writer, vals []float64, cols int) error {
	var b bytes.Buffer
	for i := 0; i < len(vals); i += cols {
		for j := 0; j < cols; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(vals[i+j], 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	if path == "-" {
		_, err := stdout.Write(b.Bytes())
		return err
	}
	if err := atomicfile.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing predictions: %w", err)
	}
	return nil
}

// checkNewFile checks that the file of an output flag (empty or "-": none, or stdout)
// can be created in an existing directory, and that it would replace no file unless
// overwrite.
func checkNewFile(flagName, path string, overwrite bool) error {
	if path == "" || path == "-" {
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return fmt.Errorf("--%s %s is a directory: give a file name", flagName, path)
	case err == nil && !overwrite:
		return fmt.Errorf("--%s %s exists: choose another file, or give --overwrite to replace it", flagName, path)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--%s: %w", flagName, err)
	}
	if dir, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("--%s %s: %w", flagName, path, err)
	} else if !dir.IsDir() {
		return fmt.Errorf("--%s %s: %s is not a directory", flagName, path, filepath.Dir(path))
	}
	return nil
}
