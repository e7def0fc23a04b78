package bench

import (
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/internal/cpuclock"
	"github.com/kernelmachines/bkm/internal/par"
	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

// The training benchmark: decoder-only, 4 layers, d_model 256, 4 heads, FFN 1024,
// context 256, batch 8, byte vocabulary (259 with the specials), AdamW, dropout 0.1,
// GELU, pre-LN, learned positions, tied output embedding. bench/torch_train.py runs the
// same configuration in PyTorch.
func trainBenchConfig(threads int) train.Config {
	cfg := train.DefaultConfig()
	cfg.Model = train.ModelConfig{Arch: "decoder", Vocab: 259, DModel: 256, Heads: 4, FFN: 1024, DecLayers: 4,
		MaxLen: 256, PreLN: true, Positions: "learned", Activation: "gelu", ShareDecoderEmbeddings: true,
		Dropout: 0.1, Kernel: "edp", Pad: train.BytePad, BOS: train.ByteBOS, EOS: train.ByteEOS}
	cfg.Optim = train.OptimConfig{LR: 3e-4, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, ClipNorm: 1, Accumulate: 1}
	cfg.Schedule = train.ScheduleConfig{Kind: "constant"}
	cfg.Data = train.DataConfig{Batch: 8, Context: 256}
	cfg.Threads = threads
	return cfg
}

func trainBenchBatch() *train.Batch {
	rng := rand.New(rand.NewPCG(1, 2))
	B, T := 8, 256
	b := &train.Batch{B: B, T: T, In: make([]int32, B*T), Out: make([]int32, B*T)}
	for i := range b.In {
		b.In[i] = int32(32 + rng.IntN(95))
		b.Out[i] = int32(32 + rng.IntN(95))
	}
	return b
}

// warmTrainer returns a trainer of trainBenchConfig(threads) and the benchmark batch,
// after one step on it (which sizes the arenas).
func warmTrainer(b *testing.B, threads int) (*train.Trainer, *train.Batch) {
	return warmTrainerWith(b, trainBenchConfig(threads))
}

// warmTrainerWith is warmTrainer for config cfg.
func warmTrainerWith(b *testing.B, cfg train.Config) (*train.Trainer, *train.Batch) {
	b.Helper()
	tr, err := train.NewTrainer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	bt := trainBenchBatch()
	if _, err := tr.Step(bt); err != nil {
		b.Fatal(err)
	}
	return tr, bt
}

// BenchmarkTrainStep reports training tokens/s (B·T tokens per forward+backward+AdamW
// step) for 1 and 2 threads, with the process's CPU time per step and the time its
// threads waited for a CPU another process held (runq: a busy machine's share of the
// wall time).
func BenchmarkTrainStep(b *testing.B) { benchTrainStep(b, "gelu") }

// BenchmarkTrainStepReLU is BenchmarkTrainStep with ReLU feed-forward blocks, the
// activation of bkmtrain's translation recipes (train.QuickConfig, the README's main
// command); the GELU model is GPT-2's.
func BenchmarkTrainStepReLU(b *testing.B) { benchTrainStep(b, "relu") }

func benchTrainStep(b *testing.B, activation string) {
	defer simd.SetThreads(0)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			cfg := trainBenchConfig(threads)
			cfg.Model.Activation = activation
			tr, bt := warmTrainerWith(b, cfg)
			b.ReportAllocs()
			delay0, cpu0 := runDelay(), processCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(bt); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*bt.B*bt.T)/b.Elapsed().Seconds(), "tokens/s")
			b.ReportMetric((processCPU()-cpu0).Seconds()*1e3/float64(b.N), "cpu-ms/step")
			b.ReportMetric((runDelay()-delay0).Seconds()*1e3/float64(b.N), "runq-ms/step")
		})
	}
}

