// Command fmapeak measures this machine's single-core FP32 FMA ceiling: the
// GFLOP/s of twelve independent FMA chains (no loads, no stores), at AVX-512 and
// AVX2 width, and the latency of one dependent chain. The GEMM figures in
// bench/RESULTS.md are read against this ceiling, not against a datasheet: under a
// hypervisor the clock is whatever the host gives.
//
//	go run ./scripts/fmapeak [-runs 7] [-iters 100000000]
//
// Each probe runs -runs times and prints every run and the median. Run it under the
// bench lock (flock /tmp/bench.lock), like the benchmarks.
//
// Imports: the standard library and github.com/klauspost/cpuid/v2; nothing of bkm
// (the probe measures the machine, not the library).
package main
