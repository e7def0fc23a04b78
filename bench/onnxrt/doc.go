// Package onnxrt benchmarks ONNX Runtime as the translation peer: the models of
// package onnx's export decoded by package onnx/ortpeer (build tag ort, cgo), named
// and measured as bench's BenchmarkTranslate (impl=bkm) and bench/torch_translate.py
// (impl=torch) so the three read side by side. Without the tag it holds nothing.
//
// It may import onnx, onnx/ortpeer and train.
package onnxrt
