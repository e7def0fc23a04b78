package bkm

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/internal/atomicfile"
)

// ModelFormatVersion is the version of the JSON model format that Save writes and
// Load reads. A file without a version field is the unversioned format of earlier
// bkmtrain releases, which version 1 extends only by that field; Load reads it too.
const ModelFormatVersion = 1

// modelFile is the JSON model format: the training problem itself (points,
// responses, kernel by name, projections, options) and the fitted coefficients, so
// Load rebuilds the model (NewP1Model, NewP2Model) without solving again.
type modelFile struct {
	Version     int       `json:"version"`
	Problem     string    `json:"problem"` // "p1" or "p2"
	Kernel      string    `json:"kernel"`  // attention.ByName spec
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
	Z           []float32 `json:"z,omitempty"`
	R           []float32 `json:"r,omitempty"`
	Mask        []bool    `json:"mask,omitempty"`
	D           int       `json:"d,omitempty"`  // projected dimension (0: identity projections)
	WQ          []float32 `json:"wq,omitempty"` // D×DT, q = W_Q t (absent: identity)
	WK          []float32 `json:"wk,omitempty"` // D×DS, k = W_K s (absent: identity)
	Report      string    `json:"report"`
	Coefficient []float64 `json:"coefficients"`
}

// Save writes the model as JSON (format ModelFormatVersion). The kernel must be one of
// attention's zoo, saved by name (attention.ByName reads it back). Unobserved
// responses of a masked P2 problem are never read and are written as 0.
func (md *Model) Save(w io.Writer) error {
	p := md.Problem
	z, ok := p.Kernel.(attention.Kernel)
	if !ok {
		return fmt.Errorf("%w: kernel %q is not of attention's zoo and cannot be saved by name", ErrKernel, p.Kernel.Name())
	}
	o := md.Options
	mf := modelFile{Version: ModelFormatVersion, Problem: "p1", Kernel: z.Name(), Gamma: p.Gamma,
		Lambda: o.Lambda, Solver: md.Solver.String(), Reg: o.Regularizer.String(), Tol: o.Tol, MaxIter: o.MaxIter,
		Precond: o.Precondition, N: p.N, DT: p.DT, M: p.M, DS: p.DS, P: p.P, T: p.T, S: p.S, Y: p.Y, Z: p.Z,
		D: p.D, WQ: p.WQ, WK: p.WK, Report: md.Report, Coefficient: md.Coefficients()}
	if md.P2 != nil {
		mf.Problem, mf.R, mf.Mask = "p2", observedOnly(p.R, p.Mask), p.Mask
	}
	b, err := json.Marshal(&mf)
	if err != nil {
		return fmt.Errorf("bkm: saving model: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// observedOnly returns r with the unobserved non-finite values replaced by 0 (JSON has
// no NaN), or r itself when there are none.
func observedOnly(r []float32, mask []bool) []float32 {
	var out []float32
	for i, v := range r {
		if mask != nil && !mask[i] && (v != v || math.IsInf(float64(v), 0)) {
			if out == nil {
				out = append([]float32(nil), r...)
			}
			out[i] = 0
		}
	}
	if out == nil {
		return r
	}
	return out
}

// SaveFile writes the model to path atomically (internal/atomicfile): to a temporary
// file in the same directory, synced and then renamed over path. On any error path is
// left as it was and the temporary file is removed.
func (md *Model) SaveFile(path string) error {
	if err := atomicfile.Write(path, 0o644, md.Save); err != nil {
		return fmt.Errorf("bkm: model %s: %w", path, err)
	}
	return nil
}

// Load reads a model written by Save and rebuilds it without solving; threads is as
// in Options.Threads (it is not part of the file). The file is checked field by field:
// unknown fields, trailing data, a format version other than ModelFormatVersion,
// names that do not parse and sizes that do not match are errors naming the field, as
// are coefficients that do not fit the stored problem (ErrShape, ErrNonFinite).
func Load(r io.Reader, threads int) (*Model, error) {
	md, err := load(r, threads)
	if err != nil {
		return nil, fmt.Errorf("bkm: model: %w", err)
	}
	return md, nil
}

// LoadFile is Load from the file at path; errors name the path.
func LoadFile(path string, threads int) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bkm: model: %w", err)
	}
	defer f.Close()
	md, err := load(bufio.NewReader(f), threads)
	if err != nil {
		return nil, fmt.Errorf("bkm: model %s: %w", path, err)
	}
	return md, nil
}

func load(r io.Reader, threads int) (*Model, error) {
	var mf modelFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mf); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("field %q: JSON %s where %s belongs", te.Field, te.Value, te.Type)
		}
		if errors.As(err, &te) {
			return nil, fmt.Errorf("not a bkm model file: JSON %s where an object belongs", te.Value)
		}
		return nil, fmt.Errorf("not a bkm model file: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a bkm model file: data after the JSON object")
	}
	if mf.Version != ModelFormatVersion && mf.Version != 0 {
		return nil, fmt.Errorf("field \"version\": format version %d, this bkm reads version %d", mf.Version, ModelFormatVersion)
	}
	p, o, err := mf.problem()
	if err != nil {
		return nil, err
	}
	md := &Model{Problem: p, FitOptions: o, Report: mf.Report}
	if mf.Problem == "p1" {
		if md.P1, err = NewP1Model(p, mf.Coefficient, threads); err != nil {
			return nil, fmt.Errorf("stored P1 model does not fit its problem (n=%d m=%d p=%d): %w", mf.N, mf.M, mf.P, err)
		}
	} else if md.P2, err = NewP2Model(p, mf.Coefficient, threads); err != nil {
		return nil, fmt.Errorf("stored P2 model does not fit its problem (n=%d m=%d): %w", mf.N, mf.M, err)
	}
	return md, nil
}

