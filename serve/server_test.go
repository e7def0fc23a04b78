package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// testTranslator is an untrained byte-level translation model: small, quick, and
// its outputs still depend on the source.
func testTranslator(t *testing.T) *train.Translator {
	t.Helper()
	cfg := train.DefaultConfig()
	cfg.Model.DModel, cfg.Model.Heads, cfg.Model.FFN, cfg.Model.EncLayers, cfg.Model.DecLayers = 16, 2, 32, 1, 1
	cfg.Model.MaxLen = 48
	cfg.Threads = 1
	tr, err := train.NewTrainer(cfg)
	require.NoError(t, err)
	tt, err := train.NewTranslator(tr.Model, train.ByteTokenizer{})
	require.NoError(t, err)
	return tt
}

// gate blocks the decoders before each step, until released; entered receives the
// number of sentences about to be stepped.
type gate struct {
	entered chan int
	release chan struct{}
}

func newGate(s *Server) *gate {
	g := &gate{entered: make(chan int, 1000), release: make(chan struct{})}
	s.beforeStep = func(decoding int) {
		g.entered <- decoding
		<-g.release
	}
	return g
}

// gatedServer is a server of testTranslator with cfg, gated, behind an httptest server.
func gatedServer(t *testing.T, cfg Config) (*train.Translator, *Server, *gate, *httptest.Server) {
	tt := testTranslator(t)
	s := New(tt, cfg)
	t.Cleanup(s.Close)
	g := newGate(s)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(func() { // a failed test leaves no decoder waiting in the gate
		select {
		case <-g.release:
		default:
			close(g.release)
		}
	})
	return tt, s, g, ts
}

type reply struct {
	code int
	body map[string]any
	err  error
}

func post(ctx context.Context, c *http.Client, url string, body any) reply {
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/translate", bytes.NewReader(b))
	if err != nil {
		return reply{err: err}
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	r := reply{code: resp.StatusCode}
	if r.err = json.NewDecoder(resp.Body).Decode(&r.body); r.err == nil && resp.ContentLength < 0 {
		r.err = errors.New("an answer without Content-Length")
	}
	return r
}

func sentence(i int) string {
	words := []string{"the", "quick", "fox", "river", "follows", "a", "garden", "at night"}
	var sb strings.Builder
	for j := 0; j <= i%9; j++ {
		sb.WriteString(words[(i*7+j*3)%len(words)] + " ")
	}
	return sb.String()
}

// TestConcurrentRequests: many clients at once, one or many sentences each, greedy
// and beam: every answer is TranslateBatch's, with its id echoed.
func TestConcurrentRequests(t *testing.T) {
	tt := testTranslator(t)
	s := New(tt, Config{MaxBatch: 16})
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	const clients, each = 16, 3
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				i := c*each + k
				beam := 1 + 2*(i%2)
				texts := []string{sentence(i), sentence(i + 1), sentence(3 * i)}[:1+i%3]
				want, err := tt.TranslateBatch(context.Background(), texts, train.TranslateOptions{Beam: beam, LenPenalty: 1})
				if err != nil {
					errs <- err
					return
				}
				id := fmt.Sprint("req-", i)
				var r reply
				var got any
				if len(texts) == 1 && i%2 == 0 {
					r = post(context.Background(), ts.Client(), ts.URL, map[string]any{"id": id, "text": texts[0], "beam": beam})
					got = []any{r.body["translation"]}
				} else {
					r = post(context.Background(), ts.Client(), ts.URL, map[string]any{"id": id, "texts": texts, "beam": beam, "length_penalty": 1})
					got = r.body["translations"]
				}
				wantAny := jsonText(want)
				switch {
				case r.err != nil:
					errs <- r.err
				case r.code != 200:
					errs <- fmt.Errorf("%s: status %d: %v", id, r.code, r.body)
				case r.body["id"] != id:
					errs <- fmt.Errorf("%s: id %v", id, r.body["id"])
				case fmt.Sprint(got) != fmt.Sprint(wantAny):
					errs <- fmt.Errorf("%s: %q, want %q", id, got, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	m := metricsText(t, ts.URL)
	require.Contains(t, m, fmt.Sprintf("bkm_requests_total %d\n", clients*each))
	require.Contains(t, m, fmt.Sprintf("bkm_responses_total{code=\"200\"} %d\n", clients*each))
	require.Contains(t, m, fmt.Sprintf("bkm_request_duration_seconds_count %d\n", clients*each))
	require.Contains(t, m, "# TYPE bkm_batch_sentences histogram\n")
	require.Contains(t, m, "bkm_batch_sentences_bucket{le=\"+Inf\"}")
	require.Regexp(t, `bkm_output_tokens_total [1-9]\d*\n`, m)
	require.Regexp(t, `bkm_sentences_total [1-9]\d*\n`, m)
	require.Contains(t, m, fmt.Sprintf("bkm_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", clients*each))
	encoded, sentences := metricValue(t, m, "bkm_encoder_batches_total"), metricValue(t, m, "bkm_sentences_total")
	require.True(t, encoded >= 1 && encoded <= sentences, "%v encoder batches for %v sentences", encoded, sentences)
}

// metricValue is the value of the unlabelled sample name in the metrics text m.
func metricValue(t *testing.T, m, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			x, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err, line)
			return x
		}
	}
	t.Fatalf("no sample %s in\n%s", name, m)
	return 0
}

