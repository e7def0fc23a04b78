package simd

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/kernelmachines/bkm/asm"
	"github.com/kernelmachines/bkm/internal/par"
	"github.com/klauspost/cpuid/v2"
)

// impl is one implementation of every routine simd dispatches. Each implementation
// is one table literal: genericImpl (the pure-Go twins) below, and the assembly
// tables in the file of their architecture — avx2Impl and avx512Impl in
// dispatch_amd64.go, neonImpl in dispatch_arm64.go — listed worst first in that
// file's archImpls. A table names the cpuid features it needs; init keeps the tables
// this CPU can run and picks one, once. Tests run every test body through every
// table this machine can run (forEachImpl, conformance_test.go), and
// TestEveryRoutineUnderTest fails for a routine no such test calls.
type impl struct {
	name string
	// needs lists the cpuid features the table needs (nil: none beyond the
	// architecture). cpuid reports AVX2 only when the OS saves the YMM state and
	// AVX512F only when it saves the ZMM and opmask state (XGETBV), so no separate
	// OS check is needed.
	needs []cpuid.FeatureID

	// Level-1 routines; each call handles at most chunk elements (level1.go loops).
	dot   func(x, y []float32) float32
	axpy  func(alpha float32, x, y []float32)
	scale func(alpha float32, x []float32)
	add   func(dst, x, y []float32)
	mul   func(dst, x, y []float32)
	sum   func(x []float32) float32
	max   func(x []float32) float32
	// relu: dst = max(x, 0) (ReLU); nil (NEON) runs the twin asm.ReluGeneric.
	relu func(dst, x []float32) `dispatch:"optional"`
	// reluBackward accumulates dx += dy where x > 0 (ReLUBackward).
	reluBackward func(dx, x, dy []float32)
	// dotRows, sqDistRows, axpyRows: one vector against many rows (DotRows,
	// SqDistRows, AxpyRows); nil means a loop over the rows.
	dotRows    func(q, k []float32, ldk int, s []float32) `dispatch:"optional"`
	sqDistRows func(q, k []float32, ldk int, s []float32) `dispatch:"optional"`
	axpyRows   func(p, v []float32, ldv int, o []float32) `dispatch:"optional"`
	// attendRows folds key rows into one query's online attention state (AttendRows)
	// for len(q) ≤ attendMaxDim; nil (or a longer q) means the twin.
	attendRows func(q, k, v []float32, ld, n, kind int, c float32, st []float32) `dispatch:"optional"`
	// attendHeads runs many heads of one query each to their normalized results
	// (AttendHeads) for d ≤ attendMaxDim; nil (or a longer q) means the twin.
	attendHeads  func(q, k, v, out []float32, heads []asm.AttendHead, d, ld, kind int, c, bias, eps float32, w []float32) `dispatch:"optional"`
	attendMaxDim int

	// GEMM: the micro-kernel computes an mr×nr tile from packed panels; kc, mc, nc
	// are the cache blocks (kc·nr and kc·mr panels stay in L1, mc×kc of A in L2,
	// kc×nc of B in L3).
	mr, nr     int
	kc, mc, nc int
	gemmKernel func(k int, a, b, c []float32, ldc int, alpha, beta float32)
	// gemmDirect, if set, is the micro-kernel on unpacked row-major operands (A rows
	// with stride lda, B rows with stride ldb): small problems skip packing with it.
	gemmDirect func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) `dispatch:"optional"`
	// gemmDirectCopy, if set, is gemmDirect that also copies rows rows of nr values
	// (stride lds) into a dense panel while it computes (asm.SgemmDirectCopyGeneric):
	// sgemmDirectPanels packs B's next column panel with it.
	gemmDirectCopy func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, src []float32, lds, rows int, dst []float32) `dispatch:"optional"`
	// packA, if set, interleaves mr rows of A (stride lda) into a panel of k steps;
	// nil means the Go loop in packA.
	packA func(k int, a []float32, lda int, dst []float32) `dispatch:"optional"`
	// packAT, if set, copies mr consecutive values of each of k rows of A (stride
	// lda) into each of panels consecutive panels of op(A) = Aᵀ (panel q from
	// columns q·mr.., at dst[q·mr·k:]); nil means the Go loop in packA.
	packAT func(k int, a []float32, lda int, dst []float32, panels int) `dispatch:"optional"`
	// packB, if set, copies nr columns of k rows of B (stride ldb) into a panel; nil
	// means the Go loop in packB.
	packB func(k int, b []float32, ldb int, dst []float32) `dispatch:"optional"`
	// packBT, if set, gathers nr rows of B (stride ldb) into the panel of op(B) = Bᵀ;
	// nil means the Go loop in packB.
	packBT func(k int, b []float32, ldb int, dst []float32) `dispatch:"optional"`
	// narrow, if set, runs products with n ≤ nr/2 instead: a tile twice as wide as the
	// output would waste half of every FMA and send every tile through the scratch
	// tile. It must need no feature the table itself does not need.
	narrow *impl
	// small, if set, runs products too small to repay packing (sgemm_small.go); nil
	// sends them down the tiled path.
	small *smallGemm

	// Vector math; each call handles at most chunk elements (vecmath.go loops).
	exp    func(dst, src []float32)
	log    func(dst, src []float32)
	tanh   func(dst, src []float32)
	expSub func(dst, src []float32, m float32) float32 // dst = e^(src−m), returns Σ dst
	expSum func(x []float32, m float32) float32        // Σ e^(x−m), nothing stored
	gelu   func(dst, src []float32)
	// geluBackward accumulates dx += gelu'(x)·dy.
	geluBackward func(dx, x, dy []float32)
	// adamw applies one AdamW update to a span (asm.AdamWGeneric); each call handles
	// at most chunk elements (AdamW loops).
	adamw func(p, g, m, v []float32, a *asm.AdamWArgs) float32
	// layerNormRow, layerNormBackwardRow and layerNormParams are the layer-norm row
	// kernels (asm.LayerNormRowGeneric, …); LayerNorm, LayerNormBackward and
	// LayerNormParams loop over rows.
	layerNormRow         func(dst, x, w, b []float32, eps float64) (mean, rstd float32)
	layerNormBackwardRow func(dx, dy, x, w, res []float32, mean, rstd float32)
	layerNormParams      func(dw, db, dy, x []float32, ld int, mean, rstd []float32)
	// transpose8 transposes an 8×n strip, n a multiple of 8 (asm.Transpose8Generic).
	transpose8 func(n int, src []float32, lds int, dst []float32, ldd int)
	// expLarge, if set, is exp tuned for arrays larger than L2 (it prefetches
	// ahead); len(dst) must be a multiple of 64. Exp runs the rest with exp.
	expLarge func(dst, src []float32) `dispatch:"optional"`
}

