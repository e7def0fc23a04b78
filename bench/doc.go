// Package bench holds bkm's benchmarks against its peers (OpenBLAS, SLEEF, gonum,
// Go's math) and their recorded results (RESULTS.md). It may import anything;
// nothing imports it.
package bench
