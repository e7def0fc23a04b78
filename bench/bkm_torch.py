"""A bkm checkpoint in PyTorch: reader, BPE tokenizer and batched incremental decoding.

The PyTorch peer of train.Translator (issue 14), on the same weights:

- read_checkpoint reads the file format of train/checkpoint.go (magic, version, JSON
  header, parameter arena; the sha256 is verified) into the header and a dict of
  float32 tensors by parameter name;
- Tokenizer is bkm's tokenizer (train/bpe.go, train/tokenizer.go): byte-level BPE with
  the merges saved in the checkpoint, or plain bytes; ids 256-258 are Pad, BOS, EOS;
- load builds the model of train/testdata/gen_golden.py (the one that makes the parity
  goldens; imported, not copied) with those tensors;
- Translator decodes as train.Translator does: sources encoded, cut to max_len - 1 and
  ended with EOS, sorted by length (stable), cut into batches of at most max_sentences
  sentences and max_tokens padded source tokens; each batch goes through the encoder
  padded, with a key-padding mask; cross-attention keys and values are computed once per
  batch, decoder self-attention keys and values are cached per layer and grown by one
  position a step; the live hypotheses of all sentences of a batch step together and
  each sentence finishes on its own. Greedy takes the most likely token (never Pad or
  BOS; the first of equals), beam search keeps 2k candidates (ranked by summed float64
  log-probability, the earlier row then the smaller id first among equals), finishes
  those of the first k that end in EOS, continues the k best others, stops a sentence
  when k have finished, and ranks finished ones by log p / len^alpha (len counts EOS;
  the first of equal scores wins). Sentence i decodes at most min(max_len, 2 |src| + 10)
  steps (|src| with EOS); at the last one the live hypotheses finish as they are.

Library only: bench/torch_translate.py is the command line. /usr/bin/python3 with
Debian's python3-torch; torch must be imported by the caller's rules (thread variables
first), which is why this module imports it lazily through load().
"""
import functools
import hashlib
import json
import math
import os
import struct
import sys
import unicodedata

import numpy as np

MAGIC = b"BKMCKPT\n"
VERSION = 1
PAD, BOS, EOS = 256, 257, 258
BPE_FIRST = 259


class CheckpointError(ValueError):
    pass


def read_checkpoint(path):
    """Returns (header dict, {name: float32 numpy array of its shape}) of a bkm checkpoint."""
    with open(path, "rb") as f:
        b = f.read()

    def bad(msg):
        return CheckpointError("bad checkpoint %s: %s" % (path, msg))

    if b[:8] != MAGIC:
        raise bad("not a bkm checkpoint (bad magic)")
    if len(b) < 20:
        raise bad("truncated: %d bytes" % len(b))
    version, hlen = struct.unpack_from("<IQ", b, 8)
    if version != VERSION:
        raise bad("unsupported format version %d (this reader reads %d)" % (version, VERSION))
    if hlen > len(b) - 20:
        raise bad("truncated: header length %d, %d bytes in all" % (hlen, len(b)))
    off = 20 + hlen
    hdr = json.loads(b[20:off])
    n = hdr["num_params"]
    if len(b) != off + 12 * n + 32:
        raise bad("%d bytes, want %d for num_params = %d" % (len(b), off + 12 * n + 32, n))
    if hashlib.sha256(b[:-32]).digest() != b[-32:]:
        raise bad("corrupt: checksum mismatch")
    arena = np.frombuffer(b, dtype="<f4", count=n, offset=off)
    tensors = {}
    end = 0
    for t in hdr["tensors"]:
        size = int(np.prod(t["shape"], dtype=np.int64))
        if t["offset"] != end or t["size"] != size or end + size > n:
            raise bad("tensor %s: offset %d size %d shape %s does not follow the previous" % (
                t["name"], t["offset"], t["size"], t["shape"]))
        tensors[t["name"]] = arena[end:end + size].reshape(t["shape"])
        end += size
    if end != n:
        raise bad("the tensors cover %d parameters, num_params = %d" % (end, n))
    return hdr, tensors


def _is_word(ch):
    # Go's unicode.IsLetter (categories L*) or unicode.IsDigit (Nd)
    cat = unicodedata.category(ch)
    return cat[0] == "L" or cat == "Nd"


def bpe_words(s):
    """Cuts s as train's bpeWords: a letter/digit run with at most one leading space, or
    any other single character."""
    words = []
    i, n = 0, len(s)
    while i < n:
        j = i + 1
        word = _is_word(s[i]) or (s[i] == " " and j < n and _is_word(s[j]))
        if word:
            while j < n and _is_word(s[j]):
                j += 1
        words.append(s[i:j])
        i = j
    return words


