package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kernelmachines/bkm/train"
)

// MaxHypotheses bounds MaxBatch × MaxBeam. Each decoder reserves its decoding state
// for MaxBatch sentences of the first request's beam when that request arrives (about
// 0.3 MB a hypothesis for the README's model, max_len 96), so a larger product would
// not fail at start but exhaust memory at the first request.
const MaxHypotheses = 4096

// MaxQueue bounds QueueSize: the queue's slots are allocated in New, and each waiting
// request holds its body (up to MaxBodyBytes), so a larger queue only moves the
// overload from a quick 503 to exhausted memory.
const MaxQueue = 1 << 16

// DefaultMaxBatch is a decoder's default running batch. Smaller than offline
// TranslateBatch's 32: a Stream's sentences sit at every position at once, and with 32
// of them each step's key/value caches no longer stay near the core: at 64 clients
// serving took 1.40–1.59× offline's CPU a sentence at 32 and 1.04–1.37× (median 1.19)
// at 16 greedily, 1.12–1.27× and 0.99–1.10× with beam 4 (serveload, bench/RESULTS.md);
// the queue holds the other requests.
const DefaultMaxBatch = 16

// Config are the server's limits; New fills a zero field with its default.
type Config struct {
	MaxBatch         int           // sentences a decoder decodes at once (DefaultMaxBatch)
	MaxWait          time.Duration // how long an idle decoder that took a request waits for more before its first step (0: none)
	Workers          int           // decoders, each running its own batch (the Translator's Parallelism)
	QueueSize        int           // requests waiting for the batcher, ≤ MaxQueue; more get 503 (256)
	MaxBodyBytes     int64         // request body size; more get 413 (1 MiB)
	MaxSentences     int           // sentences per request; more get 413 (64)
	MaxSentenceBytes int           // bytes per sentence; more get 413 (4096)
	MaxBeam          int           // largest beam a request may ask for (16)
	Timeout          time.Duration // per request, received to answered; then 504 (30s)
	ErrorLog         *log.Logger   // internal errors (nil: the log package's)
}

func (c *Config) defaults() {
	set := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	set(&c.MaxBatch, DefaultMaxBatch)
	set(&c.QueueSize, 256)
	set(&c.MaxSentences, 64)
	set(&c.MaxSentenceBytes, 4096)
	set(&c.MaxBeam, 16)
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.ErrorLog == nil {
		c.ErrorLog = log.Default()
	}
}

// Server translates HTTP requests with a Translator. Build it with New, mount Handler
// (or call Serve), and Close it when done.
type Server struct {
	tr      *train.Translator
	cfg     Config
	metrics *metrics
	mux     *http.ServeMux

	queue    chan *job
	closeMu  sync.RWMutex
	closed   bool
	loopDone chan struct{}

	beforeStep func(decoding int) // tests: runs before each decoder step
}

// New starts a server's batcher for tr with the limits of cfg.
// It panics when cfg.MaxBatch × cfg.MaxBeam exceeds MaxHypotheses or cfg.QueueSize
// exceeds MaxQueue.
func New(tr *train.Translator, cfg Config) *Server {
	cfg.defaults()
	if cfg.MaxBatch > MaxHypotheses/cfg.MaxBeam {
		panic(fmt.Sprintf("serve.New: cfg.MaxBatch × cfg.MaxBeam = %d × %d exceeds MaxHypotheses (%d)", cfg.MaxBatch, cfg.MaxBeam, MaxHypotheses))
	}
	if cfg.QueueSize > MaxQueue {
		panic(fmt.Sprintf("serve.New: cfg.QueueSize = %d exceeds MaxQueue (%d)", cfg.QueueSize, MaxQueue))
	}
	if cfg.Workers <= 0 {
		cfg.Workers = tr.Parallelism()
	}
	s := &Server{tr: tr, cfg: cfg, queue: make(chan *job, cfg.QueueSize), loopDone: make(chan struct{})}
	s.metrics = newMetrics(func() int { return len(s.queue) })
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/translate", s.handleTranslate)
	s.mux.HandleFunc("/healthz", s.handleHealth)
	s.mux.HandleFunc("/metrics", s.handleMetrics)
	go s.loop()
	return s
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close stops accepting translation requests (503), lets the batcher finish the
// queued ones and waits for it. Call it after the HTTP server has shut down.
func (s *Server) Close() {
	s.closeMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.closeMu.Unlock()
	<-s.loopDone
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully: it stops
// listening, waits up to grace for the requests in flight to be answered, and closes
// s. It returns nil after a graceful shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: s.cfg.ErrorLog}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc // http.ErrServerClosed
	s.Close()
	return err
}

// serveHTTP routes a request; a panic (a bug: requests are validated first) answers
// 500 instead of taking the server down.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.cfg.ErrorLog.Printf("serve: panic in %s %s: %v", r.Method, r.URL.Path, v)
			s.writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// request is the body of POST /translate: text or texts, not both.
type request struct {
	ID            string   `json:"id,omitempty"`
	Text          *string  `json:"text,omitempty"`
	Texts         []string `json:"texts,omitempty"`
	Beam          *int     `json:"beam,omitempty"`
	LengthPenalty *float64 `json:"length_penalty,omitempty"`
}

// response answers a request: translation for text, translations for texts.
type response struct {
	ID           string   `json:"id,omitempty"`
	Translation  *string  `json:"translation,omitempty"`
	Translations []string `json:"translations,omitempty"`
}

type errorBody struct {
	Error string `json:"error"`
	Code  int    `json:"code"`
}

// httpError is a request's failure: its status and message.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) *httpError {
	return &httpError{code, fmt.Sprintf(format, args...)}
}

