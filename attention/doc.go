// Package attention is exact kernel attention: the kernel zoo of the paper (§2 of
// docs/paper.md), fused and tiled forward and backward passes, a linear-time path for
// finite-dimensional kernels, and multi-head projection helpers.
//
// Attention between a target domain (queries q_i) and a source domain (keys k_j,
// values v_j) with kernel κ is
//
//	out_i = Σ_j κ(q_i, k_j) v_j / Σ_j κ(q_i, k_j)
//
// (or the numerator alone in unnormalized mode). The kernels are built by EDP, RBF,
// Laplace, ExpInt, Intersection, Poly, Taylor, Linear and Favor, or parsed by
// ByName(spec, d) from command-line specs such as "edp", "poly2", "taylor4", "favor256".
// Each knows its value and gradients (float64, the mathematical definition), whether it
// is exp-family (normalized in log space), its feature dimension, its base-kernel Gram
// on one domain and, when finite, its explicit feature map. The scale γ defaults to
// 1/√d (Options.Scale = 0).
//
// Layout: q [B, H, Nq, D], k and v [B, H, Nk, D], out [B, H, Nq, D], row-major
// float32; Nq ≠ Nk is allowed (cross attention). ForwardStrided and BackwardStrided take
// the same tensors addressed through Strides (a Layout), so that the heads of a
// projection's [B·N, ·] rows — a fused QKV row, the merged output — are read and
// written in place, with no split into heads and no merge back. Causal masking is aligned to the
// bottom right: query i sees key j iff j ≤ i + Nk − Nq (the usual convention when
// Nq = Nk). Key-padding masks are [B, Nk] booleans, true = attend.
//
// Forward and Backward are fused and tiled in the FlashAttention-2 style: tiles of
// QKᵀ go through simd.Sgemm, exp-family kernels are normalized online (running max and
// sum), the others by running sums; no Nq×Nk matrix is ever stored; Forward saves only
// the row statistics (log-sum-exp for exp-family kernels, row sums otherwise) and
// Backward recomputes the tiles. Work runs in parallel over batch×heads and tiles on
// up to simd.Threads() goroutines. A Workspace (or the internal pool, if nil is
// passed) holds every buffer, so steady-state calls do not allocate; Workspace.Reserve
// sizes one up front for the shapes a run will use. Results are
// bit-identical from call to call for a fixed thread count; out, stats, dK and dV are
// bit-identical for any thread count, and so is dQ unless B·H < threads, when Backward
// splits one head's key tiles over per-accumulator partial dQ sums.
//
// Attention dropout (Options.Dropout p, Options.DropoutSeed) is F.dropout applied to the
// normalized attention weights inside the fused passes: out_i = Σ_j (M_ij/(1−p))·P_ij·v_j,
// the normalizer still over every visible key. The mask M is never stored: a
// counter-based hash (SplitMix64 keyed by the seed and b·H+h, drawn at i·Nk+j; see
// dropout.go) lets Forward, Backward and Reference recompute it, independently of
// tiling and threads. ForwardLinear rejects dropout.
//
// Decode is the path of a decoding step: up to MaxDecodeQueries queries per head
// against a key/value cache, every kernel, key-padding and causal masks, with no tiles:
// each head streams once over K and V in L1-sized blocks, normalized online. Its
// tensors are addressed through Strides, so a cache allocated for MaxLen positions and
// queries inside a fused QKV row are read in place. DecodeRows is the same step for
// rows that each attend to their own cache entry and number of keys (the hypotheses of
// many sentences decoded together), in one call spread over the worker pool.
//
// ForwardLinear computes the same result for the finite-dimensional kernels (poly,
// taylor, linear, favor) in linear time through their feature maps, with causal prefix
// sums. CrossGram and Kernel.Gram give kernel matrices for package bkm. MHForward and
// MHBackward wrap the core in a multi-head layer with projections W_Q, W_K, W_V, W_O
// (self attention: pass the same input twice).
//
// Checking: Forward and Backward do not inspect values; ForwardChecked and
// BackwardChecked scan their inputs and return an error naming the tensor and index of
// the first NaN or ±Inf, and then scan the outputs. Shape and length errors are
// programmer errors and panic with a message naming the argument.
//
// Reference is the float64 oracle that materializes everything; tests compare with it.
//
// Imports: packages simd and internal/par (the worker pool) of bkm and the standard
// library.
package attention
