// Command serveload is a load generator for package serve, loopback only: it loads a
// checkpoint, serves it in-process on 127.0.0.1 (an ephemeral port) and, for each
// client count, runs that many concurrent HTTP clients for a bounded time and request
// count. Every request carries an id that must come back once, with the translation
// TranslateBatch gives offline; it reports p50/p99 latency and sentences/s beside the
// offline TranslateBatch throughput on the same sentences, and exits 1 on any error,
// lost, duplicated or wrong response.
//
//	go run ./bench/cmd/serveload --checkpoint bkmtrain-run --input valid.tsv --clients 1,8,64 --duration 60s
//
// Imports: serve, train and the standard library.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kernelmachines/bkm/serve"
	"github.com/kernelmachines/bkm/train"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "serveload:", err)
		os.Exit(1)
	}
}

func run() error {
	ckpt := flag.String("checkpoint", "", "checkpoint file (required)")
	input := flag.String("input", "", "sentences, one per line; a TSV line's first column (required)")
	clientList := flag.String("clients", "1,8,64", "concurrent client counts, one level each")
	duration := flag.Duration("duration", 10*time.Second, "time per level")
	maxRequests := flag.Int("max-requests", 200000, "requests per level at most")
	beam := flag.Int("beam", 1, "beam size")
	threads := flag.Int("threads", 0, "threads (0 = all cores)")
	maxBatch := flag.Int("max-batch", 32, "server --max-batch")
	workers := flag.Int("workers", 0, "server --workers (0: one per thread)")
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
	opts := train.TranslateOptions{Beam: *beam, LenPenalty: 1, MaxSentences: *maxBatch}
	want, err := tr.TranslateBatch(context.Background(), sentences, opts) // also warms up
	if err != nil {
		return err
	}
	// Offline throughput, warm: whole passes for at least 2 s (3 passes at least).
	passes, t0 := 0, time.Now()
	for passes < 3 || time.Since(t0) < 2*time.Second {
		if _, err := tr.TranslateBatch(context.Background(), sentences, opts); err != nil {
			return err
		}
		passes++
	}
	offline := float64(passes*len(sentences)) / time.Since(t0).Seconds()
	for i, w := range want { // as a JSON client reads it back
		b, _ := json.Marshal(w)
		json.Unmarshal(b, &want[i])
	}
	fmt.Printf("offline TranslateBatch: %d sentences, beam %d, batch %d: %.1f sentences/s\n", len(sentences), *beam, *maxBatch, offline)
	fmt.Printf("%8s %9s %12s %10s %10s %10s %7s\n", "clients", "requests", "sentences/s", "p50", "p99", "mean batch", "errors")
	failed := false
	for _, c := range levels {
		r, err := level(tr, serve.Config{MaxBatch: *maxBatch, Workers: *workers, QueueSize: 4 * c}, sentences, want, c, *beam, *duration, *maxRequests)
		if err != nil {
			return err
		}
		fmt.Printf("%8d %9d %12.1f %10v %10v %10.1f %7d  (%.0f%% of offline)\n", c, r.n, r.rate, r.p50, r.p99, r.batch, len(r.errs), 100*r.rate/offline)
		for i, e := range r.errs {
			if i == 5 {
				fmt.Printf("  … %d more\n", len(r.errs)-5)
				break
			}
			fmt.Println("  error:", e)
		}
		failed = failed || len(r.errs) > 0
	}
	if failed {
		return fmt.Errorf("some responses were wrong, lost or duplicated")
	}
	return nil
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

type result struct {
	n        int
	rate     float64
	p50, p99 time.Duration
	batch    float64 // mean sentences per decoded batch, from /metrics
	errs     []string
}

// meanBatch reads the mean of the bkm_batch_sentences histogram from /metrics (0 if
// it cannot).
func meanBatch(c *http.Client, url string) float64 {
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var sum, n float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, _ := strings.Cut(sc.Text(), " ")
		x, _ := strconv.ParseFloat(v, 64)
		switch name {
		case "bkm_batch_sentences_sum":
			sum = x
		case "bkm_batch_sentences_count":
			n = x
		}
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

// level serves tr on a loopback port and runs clients concurrent clients against it.
func level(tr *train.Translator, cfg serve.Config, sentences, want []string, clients, beam int, d time.Duration, maxRequests int) (result, error) {
	var res result
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve.New(tr, cfg).Serve(ctx, ln, time.Minute) }()
	url := "http://" + ln.Addr().String() + "/translate"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	var (
		next     atomic.Int64
		mu       sync.Mutex
		seen     = map[string]int{}
		lat      []time.Duration
		errs     []string
		wg       sync.WaitGroup
		deadline = time.Now().Add(d)
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		errs = append(errs, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= maxRequests {
					return
				}
				id := fmt.Sprintf("c%d-r%d", c, i)
				k := i % len(sentences)
				body, _ := json.Marshal(map[string]any{"id": id, "text": sentences[k], "beam": beam})
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					fail("%s: %v", id, err)
					continue
				}
				var r struct {
					ID          string
					Translation string
					Error       string
				}
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				took := time.Since(t0)
				switch {
				case err != nil:
					fail("%s: reading the response: %v", id, err)
				case r.ID != id:
					fail("%s: answered with id %q", id, r.ID)
				case resp.StatusCode != 200:
					fail("%s: status %d: %s", id, resp.StatusCode, r.Error)
				case r.Translation != want[k]:
					fail("%s: translation %q, want %q", id, r.Translation, want[k])
				}
				mu.Lock()
				seen[r.ID]++
				lat = append(lat, took)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res.batch = meanBatch(client, strings.TrimSuffix(url, "/translate")+"/metrics")
	stop()
	if err := <-served; err != nil {
		return res, err
	}
	sent := min(int(next.Load()), maxRequests)
	for id, n := range seen { // every id sent comes back exactly once
		if n != 1 {
			errs = append(errs, fmt.Sprintf("id %q answered %d times", id, n))
		}
	}
	if len(lat) != sent || len(seen) != sent {
		errs = append(errs, fmt.Sprintf("%d requests sent, %d answered, %d distinct ids", sent, len(lat), len(seen)))
	}
	slices.Sort(lat)
	res.n, res.errs = len(lat), errs
	res.rate = float64(len(lat)) / elapsed.Seconds()
	if len(lat) > 0 {
		res.p50 = lat[len(lat)/2].Round(10 * time.Microsecond)
		res.p99 = lat[min(len(lat)-1, len(lat)*99/100)].Round(10 * time.Microsecond)
	}
	return res, nil
}