func (s *Server) handleTranslate(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	s.metrics.request()
	code, body := s.translateRequest(w, r)
	if code == 0 {
		s.metrics.response(499, time.Since(t0)) // the client left: nothing to write
		return
	}
	s.writeJSON(w, code, body)
	s.metrics.response(code, time.Since(t0))
}

// translateRequest validates, queues and waits for a request; it returns the status
// and body to send (status 0: the client has gone).
func (s *Server) translateRequest(w http.ResponseWriter, r *http.Request) (int, any) {
	req, herr := s.parse(w, r)
	if herr != nil {
		return herr.code, errorBody{herr.msg, herr.code}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	texts := req.Texts
	if req.Text != nil {
		texts = []string{*req.Text}
	}
	j := &job{ctx: ctx, texts: texts, beam: 1, lp: 1, done: make(chan result, 1)}
	if req.Beam != nil {
		j.beam = *req.Beam
	}
	if req.LengthPenalty != nil {
		j.lp = *req.LengthPenalty
	}
	if !s.enqueue(j) {
		return http.StatusServiceUnavailable, errorBody{"the server is busy or shutting down: queue full", http.StatusServiceUnavailable}
	}
	var res result
	select {
	case res = <-j.done:
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	switch {
	case errors.Is(res.err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, errorBody{fmt.Sprintf("not translated within %v", s.cfg.Timeout), http.StatusGatewayTimeout}
	case errors.Is(res.err, context.Canceled):
		return 0, nil
	case res.err != nil:
		s.cfg.ErrorLog.Printf("serve: translate: %v", res.err)
		return http.StatusInternalServerError, errorBody{"translation failed: " + res.err.Error(), http.StatusInternalServerError}
	}
	resp := response{ID: req.ID}
	if req.Text != nil {
		resp.Translation = &res.out[0]
	} else {
		resp.Translations = res.out
	}
	return http.StatusOK, resp
}

// parse reads and checks a translation request: every limit and field is checked
// before the request is queued.
func (s *Server) parse(w http.ResponseWriter, r *http.Request) (*request, *httpError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, errorf(http.StatusMethodNotAllowed, "use POST")
	}
	buf := getBuffer()
	defer putBuffer(buf)
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	body := buf.Bytes()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", s.cfg.MaxBodyBytes)
	case err != nil:
		return nil, errorf(http.StatusBadRequest, "reading the request body: %v", err)
	case !utf8.Valid(body):
		// encoding/json would silently turn invalid bytes into U+FFFD.
		return nil, errorf(http.StatusBadRequest, "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req request
	if err := dec.Decode(&req); err != nil {
		return nil, errorf(http.StatusBadRequest, "malformed JSON request: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(http.StatusBadRequest, "malformed JSON request: data after the object")
	}
	texts := req.Texts
	switch {
	case req.Text != nil && req.Texts != nil:
		return nil, errorf(http.StatusBadRequest, `give "text" or "texts", not both`)
	case req.Text != nil:
		texts = []string{*req.Text}
	case len(req.Texts) == 0:
		return nil, errorf(http.StatusBadRequest, `no input: give "text" or a non-empty "texts"`)
	case len(req.Texts) > s.cfg.MaxSentences:
		return nil, errorf(http.StatusRequestEntityTooLarge, "%d sentences: at most %d per request", len(req.Texts), s.cfg.MaxSentences)
	}
	for i, t := range texts {
		switch {
		case t == "":
			return nil, errorf(http.StatusBadRequest, "sentence %d is empty", i)
		case len(t) > s.cfg.MaxSentenceBytes:
			return nil, errorf(http.StatusRequestEntityTooLarge, "sentence %d has %d bytes: at most %d", i, len(t), s.cfg.MaxSentenceBytes)
		}
	}
	if b := req.Beam; b != nil && (*b < 1 || *b > s.cfg.MaxBeam) {
		return nil, errorf(http.StatusBadRequest, "beam = %d: must be in [1, %d]", *b, s.cfg.MaxBeam)
	}
	if lp := req.LengthPenalty; lp != nil && (math.IsNaN(*lp) || math.Abs(*lp) > 10) {
		return nil, errorf(http.StatusBadRequest, "length_penalty = %v: must be in [-10, 10]", *lp)
	}
	return &req, nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.closeMu.RLock()
	closed := s.closed
	s.closeMu.RUnlock()
	if closed {
		s.writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w)
}

// writeJSON answers with v as JSON, from a recycled buffer and with a Content-Length
// (so the answer is never chunked).
func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) {
	buf := getBuffer()
	defer putBuffer(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil { // only strings and numbers: cannot happen
		code = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal error","code":500}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// buffers recycles the buffers requests are read into and answers encoded in.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxKeptBuffer is the largest buffer put back for reuse: a rare large request does
// not pin its memory.
const maxKeptBuffer = 64 << 10

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxKeptBuffer {
		b.Reset()
		buffers.Put(b)
	}
}

func (s *Server) writeError(w http.ResponseWriter, code int, msg string) {
	s.writeJSON(w, code, errorBody{msg, code})
}
