//go:build amd64 && !purego

package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/kernelmachines/bkm/internal/cpuclock"
	"github.com/kernelmachines/bkm/simd"
)

// BenchmarkDecodeCallCost is the per-call cost model of one-query attention (the
// section in bench/RESULTS.md comes from it): one step of H heads of dimension D
// against Nk keys, edp, through each layer of the call chain in turn, so that the
// differences between layers are what each adds. "kernel" is the AVX-512 kernel
// alone, one call a head on a state reset in Go (AttendRowsAVX512); "kernel-heads"
// one call of the kernel for all heads, results normalized (AttendHeadsAVX512);
// "attendheads" simd.AttendHeads (its checks and dispatch added); "attendrows" simd.AttendRows a head (the path of a
// head before AttendHeads); "head" the decoder's head of that path (state set-up,
// the call, the output's copy and scale); "decode" attention.Decode (its checks,
// pool and set-up; AttendHeads inside); "rows" attention.DecodeRows of one row.
// cpu-ns/op is the benchmark thread's CPU time a step.
func BenchmarkDecodeCallCost(b *testing.B) {
	for _, shape := range [][3]int{{4, 32, 40}, {4, 32, 16}, {4, 32, 128}, {8, 64, 40}} {
		H, D, Nk := shape[0], shape[1], shape[2]
		r := rand.New(rand.NewPCG(1, 2))
		k, v := randSlice(r, H*Nk*D, 1), randSlice(r, H*Nk*D, 1)
		q, out := randSlice(r, H*D, 1), make([]float32, H*D)
		o := &Options{Kernel: EDP()}
		kvs, rs := DenseStrides(H, Nk, D), DenseStrides(H, 1, D)
		ws := &DecodeWorkspace{}
		st := make([]float32, simd.AttendAcc+D)
		kind, c := simd.AttendDot|simd.AttendExp, float32(1/math.Sqrt(float64(D)))
		heads := make([]simd.AttendHead, H)
		for h := range heads {
			heads[h] = simd.AttendHead{Q: h * D, KV: h * Nk * D, N: Nk, Out: h * D}
		}
		reset := func() {
			clear(st)
			st[simd.AttendM] = float32(math.Inf(-1))
		}
		layers := []struct {
			name string
			step func()
		}{
			{"kernel", func() {
				for h := 0; h < H; h++ {
					reset()
					asm.AttendRowsAVX512(q[h*D:h*D+D], k[h*Nk*D:], v[h*Nk*D:], D, Nk, kind, c, st)
				}
			}},
			{"kernel-heads", func() {
				asm.AttendHeadsAVX512(q, k, v, out, heads, D, D, kind, c, 0, guardEps, st)
			}},
			{"attendheads", func() {
				simd.AttendHeads(q, k, v, out, heads, D, D, kind, c, 0, guardEps, st)
			}},
			{"attendrows", func() {
				for h := 0; h < H; h++ {
					reset()
					simd.AttendRows(q[h*D:h*D+D], k[h*Nk*D:], v[h*Nk*D:], D, Nk, kind, c, st)
				}
			}},
			{"head", func() {
				dc := &ws.dc
				dc.init(o, 1, Nk, D, ws)
				for h := 0; h < H; h++ {
					dc.head(q[h*D:], D, k[h*Nk*D:], v[h*Nk*D:], D, nil, out[h*D:], D)
				}
			}},
			{"decode", func() { Decode(o, 1, H, 1, Nk, D, q, rs, k, v, kvs, out, rs, ws) }},
			{"rows", func() {
				Decode(o, 1, H, 1, Nk, D, q, rs, k, v, kvs, out, rs, ws)
			}},
		}
		rows := []DecodeRow{{Keys: Nk}}
		layers[len(layers)-1].step = func() { DecodeRows(o, rows, H, D, q, rs, k, v, kvs, out, rs, ws) }
		for _, l := range layers {
			if l.name[:min(len(l.name), 6)] == "kernel" && !simd.AttendRowsFast(D) {
				continue
			}
			b.Run(fmt.Sprintf("H=%d/D=%d/Nk=%d/%s", H, D, Nk, l.name), func(b *testing.B) {
				b.ReportAllocs()
				clock := cpuclock.Start()
				for b.Loop() {
					l.step()
				}
				clock.Report(b, 0)
			})
		}
	}
}
