#!/usr/bin/python3
"""PyTorch goldens for package train's parity tests (not run in CI).

Builds, in plain PyTorch, the same tiny encoder-decoder and decoder-only Transformers as
train.NewModel (same parameter names, shapes and layout: fused [3C, C] self-attention
projection, [2C, C] cross-attention key/value projection, tied output projection), draws
their weights here from a fixed seed, and writes for one padded batch: the weights, the
logits, the label-smoothed loss, every gradient, and the losses of 10 AdamW steps
(constant lr, gradient clipping at 1.0, weight decay on tensors with ndim >= 2).
Dropout is off; attention is softmax (the edp kernel; bench/bkm_torch.py also runs rbf). Attention dropout in particular
cannot be part of these goldens: its masks come from package attention's SplitMix64
hash of (seed, head, query, key), while torch's dropout draws from its own generator
(mt19937 on the CPU), so the two never drop the same weights. It is checked in Go
instead (float64 reference with the same mask, finite differences, keep-rate statistics).

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 train/testdata/gen_golden.py
(from the module root; the committed goldens were made with OpenBLAS choosing its own core)
Writes train/testdata/golden_encdec.json and train/testdata/golden_decoder.json.

bench/bkm_torch.py imports Model to run a trained bkm checkpoint in PyTorch (tensors=).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def sinusoid(n, c):
    half = c // 2
    step = math.log(10000) / (half - 1)
    t = torch.arange(n, dtype=torch.float64)[:, None]
    w = torch.exp(torch.arange(half, dtype=torch.float64) * -step)[None, :]
    tab = torch.zeros(n, c, dtype=torch.float64)
    tab[:, :half] = torch.sin(t * w)
    tab[:, half:2 * half] = torch.cos(t * w)
    return tab.float()


class Model:
    """The model of config cfg with weights drawn from seed, or (seed None) taken from
    tensors, a dict of every parameter by name (as in a bkm checkpoint)."""

    def __init__(self, cfg, seed, tensors=None):
        self.cfg = cfg
        C, H, Fw, V = cfg["d_model"], cfg["heads"], cfg["ffn"], cfg["vocab"]
        self.C, self.H, self.D, self.F, self.V = C, H, C // H, Fw, V
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        self.names, self.p = [], {}

        def add(name, shape, kind):
            if g is None:
                t = tensors[name]
                if tuple(t.shape) != tuple(shape):
                    raise ValueError("tensor %s has shape %s, the model wants %s" % (name, tuple(t.shape), tuple(shape)))
            elif kind == "normal":
                t = torch.randn(*shape, generator=g) * 0.3
            elif kind == "emb":
                t = torch.randn(*shape, generator=g) * (C ** -0.5)
            elif kind == "one":
                t = 1 + 0.1 * torch.randn(*shape, generator=g)
            else:
                t = 0.1 * torch.randn(*shape, generator=g)
            self.names.append(name)
            self.p[name] = t.float().requires_grad_(True)

        def lin(name, i, o):
            add(name + ".weight", (o, i), "normal")
            add(name + ".bias", (o,), "bias")

        def norm(name):
            add(name + ".weight", (C,), "one")
            add(name + ".bias", (C,), "bias")

        encdec = cfg["arch"] == "encdec"
        add("decoder.embed_tokens.weight", (V, C), "emb")
        if encdec and not cfg["share_all_embeddings"]:
            add("encoder.embed_tokens.weight", (V, C), "emb")
        if cfg["positions"] == "learned":
            add("decoder.embed_positions.weight", (cfg["max_len"], C), "emb")
            if encdec:
                add("encoder.embed_positions.weight", (cfg["max_len"], C), "emb")
        if not cfg["share_decoder_embeddings"]:
            add("decoder.output_projection.weight", (V, C), "normal")
        # The parameters are drawn in this order: each layer's self-attention, then
        # (decoder of encdec) its encoder attention, then its feed-forward network.
        def self_attn(p):
            lin(p + "self_attn.qkv", C, 3 * C)
            lin(p + "self_attn.out_proj", C, C)
            norm(p + "self_attn_layer_norm")

        def ffn(p):
            lin(p + "fc1", C, Fw)
            lin(p + "fc2", Fw, C)
            norm(p + "final_layer_norm")

        if encdec:
            for i in range(cfg["enc_layers"]):
                p = "encoder.layers.%d." % i
                self_attn(p)
                ffn(p)
            if cfg["pre_ln"]:
                norm("encoder.layer_norm")
        for i in range(cfg["dec_layers"]):
            p = "decoder.layers.%d." % i
            self_attn(p)
            if encdec:
                lin(p + "encoder_attn.q_proj", C, C)
                lin(p + "encoder_attn.kv", C, 2 * C)
                lin(p + "encoder_attn.out_proj", C, C)
                norm(p + "encoder_attn_layer_norm")
            ffn(p)
        if cfg["pre_ln"]:
            norm("decoder.layer_norm")
        if g is None and len(tensors) != len(self.names):
            raise ValueError("tensors the model does not have: %s" % sorted(set(tensors) - set(self.names)))
        self.sin = sinusoid(cfg["max_len"], C)

    def params(self):
        return [self.p[n] for n in self.names]

    def lin(self, name, x):
        return F.linear(x, self.p[name + ".weight"], self.p[name + ".bias"])

    def ln(self, name, x):
        return F.layer_norm(x, (self.C,), self.p[name + ".weight"], self.p[name + ".bias"], 1e-5)

    def embed(self, side, tok, start=0):
        # tok [B, T] at positions start, start+1, ...
        cfg = self.cfg
        table = self.p["decoder.embed_tokens.weight"]
        if side == "encoder" and not cfg["share_all_embeddings"]:
            table = self.p["encoder.embed_tokens.weight"]
        scale = math.sqrt(self.C) if cfg["scale_embedding"] else 1.0
        T = tok.shape[1]
        pos = self.p[side + ".embed_positions.weight"] if cfg["positions"] == "learned" else self.sin
        pos = pos[start:start + T]
        return scale * table[tok] + pos[None]

    def heads(self, x):
        # [B, T, C] -> [B, H, T, D]
        B, T, _ = x.shape
        return x.view(B, T, self.H, self.D).transpose(1, 2)

    def attend_heads(self, q, k, v, mask):
        # q [B, H, Tq, D], k/v [B, H, Tk, D]; mask [B or 1, 1 or Tq, Tk] True = attend, or
        # None (all) -> [B, Tq, C]
        B, _, Tq, _ = q.shape
        s = q @ k.transpose(-1, -2) / math.sqrt(self.D)
        if self.cfg.get("kernel", "edp") == "rbf":
            # exp(−(γ/2)‖q−k‖²), γ = 1/√D, normalized over the keys: ‖q‖² cancels, leaving
            # the logit γ qᵀk − (γ/2)‖k‖² (bkm's Logit)
            s = s - (k * k).sum(-1)[..., None, :] / (2 * math.sqrt(self.D))
        if mask is not None:
            s = s.masked_fill(~mask[:, None], float("-inf"))
        o = torch.softmax(s, dim=-1) @ v
        return o.transpose(1, 2).reshape(B, Tq, self.C)

    def attend(self, q, k, v, mask):
        # q [B, Tq, C], k/v [B, Tk, C]; mask as attend_heads
        return self.attend_heads(self.heads(q), self.heads(k), self.heads(v), mask)

    def sublayer(self, name, x, f):
        if self.cfg["pre_ln"]:
            return x + f(self.ln(name, x))
        return self.ln(name, x + f(x))

    def ffn(self, p, x):
        h = self.lin(p + "fc1", x)
        h = F.gelu(h, approximate="tanh") if self.cfg["activation"] == "gelu" else F.relu(h)
        return self.lin(p + "fc2", h)

    def self_attn(self, p, h, mask):
        q, k, v = self.lin(p + "self_attn.qkv", h).split(self.C, dim=-1)
        return self.lin(p + "self_attn.out_proj", self.attend(q, k, v, mask))

    def encode(self, src):
        # src [B, S] padded with pad -> encoder output [B, S, C], key mask [B, 1, S]
        cfg = self.cfg
        keymask = (src != cfg["pad"])[:, None, :]
        x = self.embed("encoder", src)
        for i in range(cfg["enc_layers"]):
            p = "encoder.layers.%d." % i
            x = self.sublayer(p + "self_attn_layer_norm", x, lambda h, p=p: self.self_attn(p, h, keymask))
            x = self.sublayer(p + "final_layer_norm", x, lambda h, p=p: self.ffn(p, h))
        if cfg["pre_ln"]:
            x = self.ln("encoder.layer_norm", x)
        return x, keymask

    def output(self, y):
        # the last decoder layer's output -> logits
        cfg = self.cfg
        if cfg["pre_ln"]:
            y = self.ln("decoder.layer_norm", y)
        W = self.p["decoder.embed_tokens.weight"] if cfg["share_decoder_embeddings"] else self.p["decoder.output_projection.weight"]
        return y @ W.t()

    def logits(self, src, tin):
        cfg, C = self.cfg, self.C
        enc = None
        if cfg["arch"] == "encdec":
            enc, keymask = self.encode(src)
        T = tin.shape[1]
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))[None]
        y = self.embed("decoder", tin)
        for i in range(cfg["dec_layers"]):
            p = "decoder.layers.%d." % i
            y = self.sublayer(p + "self_attn_layer_norm", y, lambda h, p=p: self.self_attn(p, h, causal))
            if enc is not None:
                def ca(h, p=p):
                    q = self.lin(p + "encoder_attn.q_proj", h)
                    k, v = self.lin(p + "encoder_attn.kv", enc).split(C, dim=-1)
                    return self.lin(p + "encoder_attn.out_proj", self.attend(q, k, v, keymask))
                y = self.sublayer(p + "encoder_attn_layer_norm", y, ca)
            y = self.sublayer(p + "final_layer_norm", y, lambda h, p=p: self.ffn(p, h))
        return self.output(y)

    def loss(self, logits, tout):
        return F.cross_entropy(logits.reshape(-1, self.V), tout.reshape(-1), ignore_index=self.cfg["pad"],
                               label_smoothing=self.cfg["label_smoothing"])


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def golden(name, cfg, batch, seed):
    m = Model(cfg, seed)
    weights = {n: flat(m.p[n]) for n in m.names}
    src = torch.tensor(batch["src"], dtype=torch.long) if batch.get("src") else None
    tin = torch.tensor(batch["in"], dtype=torch.long)
    tout = torch.tensor(batch["out"], dtype=torch.long)
    logits = m.logits(src, tin)
    loss = m.loss(logits, tout)
    loss.backward()
    grads = {n: flat(m.p[n].grad) for n in m.names}
    opt = torch.optim.AdamW([
        {"params": [m.p[n] for n in m.names if m.p[n].dim() >= 2], "weight_decay": 0.01},
        {"params": [m.p[n] for n in m.names if m.p[n].dim() < 2], "weight_decay": 0.0},
    ], lr=3e-3, betas=(0.9, 0.98), eps=1e-8)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        l = m.loss(m.logits(src, tin), tout)
        losses.append(float(l))
        l.backward()
        torch.nn.utils.clip_grad_norm_(m.params(), 1.0)
        opt.step()
    out = {"config": cfg, "batch": batch, "weights": weights, "logits": flat(logits), "loss": float(loss),
           "grads": grads, "adamw": {"lr": 3e-3, "beta1": 0.9, "beta2": 0.98, "eps": 1e-8, "weight_decay": 0.01,
                                     "clip_norm": 1.0, "losses": losses},
           "torch": torch.__version__}
    with open(os.path.join(HERE, "golden_%s.json" % name), "w") as f:
        json.dump(out, f)
    print(name, "loss", float(loss), "10-step losses", losses)


def main():
    torch.set_num_threads(1)
    encdec = dict(BASE, arch="encdec")
    golden("encdec", encdec, {
        "B": 2, "S": 6, "T": 5,
        "src": [[3, 4, 5, 6, 7, 2], [8, 9, 10, 2, 0, 0]],
        "in": [[1, 11, 12, 3, 4], [1, 5, 6, 0, 0]],
        "out": [[11, 12, 3, 4, 2], [5, 6, 2, 0, 0]]}, seed=1)

    decoder = dict(BASE, arch="decoder", pre_ln=True, positions="learned", activation="gelu",
                   share_decoder_embeddings=False, label_smoothing=0.0)
    golden("decoder", decoder, {
        "B": 2, "S": 0, "T": 7,
        "in": [[3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 3, 4, 5, 6]],
        "out": [[4, 5, 6, 7, 8, 9, 10], [11, 12, 3, 4, 5, 6, 0]]}, seed=2)


BASE = {"vocab": 13, "d_model": 16, "heads": 2, "ffn": 32, "enc_layers": 2, "dec_layers": 2, "max_len": 8,
        "pre_ln": False, "positions": "sinusoidal", "activation": "relu", "share_decoder_embeddings": True,
        "share_all_embeddings": False, "scale_embedding": True, "dropout": 0, "activation_dropout": 0,
        "attention_dropout": 0, "label_smoothing": 0.1, "kernel": "edp", "pad": 0, "bos": 1, "eos": 2}

if __name__ == "__main__":
    main()