// genericImpl runs the pure-Go twins; it runs everywhere. Every table sets every
// routine but those tagged optional, which callers replace with a Go loop when nil
// (TestTablesComplete).
var genericImpl = &impl{
	name: "generic",

	dot:   asm.DotGeneric,
	axpy:  asm.AxpyGeneric,
	scale: asm.ScaleGeneric,
	add:   asm.AddGeneric,
	mul:   asm.MulGeneric,
	sum:   asm.SumGeneric,
	max:   asm.MaxGeneric,
	relu:  asm.ReluGeneric,

	reluBackward: asm.ReluBackwardGeneric,

	dotRows:    asm.DotRowsGeneric,
	sqDistRows: asm.SqDistRowsGeneric,
	axpyRows:   asm.AxpyRowsGeneric,

	mr: 4, nr: 4,
	kc: 256, mc: 64, nc: 1024,
	gemmKernel: sgemmKernel4x4Generic,
	small: &smallGemm{
		mr: 4, nr: 16, tile: asm.SgemmSmallGeneric,
		rowNR: 64, row: asm.SgemvRowGeneric,
		dotMR: 4, dot: sgemvDotGeneric,
		transpose: asm.TransposeGeneric,
	},

	exp:          asm.ExpGeneric,
	log:          asm.LogGeneric,
	tanh:         asm.TanhGeneric,
	expSub:       asm.ExpSubGeneric,
	expSum:       asm.ExpSumGeneric,
	gelu:         asm.GeluGeneric,
	geluBackward: asm.GeluBackwardGeneric,
	adamw:        asm.AdamWGeneric,
	transpose8:   asm.Transpose8Generic,

	layerNormRow:         asm.LayerNormRowGeneric,
	layerNormBackwardRow: asm.LayerNormBackwardRowGeneric,
	layerNormParams:      asm.LayerNormParamsGeneric,
}

