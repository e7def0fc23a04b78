package loadgen

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	sources = []string{"a", "b <c> & d", "é\t\"q\""}
	want    = []string{"A", "B <C> & D", "É\t\"Q\""}
)

// fakeServer answers POST /translate as serve does (id echoed, the translation of
// want), except for the request ids fault lists, which it answers wrongly.
func fakeServer(t *testing.T, fault map[string]func(w http.ResponseWriter, id string)) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID   string
			Text string
			Beam int
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/translate" || req.Beam != 2 {
			http.Error(w, fmt.Sprintf("bad request %v %s beam %d", err, r.URL.Path, req.Beam), 400)
			return
		}
		if f := fault[req.ID]; f != nil {
			f(w, req.ID)
			return
		}
		answer(w, req.ID, want[indexOf(req.Text)])
	}))
	t.Cleanup(ts.Close)
	return strings.TrimPrefix(ts.URL, "http://")
}

func indexOf(text string) int {
	for i, s := range sources {
		if s == text {
			return i
		}
	}
	return -1
}

func answer(w http.ResponseWriter, id, translation string) {
	b, _ := json.Marshal(map[string]string{"id": id, "translation": translation})
	w.Header().Set("Content-Length", fmt.Sprint(len(b)+1))
	w.Write(append(b, '\n'))
}

func TestRunCorrectServer(t *testing.T) {
	addr := fakeServer(t, nil)
	res, err := Run(Config{Addr: addr, Clients: 4, MaxRequests: 200, Beam: 2, Sources: sources, Want: want})
	require.NoError(t, err)
	require.Zero(t, res.Errors, "%v", res.First)
	require.Equal(t, 200, res.Requests)
	require.Equal(t, 200, res.Correct)
	require.Positive(t, res.P50)
	require.GreaterOrEqual(t, res.P99, res.P50)
	require.Positive(t, res.Mean)
	require.Positive(t, res.Rate())
}

// TestRunDuration: a level bounded by time only stops.
func TestRunDuration(t *testing.T) {
	addr := fakeServer(t, nil)
	res, err := Run(Config{Addr: addr, Clients: 2, Duration: 50 * time.Millisecond, Beam: 2, Sources: sources, Want: want})
	require.NoError(t, err)
	require.Zero(t, res.Errors, "%v", res.First)
	require.Positive(t, res.Requests)
}

