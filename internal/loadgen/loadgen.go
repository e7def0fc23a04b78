package loadgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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
	MaxRequests int           // requests at most (0: no bound but Duration)
	Beam        int           // the requests' beam (0: the server's default, greedy)
	Sources     []string      // request i translates Sources[i % len(Sources)]
	Want        []string      // and must get Want[i % len(Sources)] back
	Timeout     time.Duration // per request (0: one minute)
}

// Result is what a level measured.
type Result struct {
	Requests int           // answered, correct or not
	Correct  int           // answered with status 200, the request's id and the expected translation
	Elapsed  time.Duration // first request sent to last answer read
	P50, P99 time.Duration // latency of the correct answers, request written to answer read
	Mean     time.Duration
	Errors   int      // wrong, lost or duplicated answers and failed requests
	First    []string // the first few errors, said in full
}

// Rate is the correct answers (one sentence each) per second: a server answering
// errors fast does not count them as throughput.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Correct) / r.Elapsed.Seconds()
}

// maxReported is how many errors a Result says in full.
const maxReported = 10

// extraWait is how long a client, after its last answer, waits for bytes the server
// should not send (a second answer): a server that answers twice writes the second
// right after the first.
const extraWait = 100 * time.Millisecond

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
		cfg.MaxRequests = math.MaxInt
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
	var res Result
	var lat []time.Duration
	for _, cl := range clients {
		cl.conn.Close()
		lat = append(lat, cl.lat...)
		res.Requests += cl.answered
		res.Errors += cl.errors
		res.First = append(res.First, cl.first...)
		res.Elapsed = max(res.Elapsed, cl.end.Sub(start))
	}
	res.First = res.First[:min(len(res.First), maxReported)]
	res.Correct = len(lat)
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

// plan is what the clients share: the pre-encoded request and answer pieces and the
// next request's number.
type plan struct {
	cfg      Config
	head     []byte   // the request line and headers up to the Content-Length value
	tails    [][]byte // per source: `,"text":…,"beam":…}` (the body after the id)
	wants    [][]byte // per source: the expected answer after the id, `","translation":…}`
	texts    []string // per source: the expected translation as JSON carries it (U+FFFD for invalid bytes)
	next     atomic.Int64
	deadline time.Time
}

func prepare(cfg Config) (*plan, error) {
	p := &plan{cfg: cfg}
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

// client is one connection and its reused buffers; lat, the counts and end are its own
// until Run collects them.
type client struct {
	p        *plan
	conn     net.Conn
	r        *bufio.Reader
	req      []byte
	body     []byte
	lat      []time.Duration // of the correct answers
	answered int
	errors   int
	first    []string
	end      time.Time // its last answer read (or request failed)
}

func (c *client) fail(format string, args ...any) {
	c.errors++
	if len(c.first) < maxReported {
		c.first = append(c.first, fmt.Sprintf(format, args...))
	}
}

// run sends requests one after another until the deadline or the request bound, then
// checks that nothing more arrives on its connection.
//
// Each request is answered exactly once or it is an error: the client reads one answer
// per request, in order, and checks its id, so an answer missing (a timeout or a closed
// connection) or one too many (the next request then reads an answer with another id)
// is found by the request it hits; a second answer to the last request is found by
// the read after it (unread).
func (c *client) run() {
	p := c.p
	c.end = time.Now()
	for time.Now().Before(p.deadline) {
		i := int(p.next.Add(1)) - 1
		if i >= p.cfg.MaxRequests {
			break
		}
		k := i % len(p.tails)
		t0 := time.Now()
		status, err := c.roundTrip(i, k)
		c.end = time.Now()
		if err != nil {
			c.fail("r%d: %v", i, err)
			if c.reconnect() != nil {
				return
			}
			continue
		}
		c.answered++
		if c.check(i, k, status) {
			c.lat = append(c.lat, c.end.Sub(t0))
		}
	}
	c.unread()
}

// unread reports bytes the server sent after the answer to the client's last request:
// what is buffered, or arrives within extraWait.
func (c *client) unread() {
	n := c.r.Buffered()
	if n == 0 {
		c.conn.SetReadDeadline(time.Now().Add(extraWait))
		if _, err := c.r.Peek(1); err == nil {
			n = c.r.Buffered()
		}
	}
	if n > 0 {
		b, _ := c.r.Peek(min(n, 80))
		c.fail("%d bytes after the answer to the connection's last request (an answer sent twice?): %q", n, b)
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

// check compares the answer to request i (source k) with the one expected and reports
// whether it is correct: the fast path compares bytes; any difference is decoded and
// said.
func (c *client) check(i, k, status int) bool {
	b := c.body
	if status == 200 && bytes.HasPrefix(b, []byte(`{"id":"r`)) {
		rest := b[len(`{"id":"r`):]
		var idBuf [20]byte
		id := strconv.AppendInt(idBuf[:0], int64(i), 10)
		if bytes.HasPrefix(rest, id) && bytes.Equal(rest[len(id):], c.p.wants[k]) {
			return true
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
		return true
	}
	return false
}

// quoted is *s quoted, or "none".
func quoted(s *string) string {
	if s == nil {
		return "none"
	}
	return strconv.Quote(*s)
}
