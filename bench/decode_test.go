package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/attention"
	"github.com/kernelmachines/bkm/simd"
)

// One-query attention (attention.Decode): one decoding step of H = 8 heads of dimension
// 64 against a cache of Nk keys, one query per head, 1 thread. Decode is memory-bound,
// so each benchmark also times, in the same loop on the same buffers, one read of the
// K and V bytes (simd.Sum over K, then over V: a streaming read at the level-1
// kernels' speed) and reports
//
//	step-ns  the time of one Decode call
//	read-ns  the time of reading K and V once
//	ratio    step-ns / read-ns (the bar: ≤ 1.5)
//	min-ratio  the fastest step over the fastest read: on a shared machine, where
//	           other processes inflate either timing at random, the less noisy figure
//
// The two alternate within one iteration, so both see the same cache state: warm at
// Nk = 128 (K+V = 512 KiB, within L2), L3 at 1024 and 4096 (4 and 16 MiB), and memory
// at 32768 (128 MiB, beyond L3). ns/op is the sum of both. The "-state" kernels run
// the incremental path of linear-cost feature kernels (attention.FeatureState), which
// reads no cache: their step is one append and one query, whatever Nk.

var decodeLengths = []int{128, 1024, 4096, 32768}

// decodeShapes: H = 8, D = 64 for every kernel; for edp and rbf also H = 4, D = 32,
// the heads of the README and Bible checkpoints (AttendRows' two-chunk kernel), with
// a sentence's 40 keys (two groups of 16 and a last group of 8).
var decodeShapes = []struct {
	H, D    int
	lengths []int
	kernels string
}{
	{8, 64, decodeLengths, ""},
	{4, 32, []int{40, 128, 1024, 4096}, "edp rbf"},
}

func BenchmarkDecodeAttention(b *testing.B) {
	defer simd.SetThreads(simd.Threads())
	simd.SetThreads(1)
	for _, kern := range []string{"edp", "rbf", "laplace", "expint", "intersection", "poly2", "linear", "linear-state", "favor-state"} {
		for _, shape := range decodeShapes {
			if shape.kernels != "" && !strings.Contains(" "+shape.kernels+" ", " "+kern+" ") {
				continue
			}
			H, D := shape.H, shape.D
			for _, Nk := range shape.lengths {
				b.Run(fmt.Sprintf("%s/H=%d/D=%d/Nk=%d", kern, H, D, Nk), func(b *testing.B) {
					name, incremental := strings.CutSuffix(kern, "-state")
					k, err := attention.ByName(name, D)
					if err != nil {
						b.Fatal(err)
					}
					r := rand.New(rand.NewPCG(3, 4))
					kc, vc, q := randomMatrix(r, H*Nk*D), randomMatrix(r, H*Nk*D), randomMatrix(r, H*D)
					out := make([]float32, H*D)
					o := &attention.Options{Kernel: k}
					ws := &attention.DecodeWorkspace{}
					rows := attention.DenseStrides(H, 1, D)
					step := func() {
						attention.Decode(o, 1, H, 1, Nk, D, q, rows, kc, vc, attention.DenseStrides(H, Nk, D), out, rows, ws)
					}
					if incremental {
						// attention.FeatureState holding the Nk keys: a step appends the
						// step's key and value (the cache's last rows) and attends.
						fs := attention.NewFeatureState(o, 1, H, D)
						fs.Append(0, 1, kc, vc, attention.DenseStrides(H, Nk, D), Nk, nil)
						last := attention.Strides{Batch: H * Nk * D, Head: Nk * D, Row: D}
						step = func() {
							fs.Append(0, 1, kc[(Nk-1)*D:], vc[(Nk-1)*D:], last, 1, nil)
							fs.Attend(0, 1, q, rows, 1, out, rows)
						}
					}
					var sink float32
					read := func() { sink += simd.Sum(kc) + simd.Sum(vc) }
					step()
					read()
					b.ReportAllocs()
					b.ResetTimer()
					var tStep, tRead time.Duration
					minStep, minRead := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						step()
						t1 := time.Now()
						read()
						r := time.Since(t1)
						s := t1.Sub(t0)
						tRead += r
						tStep += s
						minStep, minRead = min(minStep, s), min(minRead, r)
					}
					b.ReportMetric(float64(tStep.Nanoseconds())/float64(b.N), "step-ns")
					b.ReportMetric(float64(tRead.Nanoseconds())/float64(b.N), "read-ns")
					b.ReportMetric(float64(tStep)/float64(tRead), "ratio")
					b.ReportMetric(float64(minStep)/float64(minRead), "min-ratio")
					b.ReportMetric(float64(2*H*Nk*D*4)/(float64(tStep.Nanoseconds())/float64(b.N)), "stepGB/s")
					if sink == 1e30 {
						b.Log(sink)
					}
				})
			}
		}
	}
}

