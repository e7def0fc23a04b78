#!/usr/bin/python3
"""PyTorch peer of bench/translate_test.go's BenchmarkTranslate (issue 14): a bkm
checkpoint's weights in PyTorch (bench/bkm_torch.py: train/testdata/gen_golden.py's model,
incremental decoding with cached keys and values, batched as train.Translator) translate
the sources of the test split (the text before the tab of each line) greedily and with
beam 4 (length penalty 1), at batch 1 and 32, on 1 and 2 threads. One line per
configuration, in Go benchmark format, beside bkm's:

    BenchmarkTranslate/impl=torch/ckpt=NAME/mode=greedy/batch=32/threads=1 1 <ns> ns/op <x> sentences/s

where one op is the whole split (tokenizing and detokenizing included, as bkm's), timed
once after a warm-up on its first --warmup sentences.

Threads: Debian's torch runs its products in the system OpenBLAS, whose thread count is
read from the environment when the library loads, so each thread count runs in a child
process started with OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS set (and
torch.set_num_threads called), and with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed so
that OpenBLAS picks its kernels for this CPU itself; the core it picked is printed.

Parity with bkm (same weights, same decoding rules):

    bkmtrain translate --checkpoint CKPT --input test.es --threads 1 > bkm.greedy.txt
    torch_translate.py --checkpoint CKPT --compare greedy=bkm.greedy.txt ...

counts, for every configuration of that mode, the sentences whose translation equals
bkm's; for each greedy difference it finds the first step where bkm's text leaves
PyTorch's and prints the logits there (both take the largest logit, not of the
log-probabilities, which round) of PyTorch's token and of the best token that continues
bkm's text (a gap of a few float32 ulps is a tie the two libraries' roundings break
differently). --check-tokens FILE compares the tokenizer with bkm's
(bench/cmd/bkmtokens output on the same lines).

Kernels: edp (softmax) and rbf (the README's main command trains rbf) in every layer;
bench/bkm_torch.py refuses other kernels before loading anything.

Run (from the module root; one benchmark at a time on a shared machine):

    flock /tmp/bench.lock env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \\
      bench/torch_translate.py --checkpoint /work/ckpt/readme/checkpoint.bkm --name readme
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = {"greedy": 1, "beam4": 4}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True, help="bkm checkpoint file")
    ap.add_argument("--name", help="ckpt= name in the benchmark lines (default: the file's directory name)")
    ap.add_argument("--test", default="/tmp/bible/test.tsv", help="test split: source<TAB>reference lines")
    ap.add_argument("--modes", default="greedy,beam4", help="comma-separated: greedy, beam4")
    ap.add_argument("--batches", default="1,32", help="comma-separated sentences per batch")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (one child process each)")
    ap.add_argument("--max-tokens", type=int, default=4096, help="padded source tokens per batch, as bkm's")
    ap.add_argument("--warmup", type=int, default=32, help="sentences translated before timing each configuration")
    ap.add_argument("--out", help="write the translations of each mode's first configuration here "
                                  "({mode} in the name is replaced by the mode; needed with several modes)")
    ap.add_argument("--compare", action="append", default=[], metavar="MODE=FILE",
                    help="count translations equal to FILE's lines (bkm's) for every configuration of MODE")
    ap.add_argument("--check-tokens", metavar="FILE",
                    help="bench/cmd/bkmtokens output: compare the tokenizer's ids and decoding, then exit")
    ap.add_argument("--child-threads", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.modes = args.modes.split(",")
    for m in args.modes:
        if m not in MODES:
            ap.error("--modes: %r is not one of %s" % (m, ", ".join(MODES)))
    try:
        args.batches = [int(x) for x in args.batches.split(",")]
        args.threads = [int(x) for x in args.threads.split(",")]
    except ValueError as e:
        ap.error("--batches/--threads: %s" % e)
    if min(args.batches) < 1 or min(args.threads) < 1:
        ap.error("--batches and --threads must be ≥ 1")
    if args.out and len(args.modes) > 1 and "{mode}" not in args.out:
        ap.error("--out: with several modes, put {mode} in the file name")
    compare = {}
    for c in args.compare:
        mode, sep, path = c.partition("=")
        if not sep or mode not in MODES:
            ap.error("--compare %r: want MODE=FILE with MODE one of %s" % (c, ", ".join(MODES)))
        compare[mode] = path
    args.compare = compare
    if args.name is None:
        args.name = os.path.basename(os.path.dirname(os.path.abspath(args.checkpoint)))
    return args


def read_lines(path):
    # bkm reads and writes raw bytes; surrogateescape keeps any that are not UTF-8
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as f:
        return f.read().split("\n")[:-1] if os.path.getsize(path) else []


def sources(path):
    out = []
    for i, line in enumerate(read_lines(path)):
        src, tab, _ = line.partition("\t")
        if not tab:
            sys.exit("%s:%d: no tab" % (path, i + 1))
        out.append(src)
    return out


def spawn(args):
    """Runs this script once per thread count, in a child with the thread variables set
    and the OpenBLAS overrides removed (they act when the library loads)."""
    for n in args.threads:
        env = dict(os.environ)
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
        for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[v] = str(n)
        r = subprocess.run([sys.executable, os.path.abspath(__file__)] + sys.argv[1:] + ["--child-threads", str(n)], env=env)
        if r.returncode:
            sys.exit(r.returncode)


def openblas_core():
    """The name of the kernel set OpenBLAS picked, from the loaded library."""
    import ctypes
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    for lib in sorted(libs):
        try:
            fn = ctypes.CDLL(lib).openblas_get_corename
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_char_p
        return "%s (%s)" % (fn().decode(), lib)
    return "unknown (no OpenBLAS loaded: %s)" % sorted(libs)


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def run(args):
    import torch
    import bkm_torch
    threads = args.child_threads
    torch.set_num_threads(threads)
    model, tok, _ = bkm_torch.load(args.checkpoint)
    tr = bkm_torch.Translator(model, tok)
    src = sources(args.test)
    if threads == args.threads[0]:
        print("cpu: %s" % cpu_model())
        print("torch: %s" % torch.__version__)
        print("openblas: %s" % openblas_core())
    refs = {mode: read_lines(path) for mode, path in args.compare.items()}
    for mode, ref in refs.items():
        if len(ref) != len(src):
            sys.exit("--compare %s: %d lines, the test split has %d" % (mode, len(ref), len(src)))
    for mode in args.modes:
        beam = MODES[mode]
        for bi, batch in enumerate(args.batches):
            opts = dict(beam=beam, len_penalty=1.0, max_sentences=batch, max_tokens=args.max_tokens)
            tr.translate(src[:args.warmup], **opts)
            t0 = time.perf_counter_ns()
            out = tr.translate(src, **opts)
            ns = time.perf_counter_ns() - t0
            print("BenchmarkTranslate/impl=torch/ckpt=%s/mode=%s/batch=%d/threads=%d 1 %d ns/op %.2f sentences/s" % (
                args.name, mode, batch, threads, ns, len(src) / (ns * 1e-9)), flush=True)
            if args.out and bi == 0 and threads == args.threads[0]:
                path = args.out.replace("{mode}", mode)
                with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as f:
                    f.write("".join(s + "\n" for s in out))
            if mode in refs:
                compare(tr, src, out, refs[mode], "ckpt=%s mode=%s batch=%d threads=%d" % (args.name, mode, batch, threads), beam)


def compare(tr, src, out, ref, what, beam):
    diff = [i for i, (a, b) in enumerate(zip(out, ref)) if a != b]
    ties = 0
    for i in diff:
        print("#   sentence %d: torch %r" % (i + 1, out[i]))
        print("#   sentence %d: bkm   %r" % (i + 1, ref[i]))
        if beam == 1:
            msg, tie = divergence(tr, src[i], ref[i])
            ties += tie
            print("#   " + msg)
    print("# parity %s: %d equal, %d different of %d (%.2f%% equal)%s" % (
        what, len(src) - len(diff), len(diff), len(src), 100 * (len(src) - len(diff)) / len(src),
        ", %d of them float32 ties (≤ %d ulps)" % (ties, TIE_ULPS) if beam == 1 and diff else ""), flush=True)


TIE_ULPS = 16  # a logit gap this small (in float32 ulps) is a tie broken by rounding


def divergence(tr, source, want):
    """Decodes source alone greedily, step by step, and at the first step where PyTorch's
    token does not continue the text want (bkm's), says how far apart the logits (greedy
    decoding takes the largest logit, in both) of PyTorch's token and of the best token
    that does continue want are: (message, whether they tie within TIE_ULPS)."""
    import math
    import torch
    V = tr.m.V
    with torch.inference_mode():
        cross, keymask = tr._start([tr.source_ids(source)])
        cache = [None] * len(tr.layers)
        prefix, tok = [], tr.bos
        for t in range(tr.max_len):
            logp = tr._step(torch.tensor([tok]), t, cache, cross, keymask, normalize=False)[0]
            have = tr.tok.decode(prefix)
            order = torch.argsort(logp, descending=True, stable=True).tolist()
            mine = order[0]

            def continues(x):
                if x == tr.eos:
                    return have == want
                return want.startswith(tr.tok.decode(prefix + [x]))

            if not continues(mine):
                theirs = next((x for x in order if continues(x) and logp[x] > -math.inf), None)
                if theirs is None:
                    return "step %d: no token continues bkm's text" % t, False
                a, b = float(logp[mine]), float(logp[theirs])
                ulps = (a - b) / (math.ulp(max(abs(a), abs(b))) * 2 ** 29)  # float32 ulps: 29 fewer mantissa bits
                tie = ulps <= TIE_ULPS
                return ("step %d: torch's token %d logit %.9g, bkm's text continues with token %d (rank %d) logit %.9g: "
                        "gap %.3g = %.1f float32 ulps%s" % (
                            t, mine, a, theirs, order.index(theirs) + 1, b, a - b, ulps,
                            " (a float32 tie)" if tie else "")), tie
            if mine == tr.eos:
                return "no divergence when decoded alone (the difference comes from batching)", False
            prefix.append(mine)
            tok = mine
        return "no divergence within max_len", False


def check_tokens(args):
    import bkm_torch
    hdr, _ = bkm_torch.read_checkpoint(args.checkpoint)
    tok = bkm_torch.Tokenizer(hdr["tokenizer"])
    lines = read_lines(args.check_tokens)
    src = []
    for line in read_lines(args.test):
        a, _, b = line.partition("\t")
        src += [a, b]
    if len(lines) != len(src):
        sys.exit("--check-tokens: %d lines, want 2 per test line (%d)" % (len(lines), len(src)))
    bad_ids = bad_text = 0
    for i, (text, line) in enumerate(zip(src, lines)):
        ids_s, _, decoded = line.partition("\t")
        want = [int(x) for x in ids_s.split()]
        got = tok.encode(text)
        if got != want:
            bad_ids += 1
            if bad_ids <= 3:
                print("# line %d: ids differ: %r" % (i + 1, text))
        if tok.decode(want) != decoded:
            bad_text += 1
    print("# tokenizer %s: %d lines (source and reference of %d pairs): %d with other ids than bkm's, "
          "%d decoding to other text" % (args.checkpoint, len(src), len(src) // 2, bad_ids, bad_text))
    sys.exit(1 if bad_ids or bad_text else 0)


def main():
    args = parse_args()
    sys.path.insert(0, HERE)
    if args.check_tokens:
        check_tokens(args)
    elif args.child_threads is None:
        spawn(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