// sgemmKernel4x4Generic is the generic table's micro-kernel: the pure-Go tile loop
// at mr×nr = 4×4.
func sgemmKernel4x4Generic(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	asm.SgemmKernelGeneric(4, 4, k, a, b, c, ldc, alpha, beta)
}

// sgemvDotGeneric is the generic table's GEMV kernel y = alpha·A·x + beta·y: the
// pure-Go loop, 8 lanes.
func sgemvDotGeneric(k int, a []float32, lda int, x, y []float32, incy, rows int, alpha, beta float32) {
	asm.SgemvDotGeneric(8, k, a, lda, x, y, incy, rows, alpha, beta)
}

var (
	active    *impl   // the implementation in use
	available []*impl // every implementation this machine can run, generic first
	reason    string  // why active was chosen
	threads   atomic.Int32
)

func init() {
	SetThreads(0)
	available = runnable(archImpls, cpuid.CPU)
	var err error
	active, reason, err = chooseImpl(strings.TrimSpace(os.Getenv("BKM_SIMD")), archImpls, cpuid.CPU)
	if err != nil {
		panic(err.Error())
	}
}

// features is what dispatch asks of the CPU: cpuid.CPU, or a stand-in in tests.
type features interface {
	Supports(ids ...cpuid.FeatureID) bool
}

// runnable returns genericImpl followed by the tables of arch (worst first) that
// cpu can run.
func runnable(arch []*impl, cpu features) []*impl {
	list := []*impl{genericImpl}
	for _, im := range arch {
		if cpu.Supports(im.needs...) {
			list = append(list, im)
		}
	}
	return list
}

// chooseImpl picks the table named want, or the best one this CPU can run when want
// is empty, and says why. A name this CPU cannot run is an error: a silent fallback
// would hide that.
func chooseImpl(want string, arch []*impl, cpu features) (*impl, string, error) {
	list := runnable(arch, cpu)
	if want == "" {
		best := list[len(list)-1]
		return best, "best available on this CPU: " + explain(best, arch, cpu), nil
	}
	for _, im := range list {
		if im.name == want {
			return im, "forced by BKM_SIMD=" + want, nil
		}
	}
	why := fmt.Sprintf("no %q table in this build, which has %s", want, implNames(append([]*impl{genericImpl}, arch...)))
	for _, im := range arch {
		if im.name == want {
			why = fmt.Sprintf("%s needs %s, which cpuid does not report; %s", want, featureNames(missing(im, cpu)), archNote)
		}
	}
	return nil, "", fmt.Errorf("simd: BKM_SIMD=%q cannot run on this machine (%s/%s: %s); available: %s",
		want, runtime.GOOS, runtime.GOARCH, why, implNames(list))
}

// explain says why best is the best table cpu can run: the features it uses, and
// what each table it cannot run lacks.
func explain(best *impl, arch []*impl, cpu features) string {
	parts := []string{archNote}
	if len(best.needs) > 0 {
		parts = []string{"cpuid reports " + featureNames(best.needs), archNote}
	}
	for _, im := range arch {
		if m := missing(im, cpu); len(m) > 0 {
			parts = append(parts, im.name+" needs "+featureNames(m))
		}
	}
	return strings.Join(parts, "; ")
}

