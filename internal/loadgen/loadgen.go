package loadgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load level.
type Config struct {
	Addr        string        // the server, host:port (loopback)
	Clients     int           // concurrent clients, one connection each
	Duration    time.Duration // no request starts after it
	MaxRequests int           // requests at most (0: no bound but Duration, and 2²⁶)
	Beam        int           // the requests' beam (0: the server's default, greedy)
	Sources     []string      // request i translates Sources[i % len(Sources)]
	Want        []string      // and must get Want[i % len(Sources)] back
	Timeout     time.Duration // per request (0: one minute)
}

// Result is what a level measured.
type Result struct {
	Requests int           // answered, correct or not
	Elapsed  time.Duration // first request sent to last answer read
	P50, P99 time.Duration // latency, request written to answer read
	Mean     time.Duration
	Errors   int      // wrong, lost or duplicated answers and failed requests
	First    []string // the first few errors, said in full
}

// Rate is the answered requests (one sentence each) per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// maxRequests bounds a level's requests (a byte of bookkeeping each).
const maxRequests = 1 << 26

// failed marks a request whose round trip failed (its error is counted once).
const failed = 0xff

// maxReported is how many errors a Result says in full.
const maxReported = 10

// Run runs one level against the server at cfg.Addr and returns what it measured; the
// error is for a level that could not run (bad config, no connection).
func Run(cfg Config) (Result, error) {
	switch {
	case cfg.Clients < 1:
		return Result{}, fmt.Errorf("loadgen: %d clients: must be ≥ 1", cfg.Clients)
	case len(cfg.Sources) == 0 || len(cfg.Want) != len(cfg.Sources):
		return Result{}, fmt.Errorf("loadgen: %d sources and %d translations: need as many, at least one", len(cfg.Sources), len(cfg.Want))
	case cfg.Duration <= 0 && cfg.MaxRequests <= 0:
		return Result{}, errors.New("loadgen: give a duration or a request count")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = maxRequests
	}
	p, err := prepare(cfg)
	if err != nil {
		return Result{}, err
	}
	clients := make([]*client, cfg.Clients)
	for c := range clients {
		conn, err := net.Dial("tcp", cfg.Addr)
		if err != nil {
			for _, cl := range clients[:c] {
				cl.conn.Close()
			}
			return Result{}, fmt.Errorf("loadgen: %w", err)
		}
		clients[c] = &client{p: p, conn: conn, r: bufio.NewReaderSize(conn, 4096)}
	}
	var wg sync.WaitGroup
	start := time.Now()
	p.deadline = start.Add(cfg.Duration)
	if cfg.Duration <= 0 {
		p.deadline = start.Add(100 * 365 * 24 * time.Hour)
	}
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.run()
		}()
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start)}
	var lat []time.Duration
	for _, cl := range clients {
		cl.conn.Close()
		lat = append(lat, cl.lat...)
		res.Errors += cl.errors
		res.First = append(res.First, cl.first...)
	}
	// Every request sent was answered exactly once (or failed, counted above).
	sent := min(int(p.next.Load()), cfg.MaxRequests)
	for i, n := range p.answered[:sent] {
		if n != 1 && n != failed {
			res.Errors++
			res.First = append(res.First, fmt.Sprintf("r%d: answered %d times", i, n))
		}
	}
	res.First = res.First[:min(len(res.First), maxReported)]
	res.Requests = len(lat)
	slices.Sort(lat)
	if len(lat) > 0 {
		var sum time.Duration
		for _, l := range lat {
			sum += l
		}
		res.Mean = sum / time.Duration(len(lat))
		res.P50 = lat[len(lat)/2]
		res.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return res, nil
}

// plan is what the clients share: the pre-encoded request and answer pieces, the next
// request's number and each request's answer count.
type plan struct {
	cfg      Config
	head     []byte   // the request line and headers up to the Content-Length value
	tails    [][]byte // per source: `,"text":…,"beam":…}` (the body after the id)
	wants    [][]byte // per source: the expected answer after the id, `","translation":…}`
	texts    []string // per source: the expected translation as JSON carries it (U+FFFD for invalid bytes)
	next     atomic.Int64
	answered []uint8 // per request number: answers read, or failed; written by the one client that sent it
	deadline time.Time
}

func prepare(cfg Config) (*plan, error) {
	if cfg.MaxRequests > maxRequests {
		return nil, fmt.Errorf("loadgen: %d requests: at most %d", cfg.MaxRequests, maxRequests)
	}
	p := &plan{cfg: cfg, answered: make([]uint8, cfg.MaxRequests)}
	p.head = fmt.Appendf(nil, "POST /translate HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: ", cfg.Addr)
	for i, src := range cfg.Sources {
		source, err := json.Marshal(src)
		if err != nil {
			return nil, err
		}
		tail := append([]byte(`,"text":`), source...)
		if cfg.Beam > 0 {
			tail = strconv.AppendInt(append(tail, `,"beam":`...), int64(cfg.Beam), 10)
		}
		p.tails = append(p.tails, append(tail, '}'))
		want, err := json.Marshal(cfg.Want[i])
		if err != nil {
			return nil, err
		}
		p.wants = append(p.wants, append(append([]byte(`","translation":`), want...), "}\n"...))
		var text string
		if err := json.Unmarshal(want, &text); err != nil {
			return nil, err
		}
		p.texts = append(p.texts, text)
	}
	return p, nil
}

