package bkm

import (
	"errors"
	"fmt"
)

// Solver chooses between the exact dense solvers and the matrix-free CG solvers.
type Solver int

const (
	// SolverDense runs SolveP1Dense or SolveP2Dense: exact float64, small problems,
	// every pair observed for P2.
	SolverDense Solver = iota
	// SolverCG runs SolveP1CG or SolveP2CG: matrix-free, large problems, any mask.
	SolverCG
)

var solverNames = []string{SolverDense: "dense", SolverCG: "cg"}

func (s Solver) String() string { return enumString(solverNames, "Solver", int(s)) }

// ParseSolver returns the Solver whose String is s: "dense" or "cg".
func ParseSolver(s string) (Solver, error) { return parseEnum[Solver](solverNames, "solver", s) }

// FitOptions are the Options of a solve and the solver that runs it.
type FitOptions struct {
	Options
	Solver Solver
}

// Model is a fitted binary kernel machine with what it was fitted to: the problem
// (points, kernel, projections, responses), the solver and its options, and the
// solver's report. Exactly one of P1 and P2 is set. Save writes it, Load rebuilds it.
type Model struct {
	Problem *Problem
	FitOptions
	Report string // Report.String() of the fit

	P1 *P1Model // a P1 problem (Problem.Y or Problem.Z)
	P2 *P2Model // a P2 problem (Problem.R)
}

// IsP2 reports whether the model is the binary predictor h(t, s) of P2.
func (md *Model) IsP2() bool { return md.P2 != nil }

// Coefficients are the fitted coefficients (P1Model.Coefficients or
// P2Model.Coefficients).
func (md *Model) Coefficients() []float64 {
	if md.P2 != nil {
		return md.P2.Coefficients()
	}
	return md.P1.Coefficients()
}

// Predict evaluates the model. P1: at the nx points x (targets for F, sources for a
// model fitted to Z), s must be nil; nx×P values. P2: h(x_a, s_b) for every pair of nx
// targets x and ns sources s; nx×ns values. It also returns the number of columns.
func (md *Model) Predict(x []float32, nx int, s []float32, ns int) (vals []float64, cols int, err error) {
	if md.P2 != nil {
		vals, err = md.P2.Predict(x, nx, s, ns)
		return vals, ns, err
	}
	if s != nil {
		return nil, 0, fmt.Errorf("%w: a P1 model predicts at one set of points; s is for P2 models", ErrShape)
	}
	vals, err = md.P1.Predict(x, nx)
	return vals, md.P1.P, err
}

// ErrDenseDistributed is the error of FitDistributed with the dense solver on several
// ranks: the factorizations run on one process; SolverCG distributes.
var ErrDenseDistributed = errors.New("bkm: the dense solver runs on one process; use the cg solver to distribute a fit")

// Fit solves p — P1 when it has responses Y or Z, P2 when it has R — with the chosen
// solver. Errors are those of the solver (SolveP1Dense, SolveP1CG, SolveP2Dense,
// SolveP2CG); a partial P2 mask under SolverDense is an ErrPartialMask error. When
// CG stops at its iteration cap, Fit returns the model of the best iterate together
// with the ErrNotConverged error, as the CG solvers do.
func Fit(p *Problem, o FitOptions) (*Model, Report, error) {
	return FitDistributed(p, o, alone{})
}

// FitDistributed is Fit run by comm.Size() processes together, each calling it with
// the same Problem and options: SolverCG runs SolveP1CGDistributed or
// SolveP2CGDistributed, and every rank returns the same model. The dense solvers run
// on one process: with more than one rank they are an ErrDenseDistributed error.
func FitDistributed(p *Problem, o FitOptions, comm Comm) (*Model, Report, error) {
	if p == nil {
		panic("bkm: Fit: nil *Problem")
	}
	if comm.Size() > 1 && o.Solver == SolverDense {
		return nil, Report{}, fmt.Errorf("%w (%d ranks)", ErrDenseDistributed, comm.Size())
	}
	md := &Model{Problem: p, FitOptions: o}
	var rep Report
	var err error
	isP2 := p.R != nil
	if isP2 && (p.Y != nil || p.Z != nil) {
		return nil, Report{}, fmt.Errorf("%w: a problem has responses Y or Z (P1) or R (P2), not both", ErrShape)
	}
	switch {
	case !isP2 && o.Solver == SolverDense:
		md.P1, rep, err = SolveP1Dense(p, o.Options)
	case !isP2 && o.Solver == SolverCG:
		md.P1, rep, err = SolveP1CGDistributed(p, o.Options, comm)
	case isP2 && o.Solver == SolverDense:
		md.P2, rep, err = SolveP2Dense(p, o.Options)
	case isP2 && o.Solver == SolverCG:
		md.P2, rep, err = SolveP2CGDistributed(p, o.Options, comm)
	default:
		panic(fmt.Sprintf("bkm: Fit: FitOptions.Solver = %v", o.Solver))
	}
	if err != nil && !(errors.Is(err, ErrNotConverged) && (md.P1 != nil || md.P2 != nil)) {
		return nil, rep, err
	}
	md.Report = rep.String()
	return md, rep, err
}
