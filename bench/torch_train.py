#!/usr/bin/python3
"""PyTorch peer of bench/train_test.go's BenchmarkTrainStep: the same decoder-only
Transformer (4 layers, d_model 256, 4 heads, FFN 1024, context 256, batch 8, byte vocabulary
259, pre-LN, learned positions, GELU (tanh), dropout 0.1, tied output embedding, AdamW),
timed over full training steps (forward, backward, clip, AdamW).

Debian's torch runs its matmuls in the system OpenBLAS, whose threads ignore
torch.set_num_threads: the thread count is set through the environment BEFORE importing
torch, so run once per thread count:

    flock /tmp/bench.lock /usr/bin/python3 bench/torch_train.py --threads 1
    flock /tmp/bench.lock /usr/bin/python3 bench/torch_train.py --threads 2
"""
import argparse
import math
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--warmup", type=int, default=2)
args = ap.parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)
os.environ["MKL_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(1)
V, C, H, FF, L, T, B = 259, 256, 4, 1024, 4, 256, 8


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc1, self.fc2 = nn.Linear(C, FF), nn.Linear(FF, C)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, mask):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=-1)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(C // H)
        s = s.masked_fill(~mask, float("-inf"))
        o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, t, C)
        x = x + self.drop(self.proj(o))
        return x + self.drop(self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh")))


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.ln = nn.LayerNorm(C)
        self.drop = nn.Dropout(0.1)

    def forward(self, idx, tgt):
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(T)))
        for blk in self.blocks:
            x = blk(x, mask)
        logits = self.ln(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, V), tgt.view(-1))


m = LM()
opt = torch.optim.AdamW(m.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
idx = torch.randint(32, 127, (B, T))
tgt = torch.randint(32, 127, (B, T))


def step():
    opt.zero_grad(set_to_none=True)
    loss = m(idx, tgt)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    return loss


for _ in range(args.warmup):
    step()
times = []
for _ in range(args.steps):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
times.sort()
med = times[len(times) // 2]
print("torch %s threads=%d: median step %.1f ms, %.0f tokens/s (best %.0f) over %d steps" % (
    torch.__version__, args.threads, med * 1e3, B * T / med, B * T / times[0], args.steps))
sys.stdout.flush()