// problem checks the fields that name things and builds the Problem and options; the
// shapes and values are checked by NewP1Model and NewP2Model.
func (mf *modelFile) problem() (*Problem, FitOptions, error) {
	var o FitOptions
	if mf.Problem != "p1" && mf.Problem != "p2" {
		return nil, o, fmt.Errorf("field \"problem\" = %q: want \"p1\" or \"p2\"", mf.Problem)
	}
	var err error
	if o.Solver, err = ParseSolver(mf.Solver); err != nil {
		return nil, o, fmt.Errorf("field \"solver\": %s", strings.TrimPrefix(err.Error(), "bkm: "))
	}
	if o.Regularizer, err = ParseRegularizer(mf.Reg); err != nil {
		return nil, o, fmt.Errorf("field \"regularizer\": %s", strings.TrimPrefix(err.Error(), "bkm: "))
	}
	o.Lambda, o.Tol, o.MaxIter, o.Precondition = mf.Lambda, mf.Tol, mf.MaxIter, mf.Precond
	p := &Problem{T: mf.T, N: mf.N, DT: mf.DT, S: mf.S, M: mf.M, DS: mf.DS, Gamma: mf.Gamma,
		WQ: mf.WQ, WK: mf.WK, D: mf.D, Y: mf.Y, Z: mf.Z, P: mf.P, R: mf.R, Mask: mf.Mask}
	if mf.Problem == "p2" {
		if p.Y != nil || p.Z != nil {
			return nil, o, errors.New("fields \"y\", \"z\": a P2 model has responses \"r\"")
		}
		if p.R == nil {
			p.R = []float32{} // validated against N·M like any other length
		}
	} else if p.R != nil || p.Mask != nil {
		return nil, o, errors.New("fields \"r\", \"mask\": a P1 model has responses \"y\" or \"z\"")
	}
	// The shapes bound the projected dimension d before the kernel is built with it.
	p.Kernel = attention.EDP()
	d, err := p.validate()
	if err != nil {
		return nil, o, err
	}
	if p.Kernel, err = kernelByName(mf.Kernel, d); err != nil {
		return nil, o, fmt.Errorf("field \"kernel\": %w", err)
	}
	return p, o, nil
}

// kernelByName is attention.ByName with the size of a favor kernel's random
// projection (D×d) bounded by MaxDenseElements before it is drawn.
func kernelByName(spec string, d int) (Kernel, error) {
	k, err := attention.ByName(spec, 1)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "attention: "))
	}
	if f := k.FeatureDim(1); strings.HasPrefix(k.Name(), "favor") && f > MaxDenseElements/d {
		return nil, fmt.Errorf("%w: kernel %q: %d features × d = %d is more than MaxDenseElements = %d", ErrLimit, spec, f, d, MaxDenseElements)
	}
	return attention.ByName(spec, d)
}
