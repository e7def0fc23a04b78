// Package bench holds bkm's benchmark suites, one file per floor (sgemm, vecmath,
// attention, bkm, train), each beside the peers it is measured against in the same
// run: gonum's pure-Go BLAS; OpenBLAS's cblas_sgemm behind the build tag openblas
// (cgo, Debian libopenblas-dev); SLEEF's AVX2 vector math behind the tag sleef (cgo,
// Debian libsleef-dev); libxsmm (tag libxsmm, Debian libxsmm-dev) and oneDNN's
// dnnl_sgemm (tag dnnl, Debian libdnnl-dev) for the small and batched products and,
// with OpenBLAS, the large ones in paired rounds (BenchmarkSgemmPaired);
// PyTorch through the scripts torch_attention.py and torch_train.py. One command
// prints bkm and its peers side by side:
//
//	go test ./bench -tags openblas,sleef,libxsmm,dnnl -run '^$' -bench . -count 5
//
// Performance is measured here only, reported with b.ReportMetric (GFLOP/s or
// elements/ns), never in timed tests. RESULTS.md records the measured tables with the
// machine line and the exact commands. On a shared machine, run one benchmark process
// at a time (for example under flock) and compare medians and ratios.
//
// bench/cmd/serveload is the load generator of the HTTP service (package serve, the
// clients in internal/loadgen): loopback only, bounded in time and requests, 1, 8 and
// 64 concurrent clients by default, p50/p99 latency, sentences/s and CPU time a
// sentence beside offline TranslateBatch's, in one run.
//
// torch_translate.py is the PyTorch peer of BenchmarkTranslate on the same weights: it
// loads a bkm checkpoint with bkm_torch.py (reader, BPE tokenizer, batched incremental
// decoding as train.Translator, on train/testdata/gen_golden.py's model), prints the
// same benchmark names with impl=torch and checks parity with bkmtrain translate's
// output; bench/cmd/bkmtokens prints a checkpoint tokenizer's ids to check its tokenizer.
//
// Imports: anything (bkm packages, internal/cpuclock, internal/translatebench, gonum,
// cgo peers); nothing imports bench.
package bench
