// Package loadgen drives a translation server (package serve's POST /translate) with
// concurrent clients, as light as a load tool should be so that the server, not the
// generator, is what is measured: each client is one goroutine on one keep-alive
// connection, writing requests assembled from pre-encoded JSON into a reused buffer
// and reading HTTP/1.1 responses with a small parser into a reused buffer (no
// net/http client, no JSON decoding of a correct answer). Every response is still
// checked, byte for byte, against the answer the server must give: status 200, the
// request's id and the expected translation; anything else is decoded to say what was
// wrong. Request i carries the id "r<i>" and sentence i mod len(Sources); a request
// with no answer, a second answer or a wrong one is an error. A client reads one
// answer a request, in order, so an answer sent twice is read as the next request's
// (whose id then differs), or, after the client's last request, is found left on its
// connection. Throughput (Result.Rate) and latency count the correct answers only.
//
// It is used by bench/cmd/serveload. Imports: the standard library only.
package loadgen