class Tokenizer:
    """bkm's tokenizer from a checkpoint's header["tokenizer"] ({"kind": "byte"} or
    {"kind": "bpe", "merges": [[a, b], ...]}): text is UTF-8 bytes, each word's bytes are
    merged pair by pair, always the pair of the earliest merge first."""

    def __init__(self, spec):
        if spec is None:
            raise ValueError("checkpoint holds no tokenizer")
        kind = spec["kind"]
        if kind not in ("byte", "bpe"):
            raise ValueError("unknown tokenizer kind %r" % kind)
        merges = [tuple(p) for p in spec.get("merges") or []] if kind == "bpe" else []
        self.rank = {}
        self.bytes = [bytes([i]) for i in range(256)] + [b"", b"", b""]
        for i, p in enumerate(merges):
            tid = BPE_FIRST + i
            if any(c < 0 or c >= tid or 256 <= c < BPE_FIRST for c in p) or p in self.rank:
                raise ValueError("bpe: merge %d %s is not a new pair of earlier tokens" % (i, p))
            self.rank[p] = tid
            self.bytes.append(self.bytes[p[0]] + self.bytes[p[1]])
        self.kind = kind

    def vocab_size(self):
        return len(self.bytes)

    @functools.lru_cache(maxsize=1 << 16)
    def _word(self, w):
        ids = list(w.encode("utf-8", "surrogateescape"))
        rank = self.rank
        while len(ids) > 1:
            best, pair = -1, None
            for a, b in zip(ids, ids[1:]):
                r = rank.get((a, b))
                if r is not None and (best < 0 or r < best):
                    best, pair = r, (a, b)
            if pair is None:
                break
            out, j = [], 0
            while j < len(ids):
                if j + 1 < len(ids) and ids[j] == pair[0] and ids[j + 1] == pair[1]:
                    out.append(best)
                    j += 2
                else:
                    out.append(ids[j])
                    j += 1
            ids = out
        return tuple(ids)

    def encode(self, s):
        if self.kind == "byte":
            return list(s.encode("utf-8", "surrogateescape"))
        out = []
        for w in bpe_words(s):
            out.extend(self._word(w))
        return out

    def decode(self, ids):
        """The text of ids (specials and unknown ids skipped); bytes that are not UTF-8
        come back as surrogate escapes, so that writing with surrogateescape gives bkm's
        bytes."""
        nb = len(self.bytes)
        return b"".join(self.bytes[i] for i in ids if 0 <= i < nb).decode("utf-8", "surrogateescape")


def _gen_golden():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "train", "testdata"))
    try:
        import gen_golden
    finally:
        sys.path.pop(0)
    return gen_golden


def load(path):
    """(model, tokenizer, header) of the bkm checkpoint at path: model is
    gen_golden.Model holding the checkpoint's weights (as torch tensors sharing the
    file's memory), for encoder-decoder models with edp (softmax) or rbf attention."""
    import torch
    hdr, arrays = read_checkpoint(path)
    cfg = hdr["config"]["model"]
    kernels = [cfg["kernel"]] + list(cfg.get("layer_kernels") or [])
    if len(set(kernels)) != 1 or kernels[0] not in ("edp", "rbf") or cfg.get("kernel_scale", 0) != 0:
        raise ValueError("%s: attention %s with kernel_scale %s: only edp or rbf in every layer, scale 1/sqrt(d), "
                         "runs in PyTorch" % (path, kernels, cfg.get("kernel_scale", 0)))
    tensors = {name: torch.from_numpy(a.copy()) for name, a in arrays.items()}
    model = _gen_golden().Model(cfg, None, tensors=tensors)
    for t in model.p.values():
        t.requires_grad_(False)
    return model, Tokenizer(hdr["tokenizer"]), hdr


