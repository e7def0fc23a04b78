package simd

import (
	"errors"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/stretchr/testify/require"
)

// fakeCPU stands in for cpuid.CPU: it supports exactly the features listed.
type fakeCPU []cpuid.FeatureID

func (c fakeCPU) Supports(ids ...cpuid.FeatureID) bool {
	for _, id := range ids {
		if !slices.Contains(c, id) {
			return false
		}
	}
	return true
}

// TestChooseImpl: an empty BKM_SIMD picks the last (best) table the CPU can run and
// says what the better ones lack, a name picks that table, and a name the CPU cannot
// run, or that no table has, is an error naming it and what is available.
func TestChooseImpl(t *testing.T) {
	fast := &impl{name: "fast", needs: []cpuid.FeatureID{cpuid.AVX2}}
	faster := &impl{name: "faster", needs: []cpuid.FeatureID{cpuid.AVX2, cpuid.AVX512F}}
	arch := []*impl{fast, faster}
	cpu := fakeCPU{cpuid.AVX2}

	im, why, err := chooseImpl("", arch, cpu)
	require.NoError(t, err)
	require.Same(t, fast, im)
	require.Contains(t, why, "best available on this CPU: cpuid reports AVX2; ")
	require.Contains(t, why, "; faster needs AVX512F")

	im, _, err = chooseImpl("", arch, fakeCPU{cpuid.AVX2, cpuid.AVX512F})
	require.NoError(t, err)
	require.Same(t, faster, im)

	im, why, err = chooseImpl("", arch, fakeCPU{})
	require.NoError(t, err)
	require.Same(t, genericImpl, im)
	require.Contains(t, why, "fast needs AVX2; faster needs AVX2+AVX512F")

	im, why, err = chooseImpl("generic", arch, cpu)
	require.NoError(t, err)
	require.Same(t, genericImpl, im)
	require.Equal(t, "forced by BKM_SIMD=generic", why)

	_, _, err = chooseImpl("faster", arch, cpu)
	require.Error(t, err)
	require.Contains(t, err.Error(), `BKM_SIMD="faster" cannot run on this machine`)
	require.Contains(t, err.Error(), "faster needs AVX512F, which cpuid does not report")
	require.Contains(t, err.Error(), "available: generic, fast")

	_, _, err = chooseImpl("nope", arch, cpu)
	require.Error(t, err)
	require.Contains(t, err.Error(), `BKM_SIMD="nope" cannot run on this machine`)
	require.Contains(t, err.Error(), `no "nope" table in this build, which has generic, fast, faster`)
}

// TestImpossibleRequestFailsAtStart runs this test binary with a BKM_SIMD no table
// has: it must stop at init with the message .ci/run looks for.
func TestImpossibleRequestFailsAtStart(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BKM_SIMD=no-such-path")
	out, err := cmd.CombinedOutput()
	var execErr *exec.Error
	if errors.As(err, &execErr) || (err != nil && len(out) == 0) {
		t.Skipf("cannot re-run the test binary here (e.g. under qemu-user): %v", err)
	}
	require.Error(t, err, "BKM_SIMD=no-such-path was accepted:\n%s", out)
	require.Contains(t, string(out), `BKM_SIMD="no-such-path" cannot run on this machine`)
}

// TestAvailableOrder: generic comes first, every name is known and appears once, the
// active implementation is one of them, and on amd64 avx512 (when present) comes
// after avx2, so that it is the default.
func TestAvailableOrder(t *testing.T) {
	names := Implementations()
	require.Equal(t, "generic", names[0])
	rank := map[string]int{"generic": 0, "avx2": 1, "neon": 1, "avx512": 2}
	for i, n := range names {
		r, ok := rank[n]
		require.True(t, ok, "unknown implementation %q", n)
		if i > 0 {
			require.Greater(t, r, rank[names[i-1]], "order %v", names)
		}
	}
	require.Contains(t, names, Info().Path)
	require.Equal(t, runnable(archImpls, cpuid.CPU), available)
}

// routine is one function pointer of the tables: a field of impl, or ("small.tile")
// of its small-product kernels.
type routine struct {
	name     string
	optional bool // tagged dispatch:"optional": nil means the caller's Go loop
	of       func(im *impl) (fn reflect.Value, ok bool)
}

// routines lists every routine a table holds; of reports ok = false for the small
// kernels of a table without them.
func routines() []routine {
	var list []routine
	add := func(prefix string, typ reflect.Type, holder func(im *impl) (reflect.Value, bool)) {
		for _, f := range reflect.VisibleFields(typ) {
			if f.Type.Kind() == reflect.Func {
				list = append(list, routine{prefix + f.Name, f.Tag.Get("dispatch") == "optional", func(im *impl) (reflect.Value, bool) {
					v, ok := holder(im)
					if !ok {
						return reflect.Value{}, false
					}
					return v.FieldByIndex(f.Index), true
				}})
			}
		}
	}
	add("", reflect.TypeFor[impl](), func(im *impl) (reflect.Value, bool) { return reflect.ValueOf(im).Elem(), true })
	add("small.", reflect.TypeFor[smallGemm](), func(im *impl) (reflect.Value, bool) {
		if im.small == nil {
			return reflect.Value{}, false
		}
		return reflect.ValueOf(im.small).Elem(), true
	})
	return list
}