// TestHistogramConcurrent: observations from many goroutines at once, without a
// lock, are all counted, in the right buckets, and summed.
func TestHistogramConcurrent(t *testing.T) {
	h := newHistogram(1, 2, 4)
	const goroutines, each = 8, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				h.observe(float64((g + i) % 6)) // 0..5: buckets ≤1, ≤2, ≤4, +Inf
			}
		}()
	}
	wg.Wait()
	// The same values counted serially: cumulative bucket counts and the sum.
	var le [4]int
	sum := 0
	for g := range goroutines {
		for i := range each {
			v := (g + i) % 6
			sum += v
			for b, bound := range []int{1, 2, 4, 6} {
				if v <= bound {
					le[b]++
				}
			}
		}
	}
	var sb strings.Builder
	h.write(&sb, "x", "help")
	require.Equal(t, fmt.Sprintf(`# HELP x help
# TYPE x histogram
x_bucket{le="1"} %d
x_bucket{le="2"} %d
x_bucket{le="4"} %d
x_bucket{le="+Inf"} %d
x_sum %d
x_count %d
`, le[0], le[1], le[2], le[3], sum, goroutines*each), sb.String())
}

// jsonText is texts as a JSON client reads them back: encoding/json replaces each
// byte of invalid UTF-8 (an untrained byte-level model emits some) by U+FFFD.
func jsonText(texts []string) []any {
	b, _ := json.Marshal(texts)
	var out []any
	json.Unmarshal(b, &out)
	return out
}

func metricsText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/plain; version=0.0.4")
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// TestClientDisconnectMidBatch: a client that leaves while its sentence decodes
// beside others stops only its own: the others get their translations.
func TestClientDisconnectMidBatch(t *testing.T) {
	tt, s, g, ts := gatedServer(t, Config{MaxBatch: 3, Workers: 1})
	// A first request holds the decoder while the others queue, so that all three
	// decode together.
	leave, cancel := context.WithCancel(context.Background())
	replies := make([]reply, 3)
	var wg sync.WaitGroup
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if i == 0 {
				ctx = leave
			}
			replies[i] = post(ctx, ts.Client(), ts.URL, map[string]any{"text": sentence(i + 8)})
		}()
		if i == 0 {
			require.Equal(t, 1, <-g.entered)
		}
	}
	require.Eventually(t, func() bool { return len(s.queue) == 2 }, 5*time.Second, time.Millisecond)
	g.release <- struct{}{}          // the first request's first step
	require.Equal(t, 3, <-g.entered) // the two others have joined it
	cancel()
	time.Sleep(20 * time.Millisecond)
	close(g.release)
	wg.Wait()
	require.ErrorIs(t, replies[0].err, context.Canceled)
	for i := 1; i < 3; i++ {
		want, err := tt.Translate(context.Background(), sentence(i+8), train.TranslateOptions{})
		require.NoError(t, err)
		require.Equal(t, 200, replies[i].code, "%v", replies[i].body)
		require.Equal(t, jsonText([]string{want})[0], replies[i].body["translation"])
	}
	require.Eventually(t, func() bool {
		return strings.Contains(metricsText(t, ts.URL), `bkm_responses_total{code="499"} 1`)
	}, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, metricsText(t, ts.URL), "bkm_sentences_total 2\n", "the two whose clients stayed")
}

