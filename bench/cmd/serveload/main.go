// Command serveload is the load generator of package serve, loopback only: it loads a
// checkpoint, measures offline TranslateBatch on the input's sentences, then for each
// client count serves the checkpoint in-process on 127.0.0.1 (an ephemeral port; or
// drives the server at --addr) and runs that many concurrent keep-alive clients
// (internal/loadgen) for a bounded time and request count. Every answer is checked
// against offline TranslateBatch's translation and its request's id; it prints
// sentences/s, p50/p99 latency, the server's mean running batch and the process's
// CPU time a sentence beside the offline figures, and exits 1 on any error, lost,
// duplicated or wrong answer.
//
//	go run ./bench/cmd/serveload --checkpoint bkmtrain-run --input valid.tsv --clients 1,8,64 --duration 60s
//
// Offline TranslateBatch runs with --threads; then the process is set up for serving
// as bkmtrain serve sets itself up (serve.SetProcs), unless --procs=false.
//
// --cpuprofile FILE writes FILE-offline.pprof and FILE-cN.pprof, whose samples carry
// the label role = client (the load generator), http (net/http and serve's
// handlers) or decoder (serve's decoders); `go tool pprof -tags` splits them.
//
// Imports: serve, train, simd, internal/loadgen, internal/cpuclock and the standard library.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/kernelmachines/bkm/internal/cpuclock"
	"github.com/kernelmachines/bkm/internal/loadgen"
	"github.com/kernelmachines/bkm/serve"
	"github.com/kernelmachines/bkm/simd"
	"github.com/kernelmachines/bkm/train"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
}

type options struct {
	duration    time.Duration
	maxRequests int
	beam        int
	maxBatch    int
	workers     int
	addr        string
	cpuprofile  string
}

func run() error {
	var o options
	ckpt := flag.String("checkpoint", "", "checkpoint file (required)")
	input := flag.String("input", "", "sentences, one per line; a TSV line's first column (required)")
	clientList := flag.String("clients", "1,8,64", "concurrent client counts, one level each")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "time per level")
	flag.IntVar(&o.maxRequests, "max-requests", 1_000_000, "requests per level at most")
	flag.IntVar(&o.beam, "beam", 1, "beam size")
	threads := flag.Int("threads", 0, "threads (0 = all cores)")
	flag.IntVar(&o.maxBatch, "max-batch", serve.DefaultMaxBatch, "server --max-batch")
	offlineBatch := flag.Int("offline-batch", train.DefaultMaxSentences, "offline TranslateBatch's batch (MaxSentences)")
	flag.IntVar(&o.workers, "workers", 0, "server --workers (0: one per thread)")
	procs := flag.Bool("procs", true, "set the process up for serving as bkmtrain serve does (serve.SetProcs: threads/workers threads a decoder, GOMAXPROCS threads+1); false keeps --threads for both")
	decoderThreads := flag.Int("decoder-threads", 0, "threads of each decoder's parallel routines (0: --procs's choice, or --threads with --procs=false)")
	flag.StringVar(&o.addr, "addr", "", "drive the server at this host:port (a running `bkmtrain serve` of the same checkpoint) instead of one in-process")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write CPU profiles to FILE-offline.pprof and FILE-cN.pprof")
	flag.Parse()
	if *ckpt == "" || *input == "" {
		return fmt.Errorf("--checkpoint and --input are required")
	}
	var levels []int
	for _, f := range strings.Split(*clientList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("--clients: %q is not a count in [1, 1024]", f)
		}
		levels = append(levels, n)
	}
	sentences, err := readSentences(*input)
	if err != nil {
		return err
	}
	tr, err := train.OpenTranslator(*ckpt, *threads)
	if err != nil {
		return err
	}
	opts := train.TranslateOptions{Beam: o.beam, LenPenalty: 1, MaxSentences: *offlineBatch}
	want, err := tr.TranslateBatch(context.Background(), sentences, opts) // also warms up
	if err != nil {
		return err
	}
	off, err := profiled(o.cpuprofile, "offline", func() (offline, error) { return measureOffline(tr, sentences, opts) })
	if err != nil {
		return err
	}
	fmt.Printf("offline TranslateBatch: %d sentences, beam %d, batch %d, %d threads: %.1f sentences/s, %.2f CPU-ms a sentence, mean batch ≈ %.1f\n",
		len(sentences), o.beam, *offlineBatch, tr.Parallelism(), off.rate, off.cpuMs, off.batch)
	if o.workers == 0 {
		o.workers = tr.Parallelism()
	}
	if *procs {
		serve.SetProcs(tr.Parallelism(), o.workers)
	}
	if *decoderThreads > 0 {
		simd.SetThreads(*decoderThreads)
	}
	fmt.Printf("serving: %d decoders of %d sentences, %d threads each, GOMAXPROCS %d\n", o.workers, o.maxBatch, simd.Threads(), runtime.GOMAXPROCS(0))
	fmt.Printf("%8s %9s %12s %9s %9s %9s %9s %6s %8s %7s %6s\n", "clients", "requests", "sentences/s", "of offl.", "p50", "p99", "outside", "batch", "cpu-ms/s", "decode", "errors")
	failed := false
	for _, c := range levels {
		r, err := profiled(o.cpuprofile, fmt.Sprintf("c%d", c), func() (level, error) { return runLevel(tr, o, sentences, want, c) })
		if err != nil {
			return err
		}
		fmt.Printf("%8d %9d %12.1f %8.0f%% %9v %9v %9v %6.1f %8.2f %6.0f%% %6d\n", c, r.Requests, r.Rate(), 100*r.Rate()/off.rate,
			r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.outside.Round(10*time.Microsecond), r.batch, r.cpuMs, 100*r.decoding, r.Errors)
		for _, e := range r.First {
			fmt.Println("  error:", e)
		}
		if r.Errors > len(r.First) {
			fmt.Printf("  … %d more\n", r.Errors-len(r.First))
		}
		failed = failed || r.Errors > 0
	}
	fmt.Println("outside: mean latency seen by the clients less the server's own (network, scheduling); batch: sentences a decoder step;\n" +
		"cpu-ms/s: process CPU time a sentence (server and clients); decode: the decoders' share of the wall time in Stream.Step")
	if failed {
		return fmt.Errorf("some answers were wrong, lost or duplicated")
	}
	return nil
}

