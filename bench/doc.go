// Package bench holds bkm's benchmarks and the peers they are measured against: the
// same shapes run by bkm (package simd), by gonum's pure-Go BLAS, and, behind the
// build tag openblas (cgo, Debian libopenblas-dev), by OpenBLAS's cblas_sgemm, so
// that one `go test ./bench -tags openblas -run '^$' -bench Sgemm` prints them side
// by side. RESULTS.md records measured tables with the machine and the commands.
//
// Performance is measured here only, as GFLOP/s reported with b.ReportMetric, never
// in timed tests. On the shared 2-core machine run every benchmark under
// `flock /tmp/bench.lock`.
//
// Imports: anything (bkm packages, gonum, cgo peers); nothing imports bench.
package bench