// TestJoinRunningBatch: a request arriving while another decodes joins its batch at
// the next step, and a request with another beam waits for that batch to drain; all
// get the translations of their sentences alone.
func TestJoinRunningBatch(t *testing.T) {
	tt, s, g, ts := gatedServer(t, Config{MaxBatch: 8, Workers: 1})
	type req struct {
		text string
		beam int
	}
	reqs := []req{{sentence(8), 1}, {sentence(17), 1}, {sentence(5), 4}, {sentence(26), 1}}
	replies := make([]reply, len(reqs))
	var wg sync.WaitGroup
	var seen []int
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = post(context.Background(), ts.Client(), ts.URL, map[string]any{"text": r.text, "beam": r.beam})
		}()
		if i > 0 { // queued while the decoder waits before a step
			require.Eventually(t, func() bool { return len(s.queue) == 1 }, 5*time.Second, time.Millisecond)
			g.release <- struct{}{}
		}
		if i < len(reqs)-1 {
			seen = append(seen, <-g.entered)
		}
	}
	require.Equal(t, []int{1, 2}, seen[:2], "the second request joined the first's batch")
	require.LessOrEqual(t, seen[2], 2, "the beam-4 request did not join the beam-1 batch")
	close(g.release)
	wg.Wait()
	for i, r := range reqs {
		want, err := tt.Translate(context.Background(), r.text, train.TranslateOptions{Beam: r.beam, LenPenalty: 1})
		require.NoError(t, err)
		require.Equal(t, 200, replies[i].code, "%v", replies[i].body)
		require.Equal(t, jsonText([]string{want})[0], replies[i].body["translation"], "request %d", i)
	}
}

// TestMaxWait: an idle decoder that took a request waits up to MaxWait for more, so a
// request arriving a little later starts in the same first step, and the wait ends as
// soon as the stream is full (well before MaxWait).
func TestMaxWait(t *testing.T) {
	tt, _, g, ts := gatedServer(t, Config{MaxBatch: 2, Workers: 1, MaxWait: time.Minute})
	texts := []string{sentence(8), sentence(17)}
	replies := make([]reply, len(texts))
	start := time.Now()
	var wg sync.WaitGroup
	for i, text := range texts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = post(context.Background(), ts.Client(), ts.URL, map[string]any{"text": text})
		}()
		if i == 0 {
			time.Sleep(200 * time.Millisecond) // the first is taken alone by the idle decoder
		}
	}
	require.Equal(t, 2, <-g.entered, "the later request joined the first step")
	close(g.release)
	wg.Wait()
	require.Less(t, time.Since(start), 30*time.Second, "a full stream ends the wait")
	for i, text := range texts {
		want, err := tt.Translate(context.Background(), text, train.TranslateOptions{Beam: 1, LenPenalty: 1})
		require.NoError(t, err)
		require.Equal(t, 200, replies[i].code, "%v", replies[i].body)
		require.Equal(t, jsonText([]string{want})[0], replies[i].body["translation"], "request %d", i)
	}
}

// TestQueueFull: with the batcher busy and the queue full, a request gets 503 at
// once; the queued ones are still answered.
func TestQueueFull(t *testing.T) {
	_, s, g, ts := gatedServer(t, Config{QueueSize: 1, MaxBatch: 1, Workers: 1})
	replies := make(chan reply, 2)
	go func() { replies <- post(context.Background(), ts.Client(), ts.URL, map[string]any{"text": "a"}) }()
	<-g.entered
	go func() { replies <- post(context.Background(), ts.Client(), ts.URL, map[string]any{"text": "b"}) }()
	require.Eventually(t, func() bool { return len(s.queue) == 1 }, 5*time.Second, time.Millisecond)
	r := post(context.Background(), ts.Client(), ts.URL, map[string]any{"text": "c"})
	require.NoError(t, r.err)
	require.Equal(t, 503, r.code)
	require.EqualValues(t, 503, r.body["code"])
	require.Contains(t, r.body["error"], "queue full")
	close(g.release)
	for i := 0; i < 2; i++ {
		r := <-replies
		require.NoError(t, r.err)
		require.Equal(t, 200, r.code, "%v", r.body)
	}
}

// TestTimeout: a request not answered within Timeout gets 504.
func TestTimeout(t *testing.T) {
	s := New(testTranslator(t), Config{Timeout: 50 * time.Millisecond})
	defer s.Close()
	g := newGate(s)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	r := post(context.Background(), ts.Client(), ts.URL, map[string]any{"text": "a"})
	close(g.release)
	require.NoError(t, r.err)
	require.Equal(t, 504, r.code)
	require.Contains(t, r.body["error"], "not translated within")
}

