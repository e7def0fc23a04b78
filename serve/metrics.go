package serve

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/kernelmachines/bkm/train"
)

// histogram is a Prometheus histogram: counts per upper bound, sum and count. It is
// updated with atomic operations only: handlers and decoders observe it without a
// lock, and a scrape reads each field once (a scrape racing an observation may see
// the count and the sum one observation apart, as Prometheus clients allow).
type histogram struct {
	bounds []float64
	counts []atomic.Uint64 // per bound, not cumulative; the last is +Inf
	sum    atomic.Uint64   // math.Float64bits of the sum
	n      atomic.Uint64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // the first bound ≥ v
	h.counts[i].Add(1)
	for {
		old := h.sum.Load()
		if h.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			break
		}
	}
	h.n.Add(1)
}

func (h *histogram) write(w io.Writer, name, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	cum += h.counts[len(h.bounds)].Load()
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", name, cum, name,
		strconv.FormatFloat(math.Float64frombits(h.sum.Load()), 'g', -1, 64), name, cum)
}

// metrics are the server's counters, written by hand in the Prometheus text
// exposition format (version 0.0.4). Every field is atomic: the request path takes
// no lock to count.
type metrics struct {
	requests   atomic.Uint64
	responses  [600]atomic.Uint64 // by HTTP status code
	sentences  atomic.Uint64
	srcTokens  atomic.Uint64
	outTokens  atomic.Uint64
	encoded    atomic.Uint64 // encoder batches (sentences admitted together)
	decodeTime atomic.Int64  // ns
	batchSize  *histogram    // sentences decoding per decoder step
	latency    *histogram    // seconds per request, received to answered
	queued     func() int
}

func newMetrics(queued func() int) *metrics {
	return &metrics{
		batchSize: newHistogram(1, 2, 4, 8, 16, 32, 64, 128, 256),
		latency:   newHistogram(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30),
		queued:    queued,
	}
}

func (m *metrics) request() { m.requests.Add(1) }

func (m *metrics) response(code int, elapsed time.Duration) {
	m.responses[code].Add(1) // codes are the handlers' own, all in [100, 600)
	m.latency.observe(elapsed.Seconds())
}

// step counts a decoder step of the sentences decoding (the running batch), the
// sentences translated, and the encoder batches run and tokens read and written
// since the previous step.
func (m *metrics) step(decoding, translated int, work train.BatchStats, took time.Duration) {
	m.sentences.Add(uint64(translated))
	m.srcTokens.Add(uint64(work.SourceTokens))
	m.outTokens.Add(uint64(work.OutputTokens))
	m.encoded.Add(uint64(work.Batches))
	m.decodeTime.Add(int64(took))
	m.batchSize.observe(float64(decoding))
}

func (m *metrics) write(w io.Writer) {
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("bkm_requests_total", "Translation requests received.", m.requests.Load())
	fmt.Fprintf(w, "# HELP bkm_responses_total Translation responses by HTTP status code.\n# TYPE bkm_responses_total counter\n")
	for c := range m.responses {
		if n := m.responses[c].Load(); n > 0 {
			fmt.Fprintf(w, "bkm_responses_total{code=\"%d\"} %d\n", c, n)
		}
	}
	counter("bkm_sentences_total", "Sentences translated.", m.sentences.Load())
	counter("bkm_source_tokens_total", "Source tokens read by the encoder (EOS included).", m.srcTokens.Load())
	counter("bkm_output_tokens_total", "Tokens generated in translations (EOS excluded).", m.outTokens.Load())
	counter("bkm_encoder_batches_total", "Encoder batches: the sentences that joined a running batch at one step are encoded together.", m.encoded.Load())
	fmt.Fprintf(w, "# HELP bkm_decode_seconds_total Time spent in decoder steps (train.Stream.Step).\n# TYPE bkm_decode_seconds_total counter\nbkm_decode_seconds_total %s\n",
		strconv.FormatFloat(time.Duration(m.decodeTime.Load()).Seconds(), 'g', -1, 64))
	fmt.Fprintf(w, "# HELP bkm_queue_length Requests waiting for the batcher.\n# TYPE bkm_queue_length gauge\nbkm_queue_length %d\n", m.queued())
	m.batchSize.write(w, "bkm_batch_sentences", "Sentences decoding together, per decoder step (the running batch).")
	m.latency.write(w, "bkm_request_duration_seconds", "Latency of translation requests, received to answered.")
}
