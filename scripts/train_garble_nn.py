#!/usr/bin/env python3
"""Train the garble sentence CNN (:mod:`cleaner.garble.nn`) and evaluate it by the grouped CV.

PyTorch is a build-time tool only (the runtime forward pass is numpy; never a runtime dependency).
Install the CPU build into the dev venv without the CUDA packages:
``pip install --no-deps torch==2.13.0`` (a ``+cpu`` wheel, e.g. from a local wheel file or
``--index-url https://download.pytorch.org/whl/cpu``), then ``pip install sympy networkx`` (what
its optimizers import).  Tested with torch 2.13.0+cpu, one thread (``torch.set_num_threads(1)``).

Inputs (``--shared``, default ../shared): ``bench/mtgarble/train.jsonl.gz`` (labels) and
``clean_en_zh.txt.gz`` (the English lines not in train, as fluent rows and, with ``--synth``,
as the source of synthetic corruptions).  ``dev.jsonl.gz`` is never read.  English only (the 52
Chinese train items are far too few; Chinese keeps its own model).

Protocol: the 5 folds of ``build_garble_model.grouped_folds``; per fold a CNN is trained on the
other folds' sentences (item label, pair-balanced weights) + the clean rows (+ synthetic rows) +
a pairwise loss (an MT item's mean logit above its post-edit's), and scores the held-out fold.
Clean/synthetic rows are never in a test fold and no feature is computed from them, so the
session-4 leak (features in-sample for fluent rows) cannot arise.  ``--linear-oof`` (the
``--dump-oof`` file of ``build_garble_model.py``, same folds) adds the stacked rows: item mean
of ``a * linear + b * cnn`` with (a, b) fitted on the OOF of the other folds (nested, so the
stack weights never see the fold they score).

Usage:
  python scripts/build_garble_model.py --shared ../shared --dump-oof /tmp/oof_lin.npz
  python scripts/train_garble_nn.py --shared ../shared --linear-oof /tmp/oof_lin.npz [--cv-only]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import build_garble_model as bgm  # noqa: E402

from cleaner.garble import nn as gnn  # noqa: E402
from cleaner.garble.features import HAN_RE, split_sentences  # noqa: E402


def corrupt_en(text: str, rng: random.Random, vocab: list[str]) -> str:
    """A synthetic garbled English sentence: chunk swaps, word substitutions, drops or repeats."""
    w = text.split()
    if len(w) < 6:
        return text + " " + " ".join(rng.sample(vocab, 2))
    kind = rng.randrange(4)
    if kind == 0:
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(0, len(w) - 4)
            a, b = rng.randint(1, 2), rng.randint(1, 2)
            w[i : i + a + b] = w[i + a : i + a + b] + w[i : i + a]
    elif kind == 1:
        w = [rng.choice(vocab) if rng.random() < 0.2 else x for x in w]
    elif kind == 2:
        w = [x for x in w if rng.random() > 0.2] or w
    else:
        i = rng.randrange(len(w) - 2)
        w = w[: i + 2] + w[i : i + 2] + w[i + 2 :]
    return " ".join(w)


def build_net(torch, buckets: int, d: int, c: int):  # type: ignore[no-untyped-def]
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(buckets, d, padding_idx=0)
            self.sub = nn.EmbeddingBag(buckets, d, mode="mean")
            self.sub.weight = self.emb.weight  # one table: the numpy side has one ``emb``
            self.shape_emb = nn.Embedding(gnn.SHAPES, d, padding_idx=0)
            self.l1 = nn.Linear(3 * d, c)
            self.l2 = nn.Linear(3 * c, c)
            self.out = nn.Linear(2 * c, 1)
            self.drop = nn.Dropout(0.1)
            nn.init.normal_(self.emb.weight, std=0.1)

        @staticmethod
        def conv(x, lin):  # type: ignore[no-untyped-def]
            p = torch.nn.functional.pad(x, (0, 0, 1, 1))
            return lin(torch.cat([p[:, :-2], p[:, 1:-1], p[:, 2:]], 2))

        def forward(self, words, shapes, sub_ids, sub_off, sub_pos, lengths):  # type: ignore[no-untyped-def]
            h2, _mask, lengths = self.hidden(words, shapes, sub_ids, sub_off, sub_pos, lengths)
            mean = h2.sum(1) / lengths.clamp(min=1)[:, None].float()
            pooled = torch.cat([mean, h2.max(1).values], 1)
            return self.out(self.drop(pooled))[:, 0]

        def hidden(self, words, shapes, sub_ids, sub_off, sub_pos, lengths):  # type: ignore[no-untyped-def]
            """Per-token features of the second convolution (the RTD pretraining head reads them)."""
            n, L = words.shape
            x = self.emb(words) + self.shape_emb(shapes)
            if len(sub_ids):
                bags = self.sub(sub_ids, sub_off)
                x = x.reshape(n * L, -1).index_add(0, sub_pos, bags).reshape(n, L, -1)
            mask = (torch.arange(L)[None, :] < lengths[:, None]).float()[:, :, None]
            x = self.drop(x) * mask
            h1 = torch.relu(self.conv(x, self.l1)) * mask
            h2 = (torch.relu(self.conv(h1, self.l2)) + h1) * mask
            return h2, mask, lengths

    return Net()


def to_torch(torch, enc: gnn.Encoded):  # type: ignore[no-untyped-def]
    """Torch inputs of an encoded batch: one EmbeddingBag bag per token position that has trigrams."""
    return (
        torch.from_numpy(enc.words),
        torch.from_numpy(enc.shapes),
        torch.from_numpy(enc.sub_ids),
        torch.from_numpy(np.cumsum(enc.bag_cnt) - enc.bag_cnt),
        torch.from_numpy(enc.bag_pos),
        torch.from_numpy(enc.lengths),
    )


def export(net) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Arrays for :func:`cleaner.garble.nn.convnet_from_arrays` (float16 embeddings, float32 rest)."""
    g = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    return {
        "emb": g["emb.weight"].astype(np.float16),
        "shape_emb": g["shape_emb.weight"].astype(np.float32),
        "w1": g["l1.weight"].T.astype(np.float32),
        "b1": g["l1.bias"].astype(np.float32),
        "w2": g["l2.weight"].T.astype(np.float32),
        "b2": g["l2.bias"].astype(np.float32),
        "w_out": g["out.weight"][0].astype(np.float32),
        "b_out": np.float32(g["out.bias"][0]),
    }