// TestRunFaults: every kind of wrong answer is an error, said with its request's id,
// and the client carries on (on a new connection where the old one broke).
func TestRunFaults(t *testing.T) {
	faults := map[string]func(w http.ResponseWriter, id string){
		"r1": func(w http.ResponseWriter, id string) { answer(w, id, "wrong") },
		"r3": func(w http.ResponseWriter, id string) { answer(w, "r99", want[0]) },
		"r5": func(w http.ResponseWriter, id string) {
			w.WriteHeader(500)
			w.Write([]byte(`{"error":"boom","code":500}`))
		},
		"r7": func(w http.ResponseWriter, id string) { // no answer: the connection drops
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		},
		"r9": func(w http.ResponseWriter, id string) { // chunked: serve never does this
			w.Write([]byte(`{"id":"r9",`))
			w.(http.Flusher).Flush()
			w.Write([]byte(`"translation":"B"}`))
		},
		"r11": func(w http.ResponseWriter, id string) { // answered, then the connection closes
			w.Header().Set("Connection", "close")
			answer(w, id, want[11%len(want)])
		},
		"r13": func(w http.ResponseWriter, id string) { // answered twice, then silent
			conn, bw, _ := w.(http.Hijacker).Hijack()
			t.Cleanup(func() { conn.Close() })
			body := `{"id":"r13","translation":"B <C> & D"}` + "\n"
			for range 2 {
				fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			}
			bw.Flush()
		},
	}
	addr := fakeServer(t, faults)
	res, err := Run(Config{Addr: addr, Clients: 1, MaxRequests: 20, Beam: 2, Sources: sources, Want: want, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	all := strings.Join(res.First, "\n")
	for _, s := range []string{`r1: translation "wrong"`, `r3: answered with id "r99"`, "r5: status 500: boom", "r7: ", "r9: Transfer-Encoding", `r14: answered with id "r13"`, "r15: reading the status line", "i/o timeout"} {
		require.Contains(t, all, s)
	}
	require.NotContains(t, all, "r11")
	// r15 waits on the connection that answered r13 twice, until its timeout.
	require.Equal(t, 7, res.Errors, all)
	require.Equal(t, 17, res.Requests, "r7, r9 and r15 were not answered")
	require.Equal(t, 13, res.Correct, "r1, r3, r5 and r14 were answered wrongly")
}

// twiceServer answers POST /translate correctly, and the request with id twice a
// second time right after the first, on the same connection.
func twiceServer(t *testing.T, twice string) string {
	return fakeServer(t, map[string]func(w http.ResponseWriter, id string){
		twice: func(w http.ResponseWriter, id string) {
			conn, bw, _ := w.(http.Hijacker).Hijack()
			t.Cleanup(func() { conn.Close() })
			b, _ := json.Marshal(map[string]string{"id": id, "translation": want[indexOf(sources[0])]})
			for range 2 {
				fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s\n", len(b)+1, b)
			}
			bw.Flush()
		},
	})
}

// TestRunAnsweredTwice: a second answer to a client's last request, which no later
// request of that client reads, is still an error (the bytes left on its connection).
func TestRunAnsweredTwice(t *testing.T) {
	for _, clients := range []int{1, 3} {
		// r6 (source 0) is the last request: of the one client, or of one of three.
		res, err := Run(Config{Addr: twiceServer(t, "r6"), Clients: clients, MaxRequests: 7, Beam: 2, Sources: sources, Want: want})
		require.NoError(t, err)
		require.Equal(t, 1, res.Errors, "%d clients: %v", clients, res.First)
		require.Contains(t, res.First[0], "after the answer to the connection's last request")
		require.Equal(t, 7, res.Requests)
		require.Equal(t, 7, res.Correct, "each request's own answer was right")
	}
	// Answered twice before the client's last request: the next request reads the
	// second answer, with the wrong id (and the one after waits on the connection
	// the fake server left, until its timeout).
	res, err := Run(Config{Addr: twiceServer(t, "r3"), Clients: 1, MaxRequests: 7, Beam: 2, Sources: sources, Want: want,
		Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, 2, res.Errors, "%v", res.First)
	require.Contains(t, res.First[0], `r4: answered with id "r3"`)
	require.Contains(t, res.First[1], "r5: reading the status line")
}

// TestRunRateCountsCorrect: fast error answers are requests but not throughput.
func TestRunRateCountsCorrect(t *testing.T) {
	busy := func(w http.ResponseWriter, id string) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"queue full","code":503}`))
	}
	faults := map[string]func(w http.ResponseWriter, id string){}
	for i := 0; i < 40; i += 2 {
		faults[fmt.Sprintf("r%d", i)] = busy
	}
	res, err := Run(Config{Addr: fakeServer(t, faults), Clients: 2, MaxRequests: 40, Beam: 2, Sources: sources, Want: want})
	require.NoError(t, err)
	require.Equal(t, 40, res.Requests)
	require.Equal(t, 20, res.Correct)
	require.Equal(t, 20, res.Errors)
	require.InDelta(t, 20/res.Elapsed.Seconds(), res.Rate(), 1e-9*res.Rate())
}

func TestRunConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Clients: 0, MaxRequests: 1, Sources: sources, Want: want},
		{Clients: 1, MaxRequests: 1, Sources: sources, Want: want[:1]},
		{Clients: 1, Sources: sources, Want: want},
		{Addr: "127.0.0.1:1", Clients: 1, MaxRequests: 1, Sources: sources, Want: want},
	} {
		_, err := Run(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}