// BenchmarkDecoderAttention: the self-attention of one step of train's Decoder, beam 4,
// H = 8, D = 64, a cache allocated for 512 positions and filled to t, queries inside
// the fused [beam, 3·C] QKV rows. "perhead" is the path the Decoder took before
// attention.Decode (one Forward call per hypothesis and head over the cache prefix);
// "decode" is one Decode call over all of them, as the Decoder did for edp before
// attention.DecodeRows; "rows" is the Decoder's path now, one DecodeRows call of the
// beam's rows (each its own cache slot and key count).
// "decode-linear" and "decode-favor" are that call for linear and favor (the
// Decoder's path for them before attention.FeatureState, which recomputes the key
// features of the whole prefix); "state-linear" and "state-favor" are the Decoder's
// path now: the step's keys and values appended to the running sums, then the
// queries answered from them (FeatureState.Append and Attend, whatever t).
func BenchmarkDecoderAttention(b *testing.B) {
	const beam, H, D, maxLen = 4, 8, 64, 512
	const C = H * D
	defer simd.SetThreads(simd.Threads())
	simd.SetThreads(1)
	r := rand.New(rand.NewPCG(5, 6))
	kc, vc := randomMatrix(r, beam*H*maxLen*D), randomMatrix(r, beam*H*maxLen*D)
	qkv := randomMatrix(r, beam*3*C)
	out := make([]float32, beam*C)
	st := make([]float32, 1)
	o := &attention.Options{Kernel: attention.EDP()}
	cache := attention.Strides{Batch: H * maxLen * D, Head: maxLen * D, Row: D}
	rows, outs := attention.Strides{Batch: 3 * C, Head: D, Row: D}, attention.Strides{Batch: C, Head: D, Row: D}
	for _, t := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("perhead/beam=%d/t=%d", beam, t), func(b *testing.B) {
			ws := attention.NewWorkspace()
			for i := 0; i < b.N; i++ {
				for hyp := 0; hyp < beam; hyp++ {
					for h := 0; h < H; h++ {
						base := (hyp*H + h) * maxLen * D
						n := t * D
						attention.Forward(o, 1, 1, 1, t, D, qkv[hyp*3*C+h*D:hyp*3*C+(h+1)*D], kc[base:base+n], vc[base:base+n],
							out[hyp*C+h*D:hyp*C+(h+1)*D], st, ws)
					}
				}
			}
		})
		for _, kern := range []string{"", "-linear", "-favor"} {
			ko := o
			if kern != "" {
				k, err := attention.ByName(kern[1:], D)
				if err != nil {
					b.Fatal(err)
				}
				ko = &attention.Options{Kernel: k}
			}
			b.Run(fmt.Sprintf("decode%s/beam=%d/t=%d", kern, beam, t), func(b *testing.B) {
				ws := &attention.DecodeWorkspace{}
				timedSteps(b, func() { attention.Decode(ko, beam, H, 1, t, D, qkv, rows, kc, vc, cache, out, outs, ws) })
			})
			if kern == "" {
				b.Run(fmt.Sprintf("rows/beam=%d/t=%d", beam, t), func(b *testing.B) {
					ws := &attention.DecodeWorkspace{}
					hyps := make([]attention.DecodeRow, beam)
					for hyp := range hyps {
						hyps[hyp] = attention.DecodeRow{Entry: hyp, Keys: t}
					}
					timedSteps(b, func() { attention.DecodeRows(ko, hyps, H, D, qkv, rows, kc, vc, cache, out, outs, ws) })
				})
				continue
			}
			b.Run(fmt.Sprintf("state%s/beam=%d/t=%d", kern, beam, t), func(b *testing.B) {
				fs := attention.NewFeatureState(ko, beam, H, D)
				fs.Append(0, beam, kc, vc, cache, t-1, nil)
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					fs.Append(0, beam, qkv[C:], qkv[2*C:], rows, 1, nil)
					fs.Attend(0, beam, qkv, rows, 1, out, outs)
				}
			})
		}
	}
}

