#!/usr/bin/env python3
"""Grouped-CV check of a non-linear item-level second stage over the English garble model's outputs.

Inputs per English train item: the OOF item means of the linear model and of the sentence CNN (dumps of
``build_garble_model.py --dump-oof`` and ``train_garble_nn.py --save-oof``, same folds), plus the item means
and maxima of the shipped dense features (``vec.DENSE_NAMES``, computed from the clean-text tables only, no
label) and the number of sentences.  Second stages compared by nested grouped CV (fitted on the other folds'
OOF items, scored on the held-out fold): the shipped logistic stack ``[lin, cnn]``, logistic regression on all
columns, and gradient-boosted trees (sklearn ``HistGradientBoostingClassifier``, shallow, strong shrinkage).

Usage:
  python scripts/train_garble_stack_cv.py --shared ../shared --linear-oof /tmp/oof_lin.npz --cnn-oof /tmp/oof_cnn.npz
  python scripts/train_garble_stack_cv.py ... --cnn-oof A.npz B.npz --stack-only   # per-fold spread of CNN variants
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

from cleaner.garble.model import load_model  # noqa: E402
from cleaner.garble.vec import DENSE_NAMES, featurise  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"))
    ap.add_argument("--linear-oof", required=True)
    ap.add_argument("--cnn-oof", required=True, nargs="+", help="one or more CNN OOF dumps (the first for the GBTs)")
    ap.add_argument("--stack-only", action="store_true", help="only the [lin, cnn] stack of each CNN dump")
    ap.add_argument("--folds", type=int, default=5)
    a = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    ts = bgm.train_sentences(a.shared, a.folds)
    rows, sents, owner, done = ts.rows, ts.sents, ts.owner, ts.english
    en_rows = np.flatnonzero(done[owner])
    tab = load_model().tables
    dense = np.zeros((len(sents), len(DENSE_NAMES)))
    for i in range(0, 0 if a.stack_only else len(en_rows), 2048):
        part = en_rows[i : i + 2048]
        dense[part] = featurise([sents[int(j)] for j in part], "en", tab, sparse=False).dense[:, : len(DENSE_NAMES)]
    cnt = np.bincount(owner, minlength=len(rows)).clip(min=1)

    def item_mean(v: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=np.nan_to_num(v), minlength=len(rows)) / cnt

    def item_max(v: np.ndarray) -> np.ndarray:
        out = np.full(len(rows), -np.inf)
        np.maximum.at(out, owner, v)
        return out

    lin = item_mean(np.load(a.linear_oof)["oof"])
    cnn = item_mean(np.load(a.cnn_oof[0])["oof"])
    base = np.stack([lin, cnn], 1)
    extra = np.concatenate(
        [np.stack([item_mean(dense[:, k]) for k in range(dense.shape[1])], 1),
         np.stack([item_max(dense[:, k]) for k in range(dense.shape[1])], 1),
         np.log(cnt)[:, None]], 1)
    extra[~np.isfinite(extra)] = 0.0
    full = np.concatenate([base, extra], 1)
    sub = [rows[i] for i in np.flatnonzero(done)]
    keys = ["ALL", "ALL_pair_balanced", "mlqe_para", "mlqe_sent", "wmt21_lowda"]

    ref: list[float] = []

    def report(name: str, make, x: np.ndarray) -> None:  # type: ignore[no-untyped-def]
        def fit_score(xt: np.ndarray, y: np.ndarray, w: np.ndarray, xe: np.ndarray) -> np.ndarray:
            p = make().fit(xt, y, sample_weight=w).predict_proba(xe)[:, 1].clip(1e-6, 1 - 1e-6)
            return np.log(p / (1 - p))

        st, per_fold = bgm.stacked_cv(x, ts, done, a.folds, fit_score)
        r = bgm.cv_aucs(sub, st[done])
        dif = np.subtract(per_fold, ref) if ref else None
        print(f"{name:40s} " + " ".join(f"{k}={r.get(k, float('nan')):.3f}" for k in keys)
              + f"  per-fold ALL {np.mean(per_fold):.3f} ± {np.std(per_fold):.3f}"
              + (f", vs the first row {np.mean(dif):+.3f} ± {np.std(dif):.3f}" if dif is not None else ""), flush=True)
        if not ref:
            ref.extend(per_fold)

    for path in a.cnn_oof:
        x2 = np.stack([lin, item_mean(np.load(path)["oof"])], 1)
        report(f"LR [lin, cnn] {Path(path).name}", lambda: LogisticRegression(C=100.0), x2)
    if a.stack_only:
        return
    report("LR [lin, cnn, dense mean+max, ln n]", lambda: LogisticRegression(C=1.0, max_iter=2000), full)
    for depth, lr_, it in ((2, 0.05, 200), (3, 0.05, 300)):
        report(f"GBT d{depth} lr{lr_} it{it} [lin, cnn]",
               lambda d=depth, r_=lr_, i_=it: HistGradientBoostingClassifier(
                   max_depth=d, learning_rate=r_, max_iter=i_, l2_regularization=1.0, random_state=0), base)
        report(f"GBT d{depth} lr{lr_} it{it} [all]",
               lambda d=depth, r_=lr_, i_=it: HistGradientBoostingClassifier(
                   max_depth=d, learning_rate=r_, max_iter=i_, l2_regularization=1.0, random_state=0), full)


if __name__ == "__main__":
    main()
