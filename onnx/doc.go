// Package onnx writes a trained bkm encoder–decoder as ONNX models that a standard
// runtime (ONNX Runtime, for one) runs without bkm: an encoder graph, a decoder-step
// graph that takes and returns the self-attention key/value caches so that a runtime
// decodes incrementally, the tokenizer and a JSON manifest naming ids, shapes and the
// graphs' inputs and outputs.
//
// The protobuf is written by hand (proto.go: varints and length-delimited fields with
// the field numbers of onnx.proto), so exporting needs no Python and no protobuf
// library; graphs use opset 17 standard operators only. Every attention kernel of the
// zoo whose formula those operators express is exported (edp, rbf, laplace, expint,
// intersection, poly, taylor, linear); favor is refused, its random features being
// private to package attention.
//
// It may import train, attention and internal/atomicfile of bkm.
package onnx