class Translator:
    """Batched greedy and beam decoding of a loaded model, as train.Translator."""

    def __init__(self, model, tokenizer):
        import torch
        self.torch = torch
        self.m, self.tok = model, tokenizer
        cfg = model.cfg
        if cfg["arch"] != "encdec":
            raise ValueError("the model is a %s, not an encoder-decoder" % cfg["arch"])
        self.pad, self.bos, self.eos = cfg["pad"], cfg["bos"], cfg["eos"]
        self.max_len = cfg["max_len"]
        self.layers = ["decoder.layers.%d." % i for i in range(cfg["dec_layers"])]

    def source_ids(self, s):
        return self.tok.encode(s)[:self.max_len - 1] + [self.eos]

    def batches(self, ids, max_sentences=32, max_tokens=4096):
        """The batches (lists of indices into ids) of TranslateBatch: sorted by length,
        at most max_sentences sentences and max_tokens padded tokens each."""
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out, lo = [], 0
        while lo < len(order):
            hi = lo + 1
            while hi < len(order) and hi - lo < max_sentences and (hi - lo + 1) * len(ids[order[hi]]) <= max_tokens:
                hi += 1
            out.append(order[lo:hi])
            lo = hi
        return out

    def translate(self, sources, beam=1, len_penalty=1.0, max_sentences=32, max_tokens=4096):
        """The translations of sources, in order (TranslateBatch)."""
        ids = [self.source_ids(s) for s in sources]
        out = [None] * len(sources)
        with self.torch.inference_mode():
            for batch in self.batches(ids, max_sentences, max_tokens):
                for i, toks in zip(batch, self.decode([ids[i] for i in batch], beam, len_penalty)):
                    out[i] = self.tok.decode(toks)
        return out

    # --- decoding one batch -------------------------------------------------------------

    def _start(self, srcs):
        """What both decoders start from: encodes the padded batch and returns the
        cross-attention keys and values per layer [B, H, S, D], the key mask [B, 1, S],
        each sentence's step limit, the empty self-attention caches and BOS for every
        row [B]."""
        torch, m = self.torch, self.m
        S = max(len(s) for s in srcs)
        src = torch.full((len(srcs), S), self.pad, dtype=torch.long)
        for i, s in enumerate(srcs):
            src[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        enc, keymask = m.encode(src)
        cross = []
        for p in self.layers:
            k, v = m.lin(p + "encoder_attn.kv", enc).split(m.C, dim=-1)
            cross.append((m.heads(k).contiguous(), m.heads(v).contiguous()))
        limit = [min(self.max_len, 2 * len(s) + 10) for s in srcs]
        cache = [None] * len(self.layers)
        tok = torch.full((len(srcs),), self.bos, dtype=torch.long)
        return cross, keymask, limit, cache, tok

    def _step(self, tok, t, cache, cross, keymask, normalize=True):
        """Feeds tok [N] at position t to the N live rows; cache holds per layer the self-
        attention keys and values [N, H, t, D] (None at t = 0) and is extended; cross and
        keymask are per row. Returns the next-token log-probabilities [N, V], or with
        normalize=False the logits (greedy decoding takes their largest, as train's
        greedyToken does: log_softmax rounds, and can turn two logits a float32 step apart
        into a tie or swap them)."""
        torch, m = self.torch, self.m
        C = m.C
        y = m.embed("decoder", tok[:, None], start=t)
        for li, p in enumerate(self.layers):
            def sa(h, p=p, li=li):
                q, k, v = m.lin(p + "self_attn.qkv", h).split(C, dim=-1)
                k, v = m.heads(k), m.heads(v)
                if cache[li] is not None:
                    k = torch.cat((cache[li][0], k), dim=2)
                    v = torch.cat((cache[li][1], v), dim=2)
                cache[li] = (k, v)
                return m.lin(p + "self_attn.out_proj", m.attend_heads(m.heads(q), k, v, None))

            def ca(h, p=p, li=li):
                q = m.heads(m.lin(p + "encoder_attn.q_proj", h))
                k, v = cross[li]
                return m.lin(p + "encoder_attn.out_proj", m.attend_heads(q, k, v, keymask))

            y = m.sublayer(p + "self_attn_layer_norm", y, sa)
            y = m.sublayer(p + "encoder_attn_layer_norm", y, ca)
            y = m.sublayer(p + "final_layer_norm", y, lambda h, p=p: m.ffn(p, h))
        logp = m.output(y)[:, 0]
        if normalize:
            logp = torch.log_softmax(logp, dim=-1)
        logp[:, self.pad] = -math.inf  # never proposed (train's greedyToken, bestCandidates)
        logp[:, self.bos] = -math.inf
        return logp

    def _gather(self, rows, cache, cross, keymask, same_sentences=False):
        """Makes row j of every per-row tensor (self-attention caches, cross-attention
        keys, values and mask) the old row rows[j]: finished rows leave, beams continue
        from their parents. same_sentences: row j belongs to the sentence it did, so the
        cross-attention tensors (the same for all rows of a sentence) stay."""
        idx = self.torch.tensor(rows, dtype=self.torch.long)
        cache = [(k.index_select(0, idx), v.index_select(0, idx)) for k, v in cache]
        if same_sentences:
            return cache, cross, keymask
        cross = [(k.index_select(0, idx), v.index_select(0, idx)) for k, v in cross]
        return cache, cross, keymask.index_select(0, idx)

    def decode(self, srcs, beam=1, len_penalty=1.0):
        """Token lists (without BOS and EOS) of the sentences srcs (each ending in EOS)."""
        if beam == 1:
            return self._greedy(srcs)
        return self._beam(srcs, beam, len_penalty)

    def _greedy(self, srcs):
        torch = self.torch
        B = len(srcs)
        cross, keymask, limit, cache, tok = self._start(srcs)
        live = list(range(B))  # sentence of each row
        hist = [[] for _ in range(B)]
        best = [None] * B
        t = 0
        while live:
            logits = self._step(tok, t, cache, cross, keymask, normalize=False)
            nxt = logits.argmax(dim=-1).tolist()
            keep, toks = [], []
            for r, i in enumerate(live):
                x = nxt[r]
                if x != self.eos:
                    hist[i].append(x)
                if x == self.eos or t + 1 == limit[i]:
                    best[i] = hist[i]
                    continue
                keep.append(r)
                toks.append(x)
            if len(keep) != len(live):
                live = [live[r] for r in keep]
                if keep:
                    cache, cross, keymask = self._gather(keep, cache, cross, keymask)
            tok = torch.tensor(toks, dtype=torch.long)
            t += 1
        return best

    def _beam(self, srcs, k, lp):
        torch = self.torch
        B = len(srcs)
        V = self.m.V
        cross, keymask, limit, cache, tok = self._start(srcs)
        # Live rows, grouped by sentence: spans[i] = (first row, rows) of live sentence i.
        spans = {i: (i, 1) for i in range(B)}
        hist = [[] for _ in range(B)]  # tokens of each row
        base = torch.zeros(B, dtype=torch.float64)  # summed log p of each row
        done = [0] * B
        score = [0.0] * B
        best = [None] * B
        t = 0
        while spans:
            logp = self._step(tok, t, cache, cross, keymask)
            tot = base[:, None] + logp.double()
            cands = self._candidates(tot, spans, 2 * k)
            parents, ntoks, nbase, nhist, nspans = [], [], [], [], {}
            for i, (r0, n) in spans.items():
                first = len(parents)
                alive = True
                for rank, (val, flat) in enumerate(cands[i]):
                    b, x = r0 + flat // V, flat % V
                    if x == self.eos:
                        if rank < k and done[i] < k:
                            done[i], score[i], best[i] = self._finish(done[i], score[i], best[i], hist[b], val, t + 1, lp)
                        continue
                    if len(parents) - first < k:
                        parents.append(b)
                        ntoks.append(x)
                        nbase.append(val)
                        nhist.append(hist[b] + [x])
                n_next = len(parents) - first
                if done[i] >= k or n_next == 0:
                    alive = False
                elif t + 1 == limit[i]:
                    for h, val in zip(nhist[first:], nbase[first:]):
                        done[i], score[i], best[i] = self._finish(done[i], score[i], best[i], h, val, t + 1, lp)
                    alive = False
                if not alive:
                    del parents[first:], ntoks[first:], nbase[first:], nhist[first:]
                    continue
                nspans[i] = (first, n_next)
            same = [(i, n) for i, (_, n) in spans.items()] == [(i, n) for i, (_, n) in nspans.items()]
            spans = nspans
            if spans:
                cache, cross, keymask = self._gather(parents, cache, cross, keymask, same_sentences=same)
                hist = nhist
                base = torch.tensor(nbase, dtype=torch.float64)
                tok = torch.tensor(ntoks, dtype=torch.long)
            t += 1
        return best

    @staticmethod
    def _finish(done, score, best, tokens, logp, length, lp):
        s = logp / math.pow(length, lp)
        if done >= 1 and not (s > score):
            return done + 1, score, best
        return done + 1, s, list(tokens)

    def _candidates(self, tot, spans, n):
        """Per live sentence, its n best (score, flat index over its rows × V) expansions:
        decreasing score, among equals the smaller flat index (the earlier row, then the
        smaller id) first, as train's bestCandidates."""
        torch = self.torch
        V = tot.shape[1]
        sizes = {rows for _, rows in spans.values()}
        if len(sizes) == 1:  # the usual case: every sentence has as many live rows
            rows = sizes.pop()
            groups = [(list(spans), tot.reshape(len(spans), rows * V))]
        else:
            groups = [([i], tot[r0:r0 + rows].reshape(1, rows * V)) for i, (r0, rows) in spans.items()]
        out = {}
        for sents, flat in groups:
            vals, idx = torch.topk(flat, min(n, flat.shape[1]), dim=1)
            last = vals[:, -1:]
            ties = ((flat == last).sum(1) != (vals == last).sum(1)).nonzero().flatten().tolist()
            for g in ties:  # a tie across the cut: the smaller indices win
                sv, si = torch.sort(flat[g], descending=True, stable=True)
                vals[g], idx[g] = sv[:vals.shape[1]], si[:vals.shape[1]]
            for i, vs, ix in zip(sents, vals.tolist(), idx.tolist()):
                out[i] = sorted(zip(vs, ix), key=lambda p: (-p[0], p[1]))
        return out
