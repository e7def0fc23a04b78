package serve

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"
)

// FuzzParse: whatever the body, parse returns a request within the limits or a 4xx
// error, and never panics.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{`{"text": "a"}`, `{"texts": ["a", "bc"], "beam": 2, "length_penalty": 0.5, "id": "x"}`,
		`{"text": ""}`, `{"texts": []}`, `{"text": "a", "colour": 1}`, "{\"text\": \"\xff\"}", `{"text": "a"} 1`, `[`, ``,
		`{"beam": -1, "text": "a"}`, `{"text": "a", "length_penalty": 1e400}`} {
		f.Add([]byte(seed))
	}
	s := &Server{cfg: Config{MaxBodyBytes: 256, MaxSentences: 4, MaxSentenceBytes: 32, MaxBeam: 8}}
	s.cfg.defaults()
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/translate", bytes.NewReader(body))
		req, herr := s.parse(httptest.NewRecorder(), r)
		if herr != nil {
			if herr.code < 400 || herr.code > 499 || herr.msg == "" {
				t.Fatalf("%q: status %d, message %q", body, herr.code, herr.msg)
			}
			return
		}
		texts := req.Texts
		if req.Text != nil {
			texts = []string{*req.Text}
		}
		if len(texts) == 0 || len(texts) > s.cfg.MaxSentences || len(body) > int(s.cfg.MaxBodyBytes) {
			t.Fatalf("%q accepted with %d sentences", body, len(texts))
		}
		for _, x := range texts {
			if x == "" || len(x) > s.cfg.MaxSentenceBytes || !utf8.ValidString(x) {
				t.Fatalf("%q accepted with sentence %q", body, x)
			}
		}
		if req.Beam != nil && (*req.Beam < 1 || *req.Beam > s.cfg.MaxBeam) {
			t.Fatalf("%q accepted with beam %d", body, *req.Beam)
		}
	})
}
