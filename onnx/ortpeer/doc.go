// Package ortpeer runs the files package onnx exports in ONNX Runtime, through the cgo
// binding github.com/yalue/onnxruntime_go, which loads the runtime's shared library at
// run time (for example the libonnxruntime.so.1 inside the npm package
// onnxruntime-node). Everything but this comment is behind the build tag ort, so the
// default build stays pure Go.
//
// Runtime wraps the two sessions (the encoder, and one decoder step with the
// self-attention caches as inputs and outputs); Translate decodes sentences with them
// greedily or by beam search under train.Translator's rules (the same batching by
// length, length limit, length penalty and fairseq's finishing rule), so that its
// translations and speed compare with bkm's sentence for sentence. The parity tests
// compare its encoder outputs and step log-probabilities with bkm's.
//
// It may import onnx, train and onnxruntime_go.
package ortpeer