def net_from_arrays(torch, z):  # type: ignore[no-untyped-def]
    """A torch ``Net`` holding the weights of a ``garble_nn.npz`` (the check that numpy and torch agree)."""
    emb = np.asarray(z["emb"], dtype=np.float32)
    net = build_net(torch, emb.shape[0], emb.shape[1], np.asarray(z["b1"]).shape[0])
    t = {
        "emb.weight": emb,
        "sub.weight": emb,
        "shape_emb.weight": np.asarray(z["shape_emb"], dtype=np.float32),
        "l1.weight": np.asarray(z["w1"], dtype=np.float32).T,
        "l1.bias": np.asarray(z["b1"], dtype=np.float32),
        "l2.weight": np.asarray(z["w2"], dtype=np.float32).T,
        "l2.bias": np.asarray(z["b2"], dtype=np.float32),
        "out.weight": np.asarray(z["w_out"], dtype=np.float32)[None, :],
        "out.bias": np.asarray(z["b_out"], dtype=np.float32).reshape(1),
    }
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in t.items()})
    net.eval()
    return net


def rtd_corrupt(
    text: str, rng: np.random.Generator, vocab: list[str], cum: np.ndarray, rate: float
) -> tuple[str, np.ndarray]:
    """Replaced-token detection input of one clean sentence: (corrupted text, 0/1 label per token).

    About ``rate`` of the tokens (the first ``nn.MAX_TOKENS``) are changed, each by one of: a word drawn
    from the clean unigram distribution in its place (1/2), a swap with the next token (1/4, both
    labelled), or a deletion (1/4, the token after the gap labelled).  Tokens are re-joined with spaces:
    ``nn.TOKEN_RE`` gives the same tokens back, so the labels stay aligned with ``nn.encode``.
    """
    toks = [m.group() for m in gnn.TOKEN_RE.finditer(text)][: gnn.MAX_TOKENS]
    lab = [0] * len(toks)
    i = 0
    while i < len(toks):
        if rng.random() < rate:
            r = rng.random()
            if r < 0.5:
                toks[i] = vocab[int(np.searchsorted(cum, rng.random() * cum[-1]))]
                lab[i] = 1
            elif r < 0.75 and i + 1 < len(toks) and toks[i].lower() != toks[i + 1].lower():
                toks[i], toks[i + 1] = toks[i + 1], toks[i]
                lab[i] = lab[i + 1] = 1
                i += 1
            elif i + 1 < len(toks) and len(toks) > 4:
                del toks[i], lab[i]
                lab[i] = 1
        i += 1
    return " ".join(toks), np.array(lab, dtype=np.float32)