// BenchmarkTrainProfile reports where a step's time goes, at 1 and 2 threads: ms per step
// for every section of train.ProfNames (as metrics, and as a table in the log), and for
// every GEMM shape its calls, FLOP, GFLOP/s and share of the FMA peak. The peak is the
// per-core AVX-512 FMA throughput that scripts/fmapeak measures, given in GFLOP/s as
// BKM_FMA_PEAK_GFLOPS (without it the shares are left out); at t threads the share is of
// t cores' peak. Sections and GEMMs are timed in the process's CPU time (every thread,
// spinning pool goroutines included), which a machine shared with other jobs disturbs
// far less than wall time; at t threads a section's wall time is at best its CPU time / t.
// BKM_PROFILE_CLOCK=wall times them in wall time instead. cpu-ms/step is the process's
// CPU time per step and idle-ms/step is t·wall − cpu: time a core of the t had nothing of
// ours to run (parked at a barrier, or taken by another process on a busy machine).
// Timing adds two clock reads per section and per GEMM.
func BenchmarkTrainProfile(b *testing.B) {
	defer simd.SetThreads(0)
	peak, _ := strconv.ParseFloat(os.Getenv("BKM_FMA_PEAK_GFLOPS"), 64)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			tr, bt := warmTrainer(b, threads)
			m := tr.Model
			m.Profile = true
			cores, clock := threads, "wall" // a section's GFLOP/s is of this many cores
			if os.Getenv("BKM_PROFILE_CLOCK") != "wall" {
				m.ProfClock = processCPU
				cores, clock = 1, "CPU" // CPU time adds the cores' times
			}
			m.ResetProfile()
			defer par.SetTrace(par.SetTrace(true))
			secs := newSectionTrace()
			m.ProfSection = secs.charge
			delay0 := runDelay()
			cpu0 := processCPU()
			secs.start()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(bt); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			steps := float64(b.N)
			wall := b.Elapsed().Seconds() * 1e3 / steps
			cpu := (processCPU() - cpu0).Seconds() * 1e3 / steps
			ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / steps }
			var log strings.Builder
			fmt.Fprintf(&log, "%s: step %.1f ms wall, %.1f ms CPU, idle %.1f ms; sections in %s ms per step, %% of the step's %s time\n",
				b.Name(), wall, cpu, float64(threads)*wall-cpu, clock, clock)
			ref := wall // the step's time on the profile clock
			if clock == "CPU" {
				ref = cpu
			}
			var timed float64
			for i, d := range m.Prof {
				b.ReportMetric(ms(d), train.ProfNames[i]+"-ms/step")
				timed += ms(d)
				fmt.Fprintf(&log, "  %-14s %8.2f ms %5.1f%%\n", train.ProfNames[i], ms(d), 100*ms(d)/ref)
			}
			fmt.Fprintf(&log, "  %-14s %8.2f ms %5.1f%%\n", "untimed", ref-timed, 100*(ref-timed)/ref)
			b.ReportMetric(cpu, "cpu-ms/step")
			b.ReportMetric(float64(threads)*wall-cpu, "idle-ms/step")
			gemms := slices.Clone(m.Gemms)
			slices.SortFunc(gemms, func(x, y train.GemmProfile) int { return cmp.Compare(y.Time, x.Time) })
			fmt.Fprintf(&log, "  GEMMs by shape (op: N/T of A and B, M×N×K; %% of %d core(s)' peak of %.1f GFLOP/s each):\n", cores, peak)
			var gemmFlops, gemmMs float64
			for _, g := range gemms {
				flops := g.Flops() * float64(g.Calls) / steps
				t := ms(g.Time)
				gemmFlops += flops
				gemmMs += t
				fmt.Fprintf(&log, "  %-13s %s%s %4d×%4d×%4d  %5.1f calls  %6.3f GFLOP  %7.2f ms  %6.1f GFLOP/s%s\n",
					train.ProfNames[g.Section], nt(g.TransA), nt(g.TransB), g.M, g.N, g.K, float64(g.Calls)/steps,
					flops/1e9, t, flops/t/1e6, peakShare(flops/t/1e6, peak, cores))
			}
			fmt.Fprintf(&log, "  all GEMMs     %6.3f GFLOP  %7.2f ms  %6.1f GFLOP/s%s\n", gemmFlops/1e9, gemmMs, gemmFlops/gemmMs/1e6,
				peakShare(gemmFlops/gemmMs/1e6, peak, cores))
			cfg := tr.Cfg.Model
			attn := trainAttentionFlops(bt.B, cfg.Heads, bt.T, cfg.DModel/cfg.Heads) * float64(cfg.DecLayers)
			at := ms(m.Prof[train.ProfAttention])
			fmt.Fprintf(&log, "  attention     %6.3f GFLOP  %7.2f ms  %6.1f GFLOP/s%s (causal, 6·B·H·T²·D per layer)\n", attn/1e9, at, attn/at/1e6,
				peakShare(attn/at/1e6, peak, cores))
			total := gemmFlops + attn
			fmt.Fprintf(&log, "  step (wall)   %6.3f GFLOP  %7.2f ms  %6.1f GFLOP/s%s (%.2f MFLOP per token)\n", total/1e9, wall, total/wall/1e6,
				peakShare(total/wall/1e6, peak, threads), total/float64(bt.B*bt.T)/1e6)
			fmt.Fprintf(&log, "  step (CPU)    %6.3f GFLOP  %7.2f ms  %6.1f GFLOP/s%s\n", total/1e9, cpu, total/cpu/1e6, peakShare(total/cpu/1e6, peak, 1))
			b.ReportMetric(total/wall/1e6, "step-GFLOP/s")
			delay := (runDelay() - delay0).Seconds() * 1e3 / steps
			b.ReportMetric(delay, "runq-ms/step")
			secs.print(&log, threads, steps, delay)
			os.Stdout.WriteString(log.String()) // b.Log would cut the table at 10 lines
		})
	}
}

func nt(trans bool) string {
	if trans {
		return "T"
	}
	return "N"
}

