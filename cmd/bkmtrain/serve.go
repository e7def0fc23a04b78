package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/kernelmachines/bkm/serve"
)

// runServe serves translations over HTTP until SIGINT or SIGTERM, then finishes the
// requests in flight and exits.
func runServe(args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	var mf modelFlags
	mf.register(fs, false)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	var cfg serve.Config
	fs.IntVar(&cfg.MaxBatch, "max-batch", serve.DefaultMaxBatch, "sentences a decoder decodes at once")
	fs.DurationVar(&cfg.MaxWait, "max-wait", 0, "how long an idle decoder that took a request waits for more before it starts (0: at once; requests also join a running batch at every step)")
	fs.IntVar(&cfg.Workers, "workers", 0, "decoders, each running its own batch on threads/workers threads (0: one per thread)")
	fs.IntVar(&cfg.QueueSize, "queue", 256, "requests waiting for the batcher; more get 503")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body", 1<<20, "request body bytes; more get 413")
	fs.IntVar(&cfg.MaxSentences, "max-sentences", 64, "sentences per request; more get 413")
	fs.IntVar(&cfg.MaxSentenceBytes, "max-sentence-bytes", 4096, "bytes per sentence; more get 413")
	fs.IntVar(&cfg.MaxBeam, "max-beam", 16, "largest beam a request may ask for")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "per-request timeout; then 504")
	grace := fs.Duration("grace", 30*time.Second, "on SIGINT/SIGTERM, how long to wait for requests in flight")
	if err := mf.parse(fs, args); err != nil {
		return err
	}
	threads := mf.threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if err := checkServeFlags(cfg, *grace, threads); err != nil {
		return err
	}
	tr, err := mf.translator()
	if err != nil {
		return err
	}
	if cfg.Workers == 0 {
		cfg.Workers = threads
	}
	decoderThreads := serve.SetProcs(threads, cfg.Workers)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	cfg.ErrorLog = log.New(stderr, "bkmtrain serve: ", log.LstdFlags)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "serving %s on http://%s (POST /translate, GET /healthz, GET /metrics): %d decoders of %d sentences, %d threads each\n",
		mf.checkpoint, ln.Addr(), cfg.Workers, cfg.MaxBatch, decoderThreads)
	if err := serve.New(tr, cfg).Serve(ctx, ln, *grace); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	fmt.Fprintln(stderr, "stopped")
	return nil
}

// checkServeFlags rejects serve's limits that are not positive or beyond what the
// server can honour with threads threads: more decoders (--workers) than threads, as a
// decoder runs on one thread at least and more would only share the cores, each with its
// decoding state; a queue beyond serve.MaxQueue; a beam beyond translate's; a batch ×
// beam beyond serve.MaxHypotheses; and a --max-wait that is not shorter than --timeout,
// with which a lone request would time out while its decoder waits for more.
func checkServeFlags(cfg serve.Config, grace time.Duration, threads int) error {
	for _, f := range []struct {
		name string
		v    int64
	}{{"--max-batch", int64(cfg.MaxBatch)}, {"--queue", int64(cfg.QueueSize)},
		{"--max-body", cfg.MaxBodyBytes}, {"--max-sentences", int64(cfg.MaxSentences)}, {"--max-sentence-bytes", int64(cfg.MaxSentenceBytes)},
		{"--max-beam", int64(cfg.MaxBeam)}, {"--timeout", int64(cfg.Timeout)}, {"--grace", int64(grace)}} {
		if f.v <= 0 {
			return usagef("%s must be > 0", f.name)
		}
	}
	switch {
	case cfg.MaxWait < 0:
		return usagef("--max-wait must be ≥ 0")
	case cfg.MaxWait >= cfg.Timeout:
		return usagef("--max-wait = %v: must be less than --timeout (%v), or a lone request times out while its decoder waits for more", cfg.MaxWait, cfg.Timeout)
	case cfg.MaxBeam > maxBeam:
		return usagef("--max-beam = %d: must be at most %d", cfg.MaxBeam, maxBeam)
	case cfg.MaxBatch > serve.MaxHypotheses/cfg.MaxBeam:
		return usagef("--max-batch × --max-beam = %d × %d: must be ≤ %d (each decoder reserves its state for that many hypotheses)", cfg.MaxBatch, cfg.MaxBeam, serve.MaxHypotheses)
	case cfg.QueueSize > serve.MaxQueue:
		return usagef("--queue = %d: must be at most %d (each waiting request holds its body)", cfg.QueueSize, serve.MaxQueue)
	case cfg.Workers < 0 || cfg.Workers > threads:
		return usagef("--workers = %d: must be in [0, %d], at most one decoder a thread (%d threads: --threads, or the cores when 0)", cfg.Workers, threads, threads)
	}
	return nil
}
