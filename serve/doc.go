// Package serve is translation as an HTTP service: a net/http handler around a
// train.Translator with iteration-level batching (each decoder runs a train.Stream:
// requests' sentences join the running batch between decoder steps and leave it when
// they finish), request limits, per-request timeouts, a bounded queue (503
// when full), Prometheus-format metrics and graceful shutdown. Go programs embed it
// with New and Handler (or Serve); `bkmtrain serve` is a thin command around it.
//
// Endpoints: POST /translate ({"text": "..."} or {"texts": [...]}, optional "beam",
// "length_penalty" and "id", echoed back), GET /healthz, GET /metrics. Errors are
// JSON: {"error": "...", "code": N}. JSON carries text, so a translation that is not
// valid UTF-8 (a byte-level model can emit such bytes) arrives with each invalid byte
// replaced by U+FFFD.
//
// Files: server.go (handlers, validation, Serve), batcher.go (the queue and the
// batching loop), metrics.go (counters and histograms written in the text format),
// procs.go (SetProcs: the decoders' threads and the runtime's Ps for serving).
//
// It imports train, simd (SetProcs) and the standard library only.
package serve
