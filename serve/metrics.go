package serve

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"
)

// histogram is a Prometheus histogram: counts per upper bound, sum and count.
type histogram struct {
	bounds []float64
	counts []uint64 // per bound, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds ...float64) histogram {
	return histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // the first bound ≥ v
	h.counts[i]++
	h.sum += v
	h.n++
}

func (h *histogram) write(w io.Writer, name, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", name, h.n, name,
		strconv.FormatFloat(h.sum, 'g', -1, 64), name, h.n)
}

// metrics are the server's counters, written by hand in the Prometheus text
// exposition format (version 0.0.4).
type metrics struct {
	mu         sync.Mutex
	requests   uint64
	responses  map[int]uint64 // by status code
	sentences  uint64
	srcTokens  uint64
	outTokens  uint64
	decodeTime time.Duration
	batchSize  histogram // sentences decoding per decoder step
	latency    histogram // seconds per request, received to answered
	queued     func() int
}

func newMetrics(queued func() int) *metrics {
	return &metrics{
		responses: map[int]uint64{},
		batchSize: newHistogram(1, 2, 4, 8, 16, 32, 64, 128, 256),
		latency:   newHistogram(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30),
		queued:    queued,
	}
}

func (m *metrics) request() {
	m.mu.Lock()
	m.requests++
	m.mu.Unlock()
}

func (m *metrics) response(code int, elapsed time.Duration) {
	m.mu.Lock()
	m.responses[code]++
	m.latency.observe(elapsed.Seconds())
	m.mu.Unlock()
}

// step counts a decoder step of the sentences decoding (the running batch), the
// sentences translated and the tokens read and written since the previous step.
func (m *metrics) step(decoding, translated, srcTokens, outTokens int, took time.Duration) {
	m.mu.Lock()
	m.sentences += uint64(translated)
	m.srcTokens += uint64(srcTokens)
	m.outTokens += uint64(outTokens)
	m.decodeTime += took
	m.batchSize.observe(float64(decoding))
	m.mu.Unlock()
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("bkm_requests_total", "Translation requests received.", m.requests)
	fmt.Fprintf(w, "# HELP bkm_responses_total Translation responses by HTTP status code.\n# TYPE bkm_responses_total counter\n")
	codes := make([]int, 0, len(m.responses))
	for c := range m.responses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "bkm_responses_total{code=\"%d\"} %d\n", c, m.responses[c])
	}
	counter("bkm_sentences_total", "Sentences translated.", m.sentences)
	counter("bkm_source_tokens_total", "Source tokens read by the encoder (EOS included).", m.srcTokens)
	counter("bkm_output_tokens_total", "Tokens generated in translations (EOS excluded).", m.outTokens)
	fmt.Fprintf(w, "# HELP bkm_decode_seconds_total Time spent in decoder steps (train.Stream.Step).\n# TYPE bkm_decode_seconds_total counter\nbkm_decode_seconds_total %s\n",
		strconv.FormatFloat(m.decodeTime.Seconds(), 'g', -1, 64))
	fmt.Fprintf(w, "# HELP bkm_queue_length Requests waiting for the batcher.\n# TYPE bkm_queue_length gauge\nbkm_queue_length %d\n", m.queued())
	m.batchSize.write(w, "bkm_batch_sentences", "Sentences decoding together, per decoder step (the running batch).")
	m.latency.write(w, "bkm_request_duration_seconds", "Latency of translation requests, received to answered.")
}
