#!/usr/bin/python3
"""Time PyTorch's explicit attention, softmax(Q Kᵀ/√d) V, and its autograd backward on
the shapes of BenchmarkAttention (bench/attention_test.go): batch 1, 8 heads, d = 64,
N in {128, 512, 1024, 2048, 4096}, float32, 1 and 2 threads.

FLOP counts follow the Go benchmark: 4·N²·d per head forward, 12·N²·d forward+backward.

Debian's torch does its matmuls in the system OpenBLAS, whose threads ignore
torch.set_num_threads, so the thread count is fixed through OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS *before* torch is imported: run the script once per thread count.

    flock /tmp/bench.lock /usr/bin/python3 bench/torch_attention.py --threads 1 --repeat 5
"""
import argparse
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per shape (median reported)")
    ap.add_argument("--lengths", default="128,512,1024,2048,4096")
    args = ap.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch  # noqa: E402  (after the thread variables on purpose)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    H, D = 8, 64
    print(f"# torch {torch.__version__}, threads {args.threads}, {torch.__config__.parallel_info().splitlines()[0]}")
    print("pass,N,threads,median_ms,min_ms,GFLOP/s")
    for N in [int(x) for x in args.lengths.split(",")]:
        q = torch.randn(1, H, N, D, requires_grad=True)
        k = torch.randn(1, H, N, D, requires_grad=True)
        v = torch.randn(1, H, N, D, requires_grad=True)
        dout = torch.randn(1, H, N, D)
        scale = 1.0 / D ** 0.5

        def fwd():
            p = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * scale, dim=-1)
            return torch.matmul(p, v)

        def fwd_only():
            with torch.no_grad():
                fwd()

        def fwd_bwd():
            q.grad = k.grad = v.grad = None
            fwd().backward(dout)

        for name, fn, flops in (("fwd", fwd_only, 4), ("fwdbwd", fwd_bwd, 12)):
            fn()  # warm up
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            gf = flops * H * N * N * D / med / 1e9
            print(f"{name},{N},{args.threads},{med * 1e3:.2f},{min(times) * 1e3:.2f},{gf:.2f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