// profiled runs f under a CPU profile written to prefix-name.pprof (none when prefix
// is empty).
func profiled[T any](prefix, name string, f func() (T, error)) (T, error) {
	if prefix == "" {
		return f()
	}
	file, err := os.Create(prefix + "-" + name + ".pprof")
	if err != nil {
		var zero T
		return zero, err
	}
	defer file.Close()
	if err := pprof.StartCPUProfile(file); err != nil {
		var zero T
		return zero, err
	}
	defer pprof.StopCPUProfile()
	return f()
}

// readSentences reads the lines of path with train.ReadTextLines (the one text
// reader: non-blank lines, trimmed; invalid UTF-8 or NUL bytes are errors) and keeps
// each line's first tab-separated column, the source side of a TSV corpus.
func readSentences(path string) ([]string, error) {
	lines, err := train.ReadTextLines(path)
	if err != nil {
		return nil, err
	}
	for i, l := range lines {
		lines[i], _, _ = strings.Cut(l, "\t")
	}
	return lines, nil
}

type offline struct {
	rate  float64 // sentences/s
	cpuMs float64 // process CPU ms a sentence
	batch float64 // sentences a decoder step, estimated
}

// measureOffline times whole TranslateBatch passes, warm, for at least 2 s (3 passes
// at least). Its mean batch counts a sentence's steps as its output tokens plus the
// EOS step (a sentence cut at the length limit has no EOS step: an estimate).
func measureOffline(tr *train.Translator, sentences []string, opts train.TranslateOptions) (offline, error) {
	var st train.BatchStats
	passes, cpu0, t0 := 0, cpuclock.ProcessNanos(), time.Now()
	for passes < 3 || time.Since(t0) < 2*time.Second {
		var err error
		label(context.Background(), "decoder", func() {
			_, st, err = tr.TranslateBatchStats(context.Background(), sentences, opts)
		})
		if err != nil {
			return offline{}, err
		}
		passes++
	}
	n := float64(passes * len(sentences))
	return offline{
		rate:  n / time.Since(t0).Seconds(),
		cpuMs: float64(cpuclock.ProcessNanos()-cpu0) / 1e6 / n,
		batch: float64(st.OutputTokens+len(sentences)) / float64(st.Steps),
	}, nil
}

func label(ctx context.Context, role string, f func()) {
	pprof.Do(ctx, pprof.Labels("role", role), func(context.Context) { f() })
}

type level struct {
	loadgen.Result
	batch    float64       // sentences a decoder step
	cpuMs    float64       // process CPU ms a sentence translated correctly
	decoding float64       // the decoders' time in Stream.Step ÷ (wall time × decoders)
	outside  time.Duration // mean latency seen by the clients less the server's (received to answered)
}

// runLevel serves tr on a loopback port (or uses o.addr) and runs clients concurrent
// clients against it.
func runLevel(tr *train.Translator, o options, sentences, want []string, clients int) (level, error) {
	var r level
	addr, stop := o.addr, func() error { return nil }
	workers := o.workers // of the in-process server; unknown at o.addr
	if addr != "" {
		workers = 0
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return r, err
		}
		addr = ln.Addr().String()
		var srv *serve.Server
		label(context.Background(), "decoder", func() {
			srv = serve.New(tr, serve.Config{MaxBatch: o.maxBatch, Workers: o.workers, QueueSize: 4 * clients})
		})
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		label(context.Background(), "http", func() { go func() { served <- srv.Serve(ctx, ln, time.Minute) }() })
		stop = func() error { cancel(); return <-served }
	}
	before, err := scrape(addr)
	if err != nil {
		stop()
		return r, err
	}
	cpu0 := cpuclock.ProcessNanos()
	label(context.Background(), "client", func() {
		r.Result, err = loadgen.Run(loadgen.Config{Addr: addr, Clients: clients, Duration: o.duration, MaxRequests: o.maxRequests,
			Beam: o.beam, Sources: sentences, Want: want})
	})
	cpu := cpuclock.ProcessNanos() - cpu0
	if err != nil {
		stop()
		return r, err
	}
	after, err := scrape(addr)
	if err := stop(); err != nil {
		return r, err
	}
	if err != nil {
		return r, err
	}
	d := func(name string) float64 { return after[name] - before[name] }
	if n := d("bkm_batch_sentences_count"); n > 0 {
		r.batch = d("bkm_batch_sentences_sum") / n
	}
	if n := d("bkm_request_duration_seconds_count"); n > 0 {
		r.outside = r.Mean - time.Duration(d("bkm_request_duration_seconds_sum")/n*1e9)
	}
	if r.Correct > 0 {
		r.cpuMs = float64(cpu) / 1e6 / float64(r.Correct)
	}
	if workers > 0 {
		r.decoding = d("bkm_decode_seconds_total") / r.Elapsed.Seconds() / float64(workers)
	}
	return r, nil
}

// scrape reads the unlabelled samples of the server's /metrics.
func scrape(addr string) (map[string]float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if x, err := strconv.ParseFloat(v, 64); ok && err == nil {
			m[name] = x
		}
	}
	return m, sc.Err()
}
