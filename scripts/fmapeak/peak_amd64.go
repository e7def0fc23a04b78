//go:build !purego

package main

import "github.com/klauspost/cpuid/v2"

//go:noescape
func fmaThroughput512(iters int)

//go:noescape
func fmaThroughput256(iters int)

//go:noescape
func fmaLatency256(iters int)

// probes lists the loops this CPU can run: twelve independent FMA chains per
// iteration (throughput) and one dependent chain of four (latency).
func probes() []probe {
	var ps []probe
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		ps = append(ps, probe{"AVX-512 FMA throughput (12 chains × 16 lanes)", fmaThroughput512, 12 * 16 * 2, 0})
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		ps = append(ps,
			probe{"AVX2 FMA throughput (12 chains × 8 lanes)", fmaThroughput256, 12 * 8 * 2, 0},
			probe{"FMA latency (one chain, 4 per iteration)", fmaLatency256, 0, 4})
	}
	return ps
}
