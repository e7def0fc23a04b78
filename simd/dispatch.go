package simd

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/kernelmachines/bkm/asm"
	"github.com/kernelmachines/bkm/internal/par"
)

// impl is one implementation of every routine simd dispatches: the pure-Go twins
// ("generic"), AVX2+FMA ("avx2"), AVX2+FMA with AVX-512F GEMM, level-1 and vector math ("avx512") or NEON
// ("neon"). The table is filled once at init; tests swap it with useImpl to run one
// test body through every implementation.
type impl struct {
	name string

	dot   func(x, y []float32) float32
	axpy  func(alpha float32, x, y []float32)
	scale func(alpha float32, x []float32)
	add   func(dst, x, y []float32)
	mul   func(dst, x, y []float32)
	sum   func(x []float32) float32
	max   func(x []float32) float32
	// dotRows, sqDistRows, axpyRows: one vector against many rows (DotRows,
	// SqDistRows, AxpyRows); nil means a loop over the rows.
	dotRows    func(q, k []float32, ldk int, s []float32)
	sqDistRows func(q, k []float32, ldk int, s []float32)
	axpyRows   func(p, v []float32, ldv int, o []float32)

	// GEMM: the micro-kernel computes an mr×nr tile from packed panels; kc, mc, nc
	// are the cache blocks (kc·nr and kc·mr panels stay in L1, mc×kc of A in L2,
	// kc×nc of B in L3).
	mr, nr     int
	kc, mc, nc int
	gemmKernel func(k int, a, b, c []float32, ldc int, alpha, beta float32)
	// gemmDirect, if set, is the micro-kernel on unpacked row-major operands (A rows
	// with stride lda, B rows with stride ldb): small problems skip packing with it.
	gemmDirect func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
	// packA, if set, interleaves mr rows of A (stride lda) into a panel of k steps;
	// nil means the Go loop in packA.
	packA func(k int, a []float32, lda int, dst []float32)
	// packAT, if set, copies mr consecutive values of each of k rows of A (stride
	// lda) into the panel of op(A) = Aᵀ; nil means the Go loop in packA.
	packAT func(k int, a []float32, lda int, dst []float32)
	// packB, if set, copies nr columns of k rows of B (stride ldb) into a panel; nil
	// means the Go loop in packB.
	packB func(k int, b []float32, ldb int, dst []float32)
	// packBT, if set, gathers nr rows of B (stride ldb) into the panel of op(B) = Bᵀ;
	// nil means the Go loop in packB.
	packBT func(k int, b []float32, ldb int, dst []float32)
	// narrow, if set, runs products with n ≤ nr/2 instead: a tile twice as wide as the
	// output would waste half of every FMA and send every tile through the scratch
	// tile (the avx512 GEMM hands n ≤ 16, e.g. 16-wide attention heads, to avx2:
	// 1024×16×64 ran at 105 GFLOP/s that way, 69 on the 8×32 tile).
	narrow *impl

	vecmathKernels // exp, log, tanh, softmax passes: filled by registerVecmath (vecmath_dispatch.go)
}

// genericImpl runs the pure-Go twins; it is always available.
var genericImpl = &impl{
	name:       "generic",
	dot:        asm.DotGeneric,
	axpy:       asm.AxpyGeneric,
	scale:      asm.ScaleGeneric,
	add:        asm.AddGeneric,
	mul:        asm.MulGeneric,
	sum:        asm.SumGeneric,
	max:        asm.MaxGeneric,
	dotRows:    asm.DotRowsGeneric,
	sqDistRows: asm.SqDistRowsGeneric,
	axpyRows:   asm.AxpyRowsGeneric,
	mr:         4, nr: 4,
	kc: 256, mc: 64, nc: 1024,
	gemmKernel: func(k int, a, b, c []float32, ldc int, alpha, beta float32) {
		asm.SgemmKernelGeneric(4, 4, k, a, b, c, ldc, alpha, beta)
	},
}

var (
	active    *impl   // the implementation in use
	available []*impl // every implementation this machine can run, generic first
	reason    string  // why active was chosen
	threads   atomic.Int32
)

func init() {
	SetThreads(0)
	available = append([]*impl{genericImpl}, archImpls()...)
	available = registerVecmath(available)
	var err error
	active, reason, err = chooseImpl(strings.TrimSpace(os.Getenv("BKM_SIMD")), available)
	if err != nil {
		panic(err.Error())
	}
}

// chooseImpl picks the implementation named want from list (ordered worst to best),
// or the best one when want is empty. A name not in list is an error: the machine
// cannot run it, and a silent fallback would hide that.
func chooseImpl(want string, list []*impl) (*impl, string, error) {
	if want == "" {
		return list[len(list)-1], "best available on this CPU: " + archReason(), nil
	}
	names := make([]string, len(list))
	for i, im := range list {
		if im.name == want {
			return im, "forced by BKM_SIMD=" + want, nil
		}
		names[i] = im.name
	}
	return nil, "", fmt.Errorf("simd: BKM_SIMD=%q cannot run on this machine (%s/%s, %s); available: %s",
		want, runtime.GOOS, runtime.GOARCH, archReason(), strings.Join(names, ", "))
}

// Implementations lists the implementations this machine can run, generic first.
func Implementations() []string {
	names := make([]string, len(available))
	for i, im := range available {
		names[i] = im.name
	}
	return names
}

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
	CPU       string   // brand string and the relevant feature flags
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
