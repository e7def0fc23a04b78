// Command bkmtrain trains and uses the Transformers of package train with any attention
// kernel of the zoo, fits binary kernel machines (package bkm), and runs the paper's
// kernel comparison in one command.
//
//	bkmtrain train            [flags]   train a translation model or a language model
//	bkmtrain eval             [flags]   validation loss (and BLEU) of a checkpoint
//	bkmtrain translate        [flags]   translate stdin to stdout with a checkpoint
//	bkmtrain generate         [flags]   continue each stdin line with a language model
//	bkmtrain compare-kernels  [flags]   same data, model, recipe and seeds per kernel
//	bkmtrain representer      [flags]   a model's attention layers against finite kernels
//	bkmtrain bkm fit|predict  [flags]   binary kernel machines from CSV files
//	bkmtrain info                       SIMD path, CPU features, threads
//	bkmtrain export --onnx DIR [flags]  write a translation model as ONNX files
//
// With no data flag, train uses the small Spanish→English corpus embedded in the binary
// (see docs/data.md). Run `bkmtrain CMD -h` for the flags of a command.
//
// Errors a person can act on (bad flags, unknown kernels, malformed data, inconsistent
// configs, sizes over a limit, unwritable or occupied directories, a diverged run) are
// printed as one line starting with "bkmtrain CMD:" (for example "bkmtrain train: ...")
// and exit with status 1; usage errors exit with status 2. Everything is checked before
// a file is written, and no run replaces another's checkpoint without --overwrite. The
// table of docs/bkmtrain.md is run by contract_test.go.
//
// The library does the work: package train reads the corpora (ParseTSV, ReadTextLines),
// runs the training session (train.Session: steps, validation, BLEU, checkpoints,
// resume) and writes the metrics log (train.MetricsLog); this command parses flags,
// prints, and orchestrates the training loop.
//
// Files: main.go (commands, exit statuses), config.go (flags over train.Config), data.go
// (corpora and the embedded default), decode.go (--beam and --len-penalty),
// checkpoint.go (checkpoint paths), traincmd.go (bkmtrain train), trainrun.go (the
// training loop: progress, metrics, validation, checkpoints, signals, divergence),
// use.go (eval, translate, generate), compare.go and plot.go (compare-kernels),
// representer.go (representer: table and PNG curves over train.RepresenterCurves), bkmcmd.go (bkm fit|predict), distributed.go (--distributed: joining an MPI job), info.go, export.go (export --onnx, over package onnx).
//
// It imports train, serve, onnx, bkm, cluster (MPI for --distributed), attention (kernel names for bkm), simd (info),
// internal/atomicfile, gonum/plot (the learning-curve PNG) and internal/corpus; nothing imports it.
package main
