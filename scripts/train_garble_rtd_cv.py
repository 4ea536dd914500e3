#!/usr/bin/env python3
"""Grouped-CV check of replaced-token-detection (RTD) surprisal as a stack input of the English garble model.

The RTD net (``train_garble_nn.pretrain``: the sentence CNN's layers + a per-token head, trained only on
clean English lines that are not train texts, no labels) gives each token the probability that it was
replaced in otherwise fluent text: a learnt local-fluency surprisal.  Its sentence summaries (mean, max,
share > 0.5 of the token probabilities) are averaged per item and added to the session-5 stack
``[linear OOF, CNN OOF]``; the stack is refitted on the other folds' items (nested) and scored on the held-out
fold, with the folds of ``build_garble_model.grouped_folds``.  No feature sees a label, so only the stack
weights are fitted in the CV.

Usage (PyTorch CPU, build time only):
  python scripts/train_garble_nn.py --shared ../shared --cv-only --pretrain 80000 --pretrain-cache /tmp/pre.pt \\
      --linear-oof /tmp/oof_lin.npz --save-oof /tmp/oof_cnn.npz
  python scripts/train_garble_rtd_cv.py --shared ../shared --pretrain-cache /tmp/pre.pt \\
      --linear-oof /tmp/oof_lin.npz --cnn-oof /tmp/oof_cnn.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import build_garble_model as bgm  # noqa: E402
import train_garble_nn as tgn  # noqa: E402

from cleaner.garble import nn as gnn  # noqa: E402


def rtd_features(torch, state: dict, sents: list[str], a: argparse.Namespace) -> np.ndarray:  # type: ignore[no-untyped-def]
    """[mean, max, share > 0.5] of the RTD token probabilities of each sentence."""
    net = tgn.build_net(torch, a.buckets, a.dim, a.channels)
    net.load_state_dict({k: v for k, v in state.items() if not k.startswith("rtd_head.")})
    head = torch.nn.Linear(a.channels, 1)
    head.load_state_dict({k[len("rtd_head."):]: v for k, v in state.items() if k.startswith("rtd_head.")})
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(sents), 512):
            enc = gnn.encode(sents[i : i + 512], a.buckets)
            h2, mask, lengths = net.hidden(*tgn.to_torch(torch, enc))
            p = torch.sigmoid(head(h2)[:, :, 0]) * mask[:, :, 0]
            n = lengths.clamp(min=1).float()
            out.append(torch.stack([p.sum(1) / n, p.max(1).values, (p > 0.5).float().sum(1) / n], 1).numpy())
    return np.concatenate(out).astype(np.float64)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"))
    ap.add_argument("--pretrain-cache", required=True)
    ap.add_argument("--linear-oof", required=True)
    ap.add_argument("--cnn-oof", required=True)
    ap.add_argument("--buckets", type=int, default=1 << 15)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--folds", type=int, default=5)
    a = ap.parse_args()
    import torch
    from sklearn.linear_model import LogisticRegression

    torch.set_num_threads(1)
    ts = bgm.train_sentences(a.shared, a.folds)
    rows, sents, owner, done = ts.rows, ts.sents, ts.owner, ts.english
    state = torch.load(a.pretrain_cache)
    if "rtd_head.weight" not in state:
        raise SystemExit(f"{a.pretrain_cache} has no rtd_head (pretrained by an older train_garble_nn.py)")
    en_rows = np.flatnonzero(done[owner])
    feats_s = np.zeros((len(sents), 3))
    feats_s[en_rows] = rtd_features(torch, state, [sents[int(j)] for j in en_rows], a)
    lin = np.load(a.linear_oof)["oof"]
    cnn = np.load(a.cnn_oof)["oof"]
    cnt = np.bincount(owner, minlength=len(rows)).clip(min=1)

    def item_mean(v: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=np.nan_to_num(v), minlength=len(rows)) / cnt

    cols = {"lin": item_mean(lin), "cnn": item_mean(cnn)}
    for k, name in enumerate(("rtd_mean", "rtd_max", "rtd_share")):
        cols[name] = item_mean(feats_s[:, k])
    sub = [rows[i] for i in np.flatnonzero(done)]
    keys = ["ALL", "ALL_pair_balanced", "mlqe_para", "mlqe_sent", "wmt21_lowda"]
    for name in ("rtd_mean", "rtd_max", "rtd_share"):
        r = bgm.cv_aucs(sub, cols[name][done])
        print(f"{name + ' alone':36s} " + " ".join(f"{k}={r.get(k, float('nan')):.3f}" for k in keys))
    for combo in (("lin", "cnn"), ("lin", "cnn", "rtd_mean"), ("lin", "cnn", "rtd_mean", "rtd_max"),
                  ("lin", "cnn", "rtd_mean", "rtd_max", "rtd_share"), ("lin", "rtd_mean")):
        def fit_score(xt: np.ndarray, y: np.ndarray, w: np.ndarray, xe: np.ndarray) -> np.ndarray:
            return xe @ LogisticRegression(C=100.0).fit(xt, y, sample_weight=w).coef_[0]

        st, per_fold = bgm.stacked_cv(np.stack([cols[c] for c in combo], 1), ts, done, a.folds, fit_score)
        r = bgm.cv_aucs(sub, st[done])
        print(f"{'+'.join(combo):36s} " + " ".join(f"{k}={r.get(k, float('nan')):.3f}" for k in keys)
              + f"  fold ALL {np.mean(per_fold):.3f} ± {np.std(per_fold):.3f}")


if __name__ == "__main__":
    main()