// missing lists the features im needs that cpu lacks.
func missing(im *impl, cpu features) []cpuid.FeatureID {
	var m []cpuid.FeatureID
	for _, f := range im.needs {
		if !cpu.Supports(f) {
			m = append(m, f)
		}
	}
	return m
}

func featureNames(ids []cpuid.FeatureID) string {
	names := make([]string, len(ids))
	for i, f := range ids {
		names[i] = f.String()
	}
	return strings.Join(names, "+")
}

func implNames(list []*impl) string { return strings.Join(namesOf(list), ", ") }

func namesOf(list []*impl) []string {
	names := make([]string, len(list))
	for i, im := range list {
		names[i] = im.name
	}
	return names
}

// Implementations lists the implementations this machine can run, generic first.
func Implementations() []string { return namesOf(available) }

// MaxThreads is the most goroutines one parallel call can use (a GEMM splits into at
// most this many parts); SetThreads clamps larger counts to it.
const MaxThreads = par.MaxWorkers

// SetThreads sets how many goroutines the parallel routines (GEMM) may use; n ≤ 0
// restores the default, GOMAXPROCS, and n > MaxThreads is clamped to MaxThreads
// (more could never be used; callers taking a count from users should reject it
// themselves, as train.Config.Validate does). It is safe to call at any time; calls
// already running keep the count they started with.
func SetThreads(n int) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	threads.Store(int32(min(n, MaxThreads)))
}

// Threads reports the thread count set by SetThreads.
func Threads() int { return int(threads.Load()) }

// InfoReport says which implementation runs and why.
type InfoReport struct {
	Path      string   // "generic", "avx2", "avx512" or "neon"
	Reason    string   // why that path was chosen
	Available []string // every path this machine can run
	CPU       string   // brand string and the feature flags the tables need
	GOARCH    string
	Threads   int
	GemmTile  [2]int // micro-kernel register tile, mr×nr
	GemmBlock [3]int // cache blocks kc, mc, nc
}

func (r InfoReport) String() string {
	return fmt.Sprintf("simd: path=%s (%s); available=%s; %s/%s; threads=%d; gemm tile %dx%d, blocks kc=%d mc=%d nc=%d; cpu: %s",
		r.Path, r.Reason, strings.Join(r.Available, ","), runtime.GOOS, r.GOARCH, r.Threads,
		r.GemmTile[0], r.GemmTile[1], r.GemmBlock[0], r.GemmBlock[1], r.GemmBlock[2], r.CPU)
}

// Info reports the implementation in use, why it was chosen, and the CPU it runs on.
func Info() InfoReport {
	return InfoReport{
		Path:      active.name,
		Reason:    reason,
		Available: Implementations(),
		CPU:       cpuDescription(),
		GOARCH:    runtime.GOARCH,
		Threads:   Threads(),
		GemmTile:  [2]int{active.mr, active.nr},
		GemmBlock: [3]int{active.kc, active.mc, active.nc},
	}
}

// cpuDescription names the CPU and which of the features the tables need it has.
func cpuDescription() string {
	var has []string
	seen := map[cpuid.FeatureID]bool{}
	for _, im := range archImpls {
		for _, f := range im.needs {
			if !seen[f] && cpuid.CPU.Supports(f) {
				has = append(has, strings.ToLower(f.String()))
			}
			seen[f] = true
		}
	}
	brand := cpuid.CPU.BrandName
	if brand == "" {
		brand = "unknown CPU"
	}
	if len(has) == 0 {
		return brand
	}
	return brand + " [" + strings.Join(has, " ") + "]"
}

// l2Bytes is the per-core L2 cache size from cpuid, or 1 MiB when it is unknown.
func l2Bytes() int {
	if l2 := cpuid.CPU.Cache.L2; l2 > 0 {
		return l2
	}
	return 1 << 20
}