// timedSteps runs step b.N times and reports, besides ns/op, the fastest step
// (min-ns: on a busy machine, where other processes inflate steps at random, the less
// noisy figure) and the allocations.
func timedSteps(b *testing.B, step func()) {
	b.ReportAllocs()
	fastest := time.Duration(math.MaxInt64)
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		step()
		fastest = min(fastest, time.Since(t0))
	}
	b.ReportMetric(float64(fastest.Nanoseconds()), "min-ns")
}

// BenchmarkDecodeRows: the attention of one step of batched greedy decoding (train's
// Stream and TranslateBatch at batch 32): 32 rows, each the one hypothesis of its own
// sentence, with its own cache slot and key count (8..47: sentences at different
// positions), one query per head, 1 thread. "loop" is the Decoder's path before
// attention.DecodeRows (one attention.Decode call a row, as each row was its own run);
// "rows" is the one DecodeRows call. H = 4, D = 32 is the shape of the README and
// Bible checkpoints; H = 8, D = 64 the shape of BenchmarkDecodeAttention. ns/op is a
// step's attention of one layer; cpu-ns/op the process's CPU time for it (on a busy
// machine, less inflated by waiting for a core than ns/op).
func BenchmarkDecodeRows(b *testing.B) {
	const R, maxLen = 32, 64
	defer simd.SetThreads(simd.Threads())
	simd.SetThreads(1)
	for _, shape := range [][2]int{{4, 32}, {8, 64}} {
		H, D := shape[0], shape[1]
		for _, kern := range []string{"edp", "rbf"} {
			k, err := attention.ByName(kern, D)
			if err != nil {
				b.Fatal(err)
			}
			o := &attention.Options{Kernel: k}
			r := rand.New(rand.NewPCG(7, 8))
			cache := attention.Strides{Batch: H * maxLen * D, Head: maxLen * D, Row: D}
			kc, vc := randomMatrix(r, R*cache.Batch), randomMatrix(r, R*cache.Batch)
			rowStride := attention.Strides{Batch: 3 * H * D, Head: D, Row: D}
			outs := attention.Strides{Batch: H * D, Head: D, Row: D}
			qkv, out := randomMatrix(r, R*3*H*D), make([]float32, R*H*D)
			rows := make([]attention.DecodeRow, R)
			for i := range rows {
				rows[i] = attention.DecodeRow{Entry: i, Keys: 8 + (i*13)%40}
			}
			ws := &attention.DecodeWorkspace{}
			for _, impl := range []string{"loop", "rows"} {
				b.Run(fmt.Sprintf("%s/%s/H=%d/D=%d", impl, kern, H, D), func(b *testing.B) {
					b.ReportAllocs()
					cpu0 := processCPU()
					defer func() { b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
					for i := 0; i < b.N; i++ {
						if impl == "rows" {
							attention.DecodeRows(o, rows, H, D, qkv, rowStride, kc, vc, cache, out, outs, ws)
							continue
						}
						for j, row := range rows {
							attention.Decode(o, 1, H, 1, row.Keys, D, qkv[j*rowStride.Batch:], rowStride,
								kc[row.Entry*cache.Batch:], vc[row.Entry*cache.Batch:], cache, out[j*outs.Batch:], outs, nil)
						}
					}
				})
			}
		}
	}
}