// TestBadRequests: every malformed or oversized request gets its 4xx with a JSON
// error body, and the server keeps serving.
func TestBadRequests(t *testing.T) {
	s := New(testTranslator(t), Config{MaxBodyBytes: 200, MaxSentences: 3, MaxSentenceBytes: 20, MaxBeam: 4})
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, c := range []struct {
		body string
		code int
		msg  string
	}{
		{`{"text": "a"`, 400, "malformed JSON"},
		{`not json`, 400, "malformed JSON"},
		{`{"text": "a"} {"text": "b"}`, 400, "data after the object"},
		{`{"text": "a", "colour": 1}`, 400, "unknown field"},
		{`{"text": 3}`, 400, "malformed JSON"},
		{`{}`, 400, "no input"},
		{`{"texts": []}`, 400, "no input"},
		{`{"text": ""}`, 400, "sentence 0 is empty"},
		{`{"texts": ["a", ""]}`, 400, "sentence 1 is empty"},
		{`{"text": "a", "texts": ["b"]}`, 400, "not both"},
		{"{\"text\": \"a\xff\"}", 400, "not valid UTF-8"},
		{`{"text": "` + strings.Repeat("x", 300) + `"}`, 413, "body over 200 bytes"},
		{`{"texts": ["a", "b", "c", "d"]}`, 413, "at most 3 per request"},
		{`{"text": "` + strings.Repeat("x", 21) + `"}`, 413, "at most 20"},
		{`{"text": "a", "beam": 0}`, 400, "beam = 0"},
		{`{"text": "a", "beam": 5}`, 400, "beam = 5"},
		{`{"text": "a", "length_penalty": 11}`, 400, "length_penalty"},
		{`{"text": "a", "beam": 1.5}`, 400, "malformed JSON"},
	} {
		r := post(context.Background(), ts.Client(), ts.URL, c.body)
		require.NoError(t, r.err, c.body)
		require.Equal(t, c.code, r.code, "%s: %v", c.body, r.body)
		require.EqualValues(t, c.code, r.body["code"], c.body)
		require.Contains(t, r.body["error"], c.msg, c.body)
	}
	resp, err := http.Get(ts.URL + "/translate")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 405, resp.StatusCode)
	resp, err = http.Get(ts.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	r := post(context.Background(), ts.Client(), ts.URL, `{"text": "still serving"}`)
	require.Equal(t, 200, r.code, "%v", r.body)
	m := metricsText(t, ts.URL)
	require.Contains(t, m, `bkm_responses_total{code="400"} 15`)
	require.Contains(t, m, `bkm_responses_total{code="413"} 3`)
}

// TestGracefulShutdown: when Serve's context ends, the request in flight is still
// answered, then Serve returns nil and stops listening.
func TestGracefulShutdown(t *testing.T) {
	s := New(testTranslator(t), Config{})
	g := newGate(s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, 10*time.Second) }()
	replies := make(chan reply, 1)
	go func() {
		replies <- post(context.Background(), http.DefaultClient, url, map[string]any{"text": "in flight"})
	}()
	<-g.entered
	stop()
	time.Sleep(50 * time.Millisecond) // Shutdown has closed the listener and waits
	close(g.release)
	r := <-replies
	require.NoError(t, r.err)
	require.Equal(t, 200, r.code, "%v", r.body)
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	_, err = http.Get(url + "/healthz")
	require.Error(t, err, "no longer listening")
	require.False(t, s.enqueue(&job{}), "closed: no more requests queued")
}

// TestWorkersDecodeAtOnce: with two workers, two batches are decoding at the same
// time (both wait in the gate), and both are answered.
func TestWorkersDecodeAtOnce(t *testing.T) {
	s := New(testTranslator(t), Config{MaxBatch: 1, Workers: 2})
	defer s.Close()
	g := newGate(s)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	replies := make(chan reply, 2)
	for i := range 2 {
		go func() {
			replies <- post(context.Background(), ts.Client(), ts.URL, map[string]any{"text": sentence(i)})
		}()
	}
	<-g.entered
	<-g.entered // the second batch is decoding before the first is released
	close(g.release)
	for range 2 {
		r := <-replies
		require.NoError(t, r.err)
		require.Equal(t, 200, r.code, "%v", r.body)
	}
}

// TestNewRefusesUnboundedBatch: a MaxBatch × MaxBeam beyond MaxHypotheses, or a
// queue beyond MaxQueue, is a configuration mistake that New names instead of
// exhausting memory at the first request (or allocating the queue).
func TestNewRefusesUnboundedBatch(t *testing.T) {
	require.PanicsWithValue(t, "serve.New: cfg.MaxBatch × cfg.MaxBeam = 1000 × 16 exceeds MaxHypotheses (4096)",
		func() { New(nil, Config{MaxBatch: 1000}) })
	require.PanicsWithValue(t, "serve.New: cfg.MaxBatch × cfg.MaxBeam = 2 × 4000 exceeds MaxHypotheses (4096)",
		func() { New(nil, Config{MaxBatch: 2, MaxBeam: 4000}) })
	require.PanicsWithValue(t, "serve.New: cfg.QueueSize = 65537 exceeds MaxQueue (65536)",
		func() { New(nil, Config{QueueSize: MaxQueue + 1}) })
}