def pretrain(torch, lines: list[str], a: argparse.Namespace, seed: int):  # type: ignore[no-untyped-def]
    """Self-supervised replaced-token detection (ELECTRA's task, a random generator) on clean English lines.

    Returns the state dict of the sentence net plus the token head's (keys ``rtd_head.*``); fine-tuning starts from
    embeddings and convolutions that already score local fluency, learnt from text with no labels.
    """
    from collections import Counter

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    cnt = Counter(t for line in lines for t in (m.group() for m in gnn.TOKEN_RE.finditer(line)))
    vocab = [w for w, c in cnt.items() if c >= 2]
    cum = np.cumsum(np.array([cnt[w] for w in vocab], dtype=np.float64) ** 0.75)
    net = build_net(torch, a.buckets, a.dim, a.channels)
    head = torch.nn.Linear(a.channels, 1)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=a.lr)
    steps = int(a.pretrain_epochs * len(lines) / a.batch)
    net.train()
    for step in range(steps):
        lr = a.lr * min(1.0, 2.0 * (1 - step / steps))
        for gparam in opt.param_groups:
            gparam["lr"] = lr
        idx = rng.integers(0, len(lines), a.batch)
        pairs = [rtd_corrupt(lines[i], rng, vocab, cum, a.rtd_rate) for i in idx]
        enc = gnn.encode([t for t, _ in pairs], a.buckets)
        h2, mask, _ = net.hidden(*to_torch(torch, enc))
        tl = head(h2)[:, :, 0]
        lab = np.zeros(tl.shape, dtype=np.float32)
        for k, (_, lb) in enumerate(pairs):
            m = min(len(lb), tl.shape[1])
            lab[k, :m] = lb[:m]
        mk = mask[:, :, 0]
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(tl, torch.from_numpy(lab), reduction="none")
                * mk).sum() / mk.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 200 == 0:
            print(f"pretrain step {step}/{steps} loss {loss.item():.3f}", file=sys.stderr)
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    state.update({f"rtd_head.{k}": v.detach().clone() for k, v in head.state_dict().items()})
    return state


