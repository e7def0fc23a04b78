package train

import (
	"runtime"
	"testing"

	"github.com/kernelmachines/bkm/internal/alloctest"
	"github.com/kernelmachines/bkm/simd"

	"github.com/stretchr/testify/require"
)

// TestStepAllocations: a training step (forward, backward, clipping, AdamW, every dropout on)
// allocates nothing once the arenas fit the batch shape, for both architectures.
func TestStepAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items and adds allocations")
	}
	defer simd.SetThreads(simd.Threads())
	for _, threads := range []int{1, 2} {
		simd.SetThreads(threads)
		for _, arch := range []string{"encdec", "decoder"} {
			cfg := DefaultConfig()
			cfg.Model = tinyModelConfig(arch)
			cfg.Model.Dropout, cfg.Model.ActivationDropout, cfg.Model.LabelSmoothing = 0.1, 0.1, 0.1
			cfg.Model.AttentionDropout = 0.1
			cfg.Data = DataConfig{MaxTokens: 64, Batch: 2, Context: 8}
			tr, err := NewTrainer(cfg)
			require.NoError(t, err)
			bt := tinyBatch(arch)
			_, err = tr.Step(bt) // warm-up: sizes the activation arena and the pools
			require.NoError(t, err)
			// Every allocation of 20 steps, by stack (AllocsPerRun's truncated mean
			// would hide a few; MemStats would count the runtime's own).
			n, report := alloctest.Library(func() {
				for range 20 {
					if _, err := tr.Step(bt); err != nil {
						t.Fatal(err)
					}
				}
			})
			require.Zero(t, n, "%s, %d threads:\n%s", arch, threads, report)
		}
	}
}

// TestParallelLayersMatchSerial: the row-parallel GELU, element-wise sum and product,
// cross-entropy backward, layer norm, dropout and AdamW give the serial functions'
// results bit for bit with 2 threads.
func TestParallelLayersMatchSerial(t *testing.T) {
	defer simd.SetThreads(0)
	simd.SetThreads(2)
	rng := newRNG(9)
	n, c := 300, 256 // 76 800 elements: above parMinWork
	x := randSlice(rng, n*c, 1)
	w, b := randSlice(rng, c, 1), randSlice(rng, c, 1)
	dy := randSlice(rng, n*c, 1)
	var p rowPar
	// GELU.
	y1, y2 := make([]float32, n*c), make([]float32, n*c)
	geluForward(y1, x)
	p.gelu(y2, x)
	require.Equal(t, y1, y2)
	// GELU after a bias, which it adds to its input in place.
	bias := randSlice(rng, c, 1)
	h1, h2 := append([]float32(nil), x...), append([]float32(nil), x...)
	for r := 0; r < n; r++ {
		simd.Add(h1[r*c:(r+1)*c], h1[r*c:(r+1)*c], bias)
	}
	geluForward(y1, h1)
	p.geluBias(y2, h2, bias, n, c)
	require.Equal(t, h1, h2)
	require.Equal(t, y1, y2)
	d1, d2 := make([]float32, n*c), make([]float32, n*c)
	geluBackward(d1, dy, x)
	p.geluBackward(d2, dy, x, false)
	require.Equal(t, d1, d2)
	copy(d2, y1) // set overwrites whatever dinp held
	p.geluBackward(d2, dy, x, true)
	require.Equal(t, d1, d2)
	// Element-wise sum and product.
	simd.Add(y1, x, dy)
	p.add(y2, x, dy)
	require.Equal(t, y1, y2)
	simd.Mul(y1, x, dy)
	p.mul(y2, x, dy)
	require.Equal(t, y1, y2)
	// Cross-entropy backward over rows of c classes, one row ignored.
	tg := make([]int32, n)
	for i := range tg {
		tg[i] = int32(i % c)
	}
	tg[7] = 3
	crossEntropyBackward(y1, x, tg, 3, 0.1, 0.25, n, c)
	p.crossEntropyBackward(y2, x, tg, 3, 0.1, 0.25, n, c)
	require.Equal(t, y1, y2)
	// Layer norm.
	m1, r1, m2, r2 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	layerNormForward(y1, m1, r1, x, w, b, n, c)
	p.layerNorm(y2, m2, r2, x, w, b, n, c)
	require.Equal(t, y1, y2)
	require.Equal(t, r1, r2)
	dw1, db1, dw2, db2 := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	clear(d1)
	clear(d2)
	layerNormBackward(d1, dw1, db1, dy, x, w, m1, r1, n, c)
	p.layerNormBackward(d2, d2, dw2, db2, dy, x, w, m2, r2, n, c)
	require.Equal(t, d1, d2)
	require.Equal(t, dw1, dw2)
	require.Equal(t, db1, db2)
	// Dropout.
	mk1, mk2 := make([]float32, n*c), make([]float32, n*c)
	dropoutForward(y1, mk1, x, 0.3, 5, 6, 7)
	p.dropout(y2, mk2, x, 0.3, 5, 6, 7)
	require.Equal(t, mk1, mk2)
	require.Equal(t, y1, y2)
	// AdamW: 2 threads vs 1 thread.
	tensors := []Tensor{{Name: "a", Offset: 0, Size: 50000, Decay: true}, {Name: "b", Offset: 50000, Size: n*c - 50000}}
	cfg := OptimConfig{LR: 1e-2, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.1}
	pa, pb := append([]float32(nil), x...), append([]float32(nil), x...)
	oa, ob := NewAdamW(cfg, tensors, n*c), NewAdamW(cfg, tensors, n*c)
	oa.Update(pa, dy, 0.01)
	simd.SetThreads(1)
	ob.Update(pb, dy, 0.01)
	require.Equal(t, pa, pb)
}

// TestReservedAttentionAllocations: a model whose attention workspace was reserved
// for a longer batch's shape takes its first step on that batch without allocating
// (the activation arena reserved too, simd's pools warmed by another model), where
// one reserved for the short batch only allocates.
func TestReservedAttentionAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items and adds allocations")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // see attention's TestZeroAllocs
	short := tinyBatch("encdec")
	long := &Batch{B: 3, S: 8, T: 8, Src: make([]int32, 24), In: make([]int32, 24), Out: make([]int32, 24)}
	for i := range long.Src {
		long.Src[i], long.In[i], long.Out[i] = int32(3+i%8), int32(3+(i+1)%8), int32(3+(i+2)%8)
	}
	firstLong := func(reserveLong bool) uint64 {
		cfg := DefaultConfig()
		cfg.Model = tinyModelConfig("encdec")
		cfg.Data = DataConfig{MaxTokens: 64, Batch: 3, Context: 8}
		tr, err := NewTrainer(cfg)
		require.NoError(t, err)
		m := tr.Model
		m.Reserve(long.B*long.S, long.B*long.T)
		m.reserveAttention(short.B, short.S, short.T)
		if reserveLong {
			m.reserveAttention(long.B, long.S, long.T)
			tr.reserveHalves([]*Batch{long}) // the step's halves, as a session's first step does
		}
		_, err = tr.Step(short)
		require.NoError(t, err)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err = tr.Step(long)
		runtime.ReadMemStats(&m1)
		require.NoError(t, err)
		return m1.Mallocs - m0.Mallocs
	}
	firstLong(true) // warms simd's pools at the long shapes
	require.NotZero(t, firstLong(false), "reserved for the short batch only")
	require.Zero(t, firstLong(true), "reserved for the long batch")
}