func peakShare(gflops, peak float64, threads int) string {
	if peak <= 0 {
		return ""
	}
	return fmt.Sprintf("  %5.1f%% of peak", 100*gflops/(peak*float64(threads)))
}

// trainAttentionFlops counts one causal attention layer's forward and backward products
// (QKᵀ, PV forward; dV, dP, dQ, dK backward: six of 2·B·H·T²·D, halved by the mask),
// not the forward's recomputation inside the fused backward.
func trainAttentionFlops(B, H, T, D int) float64 { return 6 * float64(B*H) * float64(T*T) * float64(D) }

// processCPU is the CPU time every thread of the process has used.
func processCPU() time.Duration { return time.Duration(max(cpuclock.ProcessNanos(), 0)) }

// sectionTrace charges each profiled section of a step its wall time, the process's CPU
// time and what the worker pool did (par.Stats), from the previous section's end to
// its own (train.Model.ProfSection).
type sectionTrace struct {
	wall, cpu time.Duration
	pool      par.Stats
	secWall   [len(train.ProfNames)]time.Duration
	secCPU    [len(train.ProfNames)]time.Duration
	secPool   [len(train.ProfNames)]par.Stats
}

func newSectionTrace() *sectionTrace { return new(sectionTrace) }

func (s *sectionTrace) start() {
	*s = sectionTrace{}
	s.wall, s.cpu, s.pool = time.Duration(time.Now().UnixNano()), processCPU(), par.ReadStats()
}

func (s *sectionTrace) charge(sec int) {
	wall, cpu, pool := time.Duration(time.Now().UnixNano()), processCPU(), par.ReadStats()
	s.secWall[sec] += wall - s.wall
	s.secCPU[sec] += cpu - s.cpu
	s.secPool[sec] = s.secPool[sec].Add(pool.Sub(s.pool))
	s.wall, s.cpu, s.pool = wall, cpu, pool
}

// print writes the per-section table: where the cores of a threads-thread step were
// idle (threads·wall − CPU), how much of the section ran outside parallel calls
// (serial: one core busy, the others spinning or parked), and the pool's calls, parks
// and wake-ups. runq is the time per step the process's threads waited for a CPU
// (another process had it).
func (s *sectionTrace) print(w io.Writer, threads int, steps, runq float64) {
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / steps }
	per := func(n int64) float64 { return float64(n) / steps }
	fmt.Fprintf(w, "  by section, wall clock, per step (idle = %d·wall − CPU; serial = wall outside parallel calls; runq %.1f ms):\n", threads, runq)
	fmt.Fprintf(w, "  %-14s %8s %8s %7s %7s %6s %6s %6s %6s %8s %8s %8s %8s\n", "section", "wall", "CPU", "idle", "serial",
		"calls", "alone", "parks", "wakes", "wake µs", "start µs", "wait ms", "spin ms")
	var tw, tc time.Duration
	var tp par.Stats
	for i, name := range train.ProfNames {
		tw, tc, tp = tw+s.secWall[i], tc+s.secCPU[i], tp.Add(s.secPool[i])
		s.row(w, name, threads, ms, per, s.secWall[i], s.secCPU[i], s.secPool[i])
	}
	s.row(w, "step", threads, ms, per, tw, tc, tp)
	fmt.Fprintf(w, "  pool, per step: %.0f tickets (%.0f late, %.0f queue full), helpers ran %.0f of %.0f tasks, %.1f ms helping, %.1f ms parked, callers parked %.0f times (%.2f ms)\n",
		per(tp.Invites), per(tp.Late), per(tp.Full), per(tp.Helped), per(tp.Tasks), ms(tp.Helping), ms(tp.Parked), per(tp.CallerParks), ms(tp.CallerParked))
}

func (s *sectionTrace) row(w io.Writer, name string, threads int, ms func(time.Duration) float64, per func(int64) float64, wall, cpu time.Duration, p par.Stats) {
	avg := func(d time.Duration, n int64) float64 {
		if n == 0 {
			return 0
		}
		return d.Seconds() * 1e6 / float64(n)
	}
	fmt.Fprintf(w, "  %-14s %8.2f %8.2f %7.2f %7.2f %6.1f %6.1f %6.1f %6.1f %8.1f %8.1f %8.2f %8.2f\n", name, ms(wall), ms(cpu),
		float64(threads)*ms(wall)-ms(cpu), ms(wall)-ms(p.Wall), per(p.Calls), per(p.Alone), per(p.Parks), per(p.Wakes),
		avg(p.WakeStart, p.Wakes), avg(p.Start, p.Joins+p.Late), ms(p.CallerWait), ms(p.Spin))
}

// runDelay is the time every thread of the process has waited on a run queue
// (/proc/self/task/*/schedstat, Linux; 0 elsewhere).
func runDelay() time.Duration {
	files, _ := filepath.Glob("/proc/self/task/*/schedstat")
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fields := strings.Fields(string(b)); len(fields) >= 2 {
			ns, _ := strconv.ParseInt(fields[1], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}