def train(
    torch,  # type: ignore[no-untyped-def]
    sents: list[str],
    y: np.ndarray,
    w: np.ndarray,
    pairs: list[tuple[list[int], list[int], float]],
    a: argparse.Namespace,
    seed: int,
    init: dict | None = None,
    offset: np.ndarray | None = None,
):
    """One CNN on sentence rows (BCE, weighted) + pair rows (softplus(mean human - mean MT)).

    ``init``: a :func:`pretrain` state to fine-tune from (else random initial weights).  ``offset``: a fixed
    logit added to each row's (``--residual``: the linear model's scaled OOF logit, so the CNN learns what the
    linear model misses, as a boosting step)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = build_net(torch, a.buckets, a.dim, a.channels)
    if init is not None:
        net.load_state_dict({k: v for k, v in init.items() if not k.startswith("rtd_head.")})
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    n = len(sents)
    steps = int(a.epochs * n / a.batch)
    pw = np.array([p[2] for p in pairs])
    pw = pw / pw.sum() if len(pw) else pw
    wt = torch.from_numpy(w.astype(np.float32))
    yt = torch.from_numpy(y.astype(np.float32))
    net.train()
    for step in range(steps):
        lr = a.lr * min(1.0, 2.0 * (1 - step / steps))
        for gparam in opt.param_groups:
            gparam["lr"] = lr
        idx = rng.integers(0, n, a.batch)
        logit = net(*to_torch(torch, gnn.encode([sents[i] for i in idx], a.buckets)))
        if offset is not None:
            logit = logit + torch.from_numpy(offset[idx].astype(np.float32))
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(logit, yt[idx], reduction="none") * wt[idx]).sum()
        loss = loss / wt[idx].sum()
        if a.pair_loss and len(pairs):
            pick = rng.choice(len(pairs), a.pair_batch, p=pw)
            texts, owner, side = [], [], []
            for k, pi in enumerate(pick):
                for s_i, lst in ((0, pairs[pi][0]), (1, pairs[pi][1])):
                    for j in lst:
                        texts.append(sents[j])
                        owner.append(2 * k + s_i)
                        side.append(s_i)
            lg = net(*to_torch(torch, gnn.encode(texts, a.buckets)))
            if offset is not None:
                lg = lg + torch.from_numpy(offset[[j for pi in pick for lst in (pairs[pi][0], pairs[pi][1])
                                                   for j in lst]].astype(np.float32))
            own = torch.from_numpy(np.array(owner))
            tot = torch.zeros(2 * a.pair_batch).index_add(0, own, lg)
            cnt = torch.zeros(2 * a.pair_batch).index_add(0, own, torch.ones(len(owner)))
            m = tot / cnt
            loss = loss + a.pair_loss * torch.nn.functional.softplus(m[1::2] - m[0::2]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return net


def predict(torch, net, sents: list[str], buckets: int, chunk: int = 512) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = []
    with torch.no_grad():
        for i in range(0, len(sents), chunk):
            out.append(net(*to_torch(torch, gnn.encode(sents[i : i + chunk], buckets))).numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"))
    ap.add_argument("--out", default=str(ROOT / "cleaner" / "data"))
    ap.add_argument("--linear-oof", default="", help="OOF dump of build_garble_model.py (--dump-oof) for stacking")
    ap.add_argument("--buckets", type=int, default=1 << 15)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--epochs", type=float, default=6.0, help="6 since session 7 (CV +0.004-0.006 ALL over 3)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--clean-n", type=int, default=20000)
    ap.add_argument("--residual", type=float, default=0.0, help="train on top of this x the linear OOF logit")
    ap.add_argument("--synth", type=int, default=0, help="synthetic corrupted clean sentences (label 1)")
    ap.add_argument("--pretrain", type=int, default=0, help="clean English lines for RTD pretraining (0: none)")
    ap.add_argument("--pretrain-epochs", type=float, default=2.0)
    ap.add_argument("--rtd-rate", type=float, default=0.15, help="share of tokens changed in the RTD inputs")
    ap.add_argument("--pretrain-cache", default="", help="load/save the pretrained state here (torch.save)")
    ap.add_argument("--pretrain-only", action="store_true", help="stop after writing --pretrain-cache")
    ap.add_argument("--pair-loss", type=float, default=3.0)
    ap.add_argument("--pair-batch", type=int, default=32)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fold-limit", type=int, default=0, help="run only the first N folds (quick trials)")
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--seed", type=int, default=0, help="torch seeds of the runs (the CV's seed spread)")
    ap.add_argument("--save-oof", default="")
    ap.add_argument("--reuse-oof", default="", help="take the CNN OOF from this --save-oof file of the same settings")
    ap.add_argument("--goodmt-rate", type=float, default=0.025, help="OOF goodmt flag rate the threshold aims at")
    a = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    t0 = time.time()
    mt = Path(a.shared) / "bench" / "mtgarble"
    with gzip.open(mt / "clean_en_zh.txt.gz", "rt", encoding="utf-8") as f:
        clean = [line.strip() for line in f if line.strip()]
    rows = bgm.load_jsonl(mt / "train.jsonl.gz")
    seen = {r["text"].strip() for r in rows}
    seen |= {r["text"][x:y].strip() for r in rows for x, y in split_sentences(r["text"])}
    clean = [t for t in clean if t not in seen and not HAN_RE.search(t)]
    rng = random.Random(5)
    rng.shuffle(clean)
    fluent = clean[: a.clean_n]
    vocab = [w for t in clean[a.clean_n : a.clean_n + 20000] for w in t.split()]
    srng = random.Random(17)
    synth = [corrupt_en(t, srng, vocab) for t in clean[a.clean_n : a.clean_n + a.synth]]

    units, y, owner = bgm.sentence_units(rows)
    en = np.array([lg == "en" for _, lg in units])
    iw = bgm.balance_weights(rows)
    ifold = bgm.grouped_folds(rows, a.folds)
    sents = [t for t, _ in units]
    w = iw[owner]
    by_item: dict[int, list[int]] = {}
    for j, o in enumerate(owner):
        by_item.setdefault(int(o), []).append(j)
    groups: dict[str, dict[int, int]] = {}
    for i, r in enumerate(rows):
        if r["source"] != "mlqe_goodmt" and r["lang"] == "en":
            groups.setdefault(r["group"], {})[r["label"]] = i

    lin_oof = None
    if a.linear_oof:
        # the stack rows must be the same sentences, owners and folds as this run's: a dump from another
        # train file or fold count would misalign them silently, so refuse it before training
        with np.load(a.linear_oof) as zl:
            lin_oof = np.asarray(zl["oof"])
            for key, mine in (("owner", owner), ("fold", ifold)):
                if key in zl and not np.array_equal(np.asarray(zl[key]), mine):
                    raise SystemExit(f"{a.linear_oof}: its {key} array differs from this run's (other data or folds?)")
            if len(lin_oof) != len(sents):
                raise SystemExit(f"{a.linear_oof}: {len(lin_oof)} OOF rows, this run has {len(sents)} sentences")
        if not (Path(a.out) / "garble_model.npz").is_file():
            raise SystemExit(f"{Path(a.out) / 'garble_model.npz'} missing: the stack is fitted on that linear model")
    extra = fluent + synth
    ey = np.r_[np.zeros(len(fluent)), np.ones(len(synth))]
    ew = np.full(len(extra), float(np.mean(w[en])))
    n_lab = len(sents)
    all_s = sents + extra

    def fit_on(items_mask: np.ndarray, seed: int):  # type: ignore[no-untyped-def]
        keep = np.flatnonzero(en & items_mask[owner])
        idx = np.r_[keep, n_lab + np.arange(len(extra))]
        yy = np.r_[y[keep], ey]
        ww = np.r_[w[keep], ew]
        remap = {int(j): k for k, j in enumerate(keep)}
        prs = []
        for g in groups.values():
            if 0 in g and 1 in g and items_mask[g[0]] and items_mask[g[1]]:
                prs.append(([remap[j] for j in by_item[g[1]]], [remap[j] for j in by_item[g[0]]], iw[g[1]]))
        ss = [all_s[int(i)] for i in idx]
        off = None
        if a.residual:
            if lin_oof is None or len(extra):
                raise SystemExit("--residual needs --linear-oof, --clean-n 0, --synth 0 (clean rows have no OOF logit)")
            off = a.residual * lin_oof[keep]
        return train(torch, ss, yy, ww, prs, a, seed, init=init, offset=off)

    init = None
    if a.pretrain:
        cache = Path(a.pretrain_cache) if a.pretrain_cache else None
        if cache is not None and cache.is_file():
            init = torch.load(cache)
        else:
            # the lines are the clean English not in train (as ``fluent``): no label, no train text
            init = pretrain(torch, clean[: a.pretrain], a, seed=7 + 100 * a.seed)
            if cache is not None:
                torch.save(init, cache)
        print(f"pretrained ({time.time() - t0:.0f}s)", file=sys.stderr)
        if a.pretrain_only:
            return

    print(
        f"{n_lab} labelled sentences, {len(fluent)} fluent, {len(synth)} synthetic ({time.time() - t0:.0f}s)",
        file=sys.stderr,
    )
    oof = np.full(n_lab, np.nan)
    folds = range(a.fold_limit or a.folds)
    if a.reuse_oof:
        # the --save-oof file of an earlier run with the same settings and seed (seeded, one torch thread: the
        # same logits), so the shipped build need not refit the 5 fold models
        with np.load(a.reuse_oof) as zo:
            if not np.array_equal(np.asarray(zo["owner"]), owner):
                raise SystemExit(f"{a.reuse_oof}: its owner array differs from this run's")
            oof = np.asarray(zo["oof"], dtype=np.float64)
        folds = range(a.folds)
    for k in [] if a.reuse_oof else folds:
        net = fit_on(ifold != k, seed=k + 100 * a.seed)
        m = np.flatnonzero(en & (ifold[owner] == k))
        oof[m] = predict(torch, net, [sents[int(j)] for j in m], a.buckets)
        print(f"fold {k} done ({time.time() - t0:.0f}s)", file=sys.stderr)
    done = np.isin(ifold, list(folds)) & np.array([r["lang"] == "en" for r in rows])
    item = np.zeros(len(rows))
    for i in np.flatnonzero(done):
        item[i] = float(np.mean(oof[by_item[i]]))
    sub = [rows[i] for i in np.flatnonzero(done)]
    res = {"cnn": bgm.cv_aucs(sub, item[done])}
    if a.save_oof:
        np.savez_compressed(a.save_oof, oof=oof, owner=owner)
    stack = np.array([1.0, 0.0, 0.0])
    lin_item = np.zeros(len(rows))
    if lin_oof is not None:
        for i in np.flatnonzero(done):
            lin_item[i] = float(np.mean(lin_oof[by_item[i]]))
        res["linear"] = bgm.cv_aucs(sub, lin_item[done])
        from sklearn.linear_model import LogisticRegression

        iy = np.array([r["label"] for r in rows])
        feats = np.stack([lin_item, item], 1)
        st = np.zeros(len(rows))
        for k in folds:
            tr = done & (ifold != k)
            te = done & (ifold == k)
            if tr.sum() == 0:
                continue
            lr = LogisticRegression(C=100.0).fit(feats[tr], iy[tr], sample_weight=iw[tr])
            st[te] = feats[te] @ lr.coef_[0]
        if len(list(folds)) > 1:
            res["stacked_nested"] = bgm.cv_aucs(sub, st[done])
        lr = LogisticRegression(C=100.0).fit(feats[done], iy[done], sample_weight=iw[done])
        res["stack_weights"] = {"linear": float(lr.coef_[0][0]), "cnn": float(lr.coef_[0][1])}
        stack = np.r_[lr.coef_[0], lr.intercept_[0]]
    keys = ["ALL", "ALL_pair_balanced", "mlqe_para", "mlqe_sent", "wmt21_lowda"] + [
        f"sent_{p}" for p in ("et-en", "ne-en", "ro-en", "ru-en", "si-en")
    ]
    for name, r in res.items():
        if name == "stack_weights":
            print(name, r)
        else:
            print(f"{name:16s} " + " ".join(f"{k}={r.get(k, float('nan')):.3f}" for k in keys))
    print(f"cv done ({time.time() - t0:.0f}s)", file=sys.stderr)
    if a.cv_only:
        return
    if not a.linear_oof or a.fold_limit:
        raise SystemExit("the shipped model needs --linear-oof and all folds (the stack and calibrator come from them)")
    # English calibrator of the stacked item mean = the stacking regression itself (fitted with the
    # pair-balanced weights on all OOF English items, as the linear build's Platt calibrator).
    iy = np.array([r["label"] for r in rows])
    feats = np.stack([lin_item, item], 1)
    p = 1 / (1 + np.exp(-(feats @ stack[:2] + stack[2])))
    strict, rate = strict_threshold(rows, done, p, a.goodmt_rate)
    print(
        f"strict threshold {strict:.2f}: OOF goodmt flagged {rate:.3f}; garbled recall "
        f"{np.mean(p[done & (iy == 1)] >= strict):.3f}",
        file=sys.stderr,
    )
    net = fit_on(np.ones(len(rows), dtype=bool), seed=99 + 100 * a.seed)
    arrays = export(net)
    with np.load(Path(a.out) / "garble_model.npz", allow_pickle=False) as zm:
        lin_sig = gnn.linear_signature(np.asarray(zm["w_dense"]), float(zm["intercept"]))
    meta = {
        "version": 1,
        "built": time.strftime("%Y-%m-%d", time.gmtime()),
        "linear_signature": lin_sig,
        "config": {
            k: getattr(a, k)
            for k in (
                "buckets",
                "dim",
                "channels",
                "epochs",
                "batch",
                "lr",
                "clean_n",
                "synth",
                "pair_loss",
                "pair_batch",
                "pretrain",
                "pretrain_epochs",
                "rtd_rate",
            )
        },
        "cv_auc": res,
        "strict_threshold": strict,
        "oof_goodmt_flag_rate": rate,
    }
    out = Path(a.out) / gnn.NN_FILE
    from cleaner._shipped import save_npz

    save_npz(out, dict(
        **arrays,
        stack=np.r_[stack[:2], 0.0].astype(np.float64),
        calib=np.array([1.0, stack[2]], dtype=np.float64),
        meta=np.array(json.dumps(meta)),
    ))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {time.time() - t0:.0f}s)", file=sys.stderr)


def strict_threshold(rows: list[dict], done: np.ndarray, p: np.ndarray, target: float) -> tuple[float, float]:
    """The build's model-only threshold rule on the stacked OOF scores: <= ``target`` of goodmt flagged."""
    from cleaner.garble.model import lexicon_from_payload, load_lexicon_payload

    payload = load_lexicon_payload()
    lex = lexicon_from_payload(payload)
    good = done & np.array([r["source"] == "mlqe_goodmt" for r in rows])
    expl = np.array([bgm.explicit_in_item(rows[i]["text"], lex, payload["tortured"]) for i in np.flatnonzero(good)])
    pg = p[good]
    strict = 0.5
    for cand in np.arange(0.5, 1.0001, 0.01):
        strict = float(round(cand, 2))
        if np.mean((pg >= 0.5) & (expl | (pg >= cand))) <= target:
            break
    return strict, float(np.mean((pg >= 0.5) & (expl | (pg >= strict))))


if __name__ == "__main__":
    main()
