// Package train trains Transformers on the CPU: the encoder–decoder of Vaswani et al.
// (fairseq-style: post-LN by default, pre-LN as an option; sinusoidal or learned
// positions; shared embeddings as options) for translation and a decoder-only model for
// language modelling, with every attention layer's kernel chosen from package
// attention's zoo (Config.Model.Kernel, or per layer with LayerKernels).
//
// # Layout
//
// Written in the style of llm.c: each layer is a forward/backward pair of plain
// functions with shape comments (linear.go, layernorm.go, activation.go, dropout.go,
// embedding.go, loss.go, attncore.go); forward.go and backward.go chain them for the
// model. Parameters, gradients, activations and AdamW moments each live in ONE []float32
// arena carved into views (arena.go); Model.Tensors names every parameter tensor by its
// offset. There is no tape and no reflection; a training step allocates nothing once the
// activation arena fits the batch shape (Model.Reserve).
//
//   - config.go      Config (JSON) for model, optimizer, schedule, data; Validate names the bad field
//     and its value: NaN, ±Inf and out-of-range floats, sizes past the Max* limits, and a run whose
//     memory estimate (memory.go: Config.Memory) exceeds MemoryLimit fail before anything is built
//   - model.go       parameters, initialization, activation arena
//   - forward.go     Forward(batch) → summed label-smoothed loss; backward.go Backward(scale)
//   - adamw.go       AdamW (torch.optim.AdamW semantics; one simd.AdamW pass per tensor span with the
//     clipping scale folded in), ClipGradNorm, GradNorm (fixed chunks), ScheduleConfig.LR
//     (inverse_sqrt as fairseq, cosine, constant, all with linear warm-up)
//   - halves.go      the step's in-process data parallelism: every micro-batch cut into two
//     halves (the ranks' cost-balanced shard plan), forward and backward of each on its own
//     model (the trainer's, and a replica sharing its parameters with its own gradients and
//     activations) as two pool tasks with single-goroutine kernels, the replica's gradients
//     added in the gradient norm's pass
//   - trainer.go     Trainer.Step (gradient accumulation over micro-batches), Eval; on a NaN or
//     infinite loss, gradient or update Step returns ErrDiverged and goes back to the last state whose
//     loss was finite (a copy it keeps), so what is saved then is the last good model
//   - tokenizer.go   ByteTokenizer; bpe.go deterministic byte-level BPE (TrainBPE, saved with the model)
//   - data.go        ParseTSV, ReadTSV, ReadTextLines, ReadText (one line reader; errors name
//     file:line: invalid UTF-8, NUL bytes, CR-only line endings, missing tabs), LMLoader and PairLoader
//     (token-count batches with length bucketing, padding, seeded per-epoch shuffling, DataState)
//   - decode.go      Decoder: greedy and beam search with length penalty over a key/value cache
//   - encode_packed.go the encoder's weights packed once for a Decoder (every source's encoding the same
//     bits alone or batched)
//   - api.go         Translate, Generate, EvalBLEU
//   - translator.go  Translator: concurrent, pooled model replicas; TranslateBatch decodes
//     length-sorted batches with every hypothesis of every sentence in one step
//   - par.go         row-parallel loops for the elementwise layers, the decoder's cross-attention cache
//     split, bias broadcast and gradient, gradient norm and arena copies (results independent of the
//     thread count)
//   - fused.go       a pre-LN block's output stage (bias, dropout, residual) computing the next layer
//     norm chunk by chunk while the rows are in L1
//   - profile.go     the step profile (Model.Profile): time per section and per GEMM shape
//   - bleu.go        CorpusBLEU = sacreBLEU's default (13a tokenizer, exp smoothing)
//   - session.go     Session: a training run (trainer, tokenizer, loader, validation batches):
//     Step, Validate, BLEU, Save; ResumeSession and OpenModel come back to a checkpoint;
//     corpus_id.go CorpusID (a checkpoint's record of its corpus: ResumeSession refuses
//     other data, ErrOtherCorpus)
//   - distributed.go data parallelism over a Comm (MPI ranks through package cluster):
//     Trainer.Distribute and Session.Distribute; each rank steps on its rows of every global
//     batch, gradients are summed in buckets while the backward runs (Model.GradsDone), each
//     bucket a reduce-scatter that leaves a rank the sums of its ZeRO-1 update share, rank
//     0 alone saves; the result equals one process on the global batch up to float32 sums
//   - recipe.go      QuickConfig: small translation and language-model runs that learn within minutes
//   - study.go       kernel studies (bkmtrain compare-kernels): StudySpec and StudyRun saved atomically
//     per finished run, ReadStudy, StudyReport (mean ± std, paired t-tests over seeds, feature-dimension
//     sweeps); distinct.go DistinctOutputs (does a translator's output change with its input)
//   - representer.go the approximation curve on real layers (docs/representer.md):
//     Model.CaptureAttention copies every attention layer's per-head Q, K, V, output and masks from
//     an evaluation-mode Forward; RepresenterCurves measures the attention output's and weights'
//     relative error when the layer's kernel is replaced by taylor-N, favor-D (seeds) or kernels
//     learned by bkm.Distill, per layer and head, against the feature dimension; representer_report.go
//     ApproxReport, their markdown table, and ParseApproxPoints and WriteApproxPoints, the reader and writer of representer.json
//   - metrics.go     MetricsLog: the JSON-lines metrics of a run, cut back to the checkpoint on resume
//   - checkpoint.go  versioned, SHA-256-checked checkpoints written atomically; Load, LoadInto;
//     every length in a file is bounded before use (FuzzReadCheckpoint), and Save removes the
//     temporary files of saves killed before their rename
//
// # Conventions
//
// Token ids: ByteTokenizer and BPE put bytes at 0–255 and Pad, BOS, EOS at 256–258.
// Batches are padded on the right; targets equal to Pad are ignored by the loss, source
// padding is masked as attention keys, and the decoder's causal mask makes its right
// padding harmless. The loss reported by Forward is summed; Trainer.Step normalizes by
// the number of target tokens over all micro-batches, so accumulating k micro-batches
// equals one batch holding all of them. GELU is the tanh approximation; label smoothing
// follows PyTorch's cross_entropy(label_smoothing=ε) (ε/V on every class), which differs
// slightly from fairseq's ε/(V−1). Attention dropout (Model.AttentionDropout) drops
// normalized attention weights inside package attention's fused kernels, as
// F.dropout(softmax(S), p) does, in every self-, cross- and decoder attention layer during
// training only (not in evaluation or decoding).
//
// # Determinism
//
// The same Config (seed included) and the same thread count give bit-identical losses:
// initialization, dropout masks (PCG streams keyed by seed, micro-batch number, layer and
// 4096-element chunk; for attention dropout a seed drawn from the PCG stream of seed,
// micro-batch number and layer, which package attention hashes with the head, query and
// key) and data order (seed and epoch) do not depend on timing, and every reduction has
// a fixed order for a fixed thread count (TestDeterminism).
//
// A step cuts every micro-batch of two rows or more into two halves whatever the thread
// count (halves.go): at 1 thread they run one after the other, at 2 at once, each with
// its kernels on one goroutine, and the second half's gradients are added to the first's
// element by element. The cut, its dropout seeds and that sum are the same at any thread
// count. At 1 thread it costs GEMMs of half the rows and one more pass over the gradient
// arena (measured in bench/RESULTS.md, issue 16's in-process halves). The second half's
// model is built and sized at a session's first step alone: a rank of a distributed run
// (Distribute, after SetData) runs its shard whole and never builds it.
//
// What the thread count changes: which goroutine computes what, and, in one case, the
// order of a sum. simd.Sgemm splits the rows or columns of C (never the k sum); the
// elementwise layers (GELU, layer norm, dropout, AdamW) split rows or chunks and reduce
// layer-norm parameter gradients in one ordered pass; package attention splits
// batch×heads. So with B·H ≥ threads the losses are bit-identical for any thread count
// (TestThreadCountInvariance: 1, 2 and 4 threads). When B·H < threads, package attention's
// backward splits key tiles over per-accumulator query gradients added in a fixed
// order, so the last bits of dQ (and everything after) may differ between thread
// counts; results stay deterministic for a fixed count.
// Checkpoints store the seed, the micro-batch counter and the data position, which is the
// whole random state: a resumed run reproduces the straight run bit for bit (TestResume).
//
// # Imports
//
// Package attention (every attention layer), package bkm (Distill, in representer.go), package simd (GEMM, vector math), package
// internal/par (the worker pool), internal/atomicfile, gonum's stat/distuv (study.go's
// paired t-test), the standard library; its tests also use package cluster (in-process
// rank groups, and Open MPI under the tag mpi) and internal/clustertest. Outside bench, only serve,
// onnx, internal/translatebench and cmd/bkmtrain import train.
package train