// client is one connection and its reused buffers; lat and the error counts are its own
// until Run collects them.
type client struct {
	p      *plan
	conn   net.Conn
	r      *bufio.Reader
	req    []byte
	body   []byte
	lat    []time.Duration
	errors int
	first  []string
}

func (c *client) fail(format string, args ...any) {
	c.errors++
	if len(c.first) < maxReported {
		c.first = append(c.first, fmt.Sprintf(format, args...))
	}
}

// run sends requests one after another until the deadline or the request bound.
func (c *client) run() {
	p := c.p
	for time.Now().Before(p.deadline) {
		i := int(p.next.Add(1)) - 1
		if i >= p.cfg.MaxRequests {
			return
		}
		k := i % len(p.tails)
		t0 := time.Now()
		status, err := c.roundTrip(i, k)
		took := time.Since(t0)
		if err != nil {
			c.fail("r%d: %v", i, err)
			p.answered[i] = failed
			if c.reconnect() != nil {
				return
			}
			continue
		}
		p.answered[i]++
		c.lat = append(c.lat, took)
		c.check(i, k, status)
	}
}

// roundTrip writes request i (source k) and reads its answer into c.body.
func (c *client) roundTrip(i, k int) (status int, err error) {
	p := c.p
	c.conn.SetDeadline(time.Now().Add(p.cfg.Timeout))
	var idBuf [24]byte
	id := strconv.AppendInt(append(idBuf[:0], 'r'), int64(i), 10)
	bodyLen := len(`{"id":"`) + len(id) + 1 + len(p.tails[k])
	b := strconv.AppendInt(append(c.req[:0], p.head...), int64(bodyLen), 10)
	b = append(append(append(append(b, "\r\n\r\n"+`{"id":"`...), id...), '"'), p.tails[k]...)
	c.req = b
	if _, err := c.conn.Write(b); err != nil {
		return 0, err
	}
	return c.readResponse()
}

// readResponse reads one HTTP/1.1 response with a Content-Length (serve always sends
// one) into c.body and returns its status code.
func (c *client) readResponse() (int, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, fmt.Errorf("reading the status line: %w", err)
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, fmt.Errorf("malformed status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("malformed status line %q", line)
	}
	length, closing := -1, false
	for {
		line, err = c.r.ReadSlice('\n')
		if err != nil {
			return 0, fmt.Errorf("reading the headers: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, fmt.Errorf("malformed header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, fmt.Errorf("Transfer-Encoding %q: serve answers with a Content-Length", value)
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			closing = true
		}
	}
	if length < 0 {
		return 0, errors.New("no Content-Length")
	}
	c.body = slices.Grow(c.body[:0], length)[:length]
	if _, err := io.ReadFull(c.r, c.body); err != nil {
		return 0, fmt.Errorf("reading the body: %w", err)
	}
	if closing {
		if err := c.reconnect(); err != nil {
			return 0, err
		}
	}
	return status, nil
}

// reconnect replaces the connection (after an error, or when the server closes it).
func (c *client) reconnect() error {
	c.conn.Close()
	conn, err := net.Dial("tcp", c.p.cfg.Addr)
	if err != nil {
		c.fail("reconnecting: %v", err)
		return err
	}
	c.conn = conn
	c.r.Reset(conn)
	return nil
}

// check compares the answer to request i (source k) with the one expected: the fast
// path compares bytes; any difference is decoded and said.
func (c *client) check(i, k, status int) {
	b := c.body
	if status == 200 && bytes.HasPrefix(b, []byte(`{"id":"r`)) {
		rest := b[len(`{"id":"r`):]
		var idBuf [20]byte
		id := strconv.AppendInt(idBuf[:0], int64(i), 10)
		if bytes.HasPrefix(rest, id) && bytes.Equal(rest[len(id):], c.p.wants[k]) {
			return
		}
	}
	var r struct {
		ID          *string
		Translation *string
		Error       string
	}
	err := json.Unmarshal(b, &r)
	id := "r" + strconv.Itoa(i)
	switch {
	case err != nil:
		c.fail("%s: status %d, answer %q: %v", id, status, b, err)
	case status != 200:
		c.fail("%s: status %d: %s", id, status, r.Error)
	case r.ID == nil || *r.ID != id:
		c.fail("%s: answered with id %s", id, quoted(r.ID))
	case r.Translation == nil || *r.Translation != c.p.texts[k]:
		c.fail("%s: translation %s, want %q", id, quoted(r.Translation), c.p.texts[k])
	default: // the same answer, encoded otherwise: correct
	}
}

// quoted is *s quoted, or "none".
func quoted(s *string) string {
	if s == nil {
		return "none"
	}
	return strconv.Quote(*s)
}