// TestTablesComplete checks every table compiled in, including those this CPU cannot
// run: a unique name, positive tile and block sizes, every routine not tagged
// optional (in its small-product kernels too, if it has them), and a narrow table that is itself registered, narrower, and needs nothing
// more than the table using it.
func TestTablesComplete(t *testing.T) {
	all := append([]*impl{genericImpl}, archImpls...)
	seen := map[string]bool{}
	for _, im := range all {
		require.False(t, seen[im.name], "two tables named %q", im.name)
		seen[im.name] = true
		for _, size := range []int{im.mr, im.nr, im.kc, im.mc, im.nc} {
			require.Positive(t, size, "%s: tile or block size", im.name)
		}
		for _, r := range routines() {
			if fn, ok := r.of(im); ok && !r.optional {
				require.False(t, fn.IsNil(), "%s: no %s", im.name, r.name)
			}
		}
		if s := im.small; s != nil {
			for _, size := range []int{s.mr, s.nr, s.rowNR, s.dotMR} {
				require.Positive(t, size, "%s: small-product tile size", im.name)
			}
			// The small path rounds m and n down to whole tiles with masks.
			require.Zero(t, s.mr&(s.mr-1), "%s: small-product mr %d is not a power of two", im.name, s.mr)
			require.Zero(t, s.nr&(s.nr-1), "%s: small-product nr %d is not a power of two", im.name, s.nr)
		}
		if im.narrow != nil {
			require.Contains(t, archImpls, im.narrow, "%s: narrow table is not registered", im.name)
			require.Less(t, im.narrow.nr, im.nr, "%s: narrow table is not narrower", im.name)
			require.Empty(t, missing(im.narrow, fakeCPU(im.needs)), "%s: narrow table %s needs more", im.name, im.narrow.name)
		}
	}
}

// TestEveryRoutineUnderTest: every routine of the tables must be run by a test that
// runs every implementation — in a function or closure taking an *impl (the bodies
// forEachImpl runs, the conformance tables' run functions) or a loop over available —
// either directly (im.exp) or through a function of the package that calls it on the
// active table (Exp calls active.exp). A routine added to impl fails here until such
// a test runs it; adding a table needs nothing, as those tests iterate over the tables.
func TestEveryRoutineUnderTest(t *testing.T) {
	parsed := func(pattern string, test bool) []*ast.File {
		names, err := filepath.Glob(pattern)
		require.NoError(t, err)
		var files []*ast.File
		for _, name := range names {
			if ok, err := build.Default.MatchFile(".", name); err != nil || !ok || strings.HasSuffix(name, "_test.go") != test {
				continue // built for another GOOS/GOARCH, or a test file among the sources
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
			require.NoError(t, err)
			files = append(files, f)
		}
		return files
	}
	// selected lists the fields body selects on the variables vars.
	selected := func(body ast.Node, vars map[string]bool) []string {
		var fields []string
		ast.Inspect(body, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && vars[id.Name] {
					fields = append(fields, sel.Sel.Name)
				}
			}
			return true
		})
		return fields
	}
	// viaActive: the routines each function of the package runs on the active table.
	viaActive := map[string][]string{}
	for _, f := range parsed("*.go", false) {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Body != nil {
				viaActive[fd.Name.Name] = selected(fd.Body, map[string]bool{"active": true})
			}
		}
	}
	tested := map[string]bool{}
	record := func(body ast.Node, vars map[string]bool) {
		for _, field := range selected(body, vars) {
			tested[field] = true
		}
		small := map[string]bool{} // s := smallFor(im), smallOrSkip(t, im) or im.small
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok {
					for _, field := range viaActive[id.Name] {
						tested[field] = true
					}
				}
			case *ast.AssignStmt:
				if len(n.Lhs) != 1 || len(n.Rhs) != 1 {
					break
				}
				lhs, ok := n.Lhs[0].(*ast.Ident)
				if !ok {
					break
				}
				switch rhs := n.Rhs[0].(type) {
				case *ast.CallExpr:
					// smallFor(im), or smallOrSkip(t, im): the table is the last argument.
					if fn, ok := rhs.Fun.(*ast.Ident); ok && (fn.Name == "smallFor" || fn.Name == "smallOrSkip") && len(rhs.Args) > 0 {
						if arg, ok := rhs.Args[len(rhs.Args)-1].(*ast.Ident); ok && vars[arg.Name] {
							small[lhs.Name] = true
						}
					}
				case *ast.SelectorExpr:
					if x, ok := rhs.X.(*ast.Ident); ok && vars[x.Name] && rhs.Sel.Name == "small" {
						small[lhs.Name] = true
					}
				}
			}
			return true
		})
		for _, field := range selected(body, small) {
			tested["small."+field] = true
		}
	}
	implParams := func(ft *ast.FuncType) map[string]bool {
		vars := map[string]bool{}
		for _, p := range ft.Params.List {
			if star, ok := p.Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == "impl" {
					for _, name := range p.Names {
						vars[name.Name] = true
					}
				}
			}
		}
		return vars
	}
	for _, f := range parsed("*_test.go", true) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if vars := implParams(n.Type); len(vars) > 0 && n.Body != nil {
					record(n.Body, vars)
				}
			case *ast.FuncLit:
				if vars := implParams(n.Type); len(vars) > 0 {
					record(n.Body, vars)
				}
			case *ast.RangeStmt:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "available" {
					if v, ok := n.Value.(*ast.Ident); ok {
						record(n.Body, map[string]bool{v.Name: true})
					}
				}
			}
			return true
		})
	}
	for _, r := range routines() {
		require.True(t, tested[r.name], "no test runs impl.%s on every implementation (see forEachImpl)", r.name)
	}
}
