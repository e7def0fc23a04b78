package bkm

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/attention"
	"github.com/stretchr/testify/require"
)

// The matrix-free products must equal the products with the materialized K, for
// every shape class: sizes straddling the tiles, one and several right-hand sides,
// one and several workers, plain and squared.
func TestOperatorMatchesDense(t *testing.T) {
	rng := newRNG(7)
	for _, kern := range []attention.Kernel{attention.EDP(), attention.RBF(), attention.Laplace(), attention.Poly(2, 1), attention.Linear()} {
		for _, sz := range [][2]int{{1, 1}, {tileRows + 3, tileCols - 1}, {2*tileRows + 1, tileCols + 5}, {37, 2*tileCols + 9}} {
			for _, np := range []int{1, 3} {
				for _, threads := range []int{1, 3} {
					name := fmt.Sprintf("%s/%dx%d/p%d/t%d", kern.Name(), sz[0], sz[1], np, threads)
					n, m, d := sz[0], sz[1], 6
					p := &Problem{T: randMat(rng, n, d, 0.5), N: n, DT: d, S: randMat(rng, m, d, 0.5), M: m, DS: d, Kernel: kern}
					op, err := NewOperator(p, threads)
					require.NoError(t, err)
					require.Equal(t, threads, op.Threads())
					K := op.Dense()
					x := f64(randMat(rng, m, np, 1))
					y := f64(randMat(rng, n, np, 1))
					got := make([]float64, n*np)
					op.Mul(got, x, np)
					require.Less(t, relErr(got, matMul(K, n, m, x, np)), 1e-5, name)
					gotT := make([]float64, m*np)
					op.MulT(gotT, y, np)
					require.Less(t, relErr(gotT, matMul(transpose(K, n, m), m, n, y, np)), 1e-5, name)
					K2 := append([]float64(nil), K...)
					for i := range K2 {
						K2[i] *= K2[i]
					}
					op.MulSquared(got, x, np)
					require.Less(t, relErr(got, matMul(K2, n, m, x, np)), 1e-5, name)
					op.MulTSquared(gotT, y, np)
					require.Less(t, relErr(gotT, matMul(transpose(K2, n, m), m, n, y, np)), 1e-5, name)
				}
			}
		}
	}
}

// Products are allocation-free after the first call, with one and two workers.
func TestOperatorZeroAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rng := newRNG(8)
	n, m, d := 300, 700, 8
	p := &Problem{T: randMat(rng, n, d, 0.5), N: n, DT: d, S: randMat(rng, m, d, 0.5), M: m, DS: d, Kernel: attention.EDP()}
	for _, threads := range []int{1, 2} {
		op, err := NewOperator(p, threads)
		require.NoError(t, err)
		for _, np := range []int{1, 2} {
			x, y := make([]float64, m*np), make([]float64, n*np)
			op.Mul(y, x, np)
			op.MulT(x, y, np)
			allocs := testing.AllocsPerRun(50, func() {
				op.Mul(y, x, np)
				op.MulT(x, y, np)
			})
			require.Zero(t, allocs, "threads=%d p=%d", threads, np)
		}
	}
}

func TestOperatorPanicsOnBadLengths(t *testing.T) {
	rng := newRNG(9)
	p := &Problem{T: randMat(rng, 4, 2, 1), N: 4, DT: 2, S: randMat(rng, 5, 2, 1), M: 5, DS: 2, Kernel: attention.EDP()}
	op, err := NewOperator(p, 1)
	require.NoError(t, err)
	require.PanicsWithValue(t, "bkm: Operator.Mul: len(x) = 4 != m·p = 5·1", func() { op.Mul(make([]float64, 4), make([]float64, 4), 1) })
	require.PanicsWithValue(t, "bkm: Operator.MulT: len(dst) = 4 != m·p = 5·1", func() { op.MulT(make([]float64, 4), make([]float64, 4), 1) })
	require.PanicsWithValue(t, "bkm: Operator.Mul: p = 0 < 1", func() { op.Mul(nil, nil, 0) })
}

// Operators start no goroutines of their own (they share the pool of internal/par),
// and an unreachable Operator is collected: the pool keeps no reference to it.
func TestOperatorSharesPoolAndIsCollected(t *testing.T) {
	rng := newRNG(10)
	p := &Problem{T: randMat(rng, 300, 2, 1), N: 300, DT: 2, S: randMat(rng, 10, 2, 1), M: 10, DS: 2, Kernel: attention.EDP()}
	before := runtime.NumGoroutine()
	var collected atomic.Int32
	for range 20 {
		op, err := NewOperator(p, 3)
		require.NoError(t, err)
		op.Mul(make([]float64, 300), make([]float64, 10), 1) // 3 row tiles: 3 workers
		runtime.AddCleanup(op, func(c *atomic.Int32) { c.Add(1) }, &collected)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before+2, "the pool grows to 2 goroutines at most")
	require.Eventually(t, func() bool {
		runtime.GC()
		return collected.Load() == 20
	}, 5*time.Second, 10*time.Millisecond)
}
