#!/usr/bin/env python3
"""Garble benchmark: ``python bench/garble.py --shared ../shared``.

1. Runs ``../shared/bench/mtgarble/score.py`` on ``dev.jsonl.gz`` with the adapter
   ``python -m cleaner.garble`` (reads {id,text} JSONL, writes {id,score,flagged})
   and keeps its per-source AUC / P / R / F1 table.
2. Scores dev in-process for a reliability table (is a score of 0.8 garbled ~80%
   of the time?) and the throughput in sentences/s of one process (model load
   excluded, warm).
3. Prints the 5-fold grouped CV AUCs on train stored in the model by
   ``scripts/build_garble_model.py`` (the model-selection figures).
Prints a markdown report (also written with ``--out``).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleaner.garble import score_garble  # noqa: E402
from cleaner.garble.features import split_sentences  # noqa: E402
from cleaner.garble.model import load_model  # noqa: E402

BASELINES = {  # held-out AUC from the issue / REPORT (not re-measured here)
    "ALL": {"non-word rate": 0.54, "char+word n-gram LR": 0.66},
    "src=mlqe_para": {"char+word n-gram LR": 0.78},
    "src=mlqe_zh": {"char+word n-gram LR": 0.77},
}
TARGETS = {"ALL": 0.80, "src=mlqe_para": 0.90, "src=mlqe_sent": 0.75, "src=mlqe_zh": 0.85}


def document_speed(shared: Path) -> list[str]:
    """Whole-document cost on the boilerplate benchmark's plain texts (the issue's ~60 ms per MB budget)."""
    lines: list[str] = []
    # whole documents: plain texts of the boilerplate benchmark (real web articles with their
    # boilerplate), language as the pipeline passes it; the budget is ~60 ms per MB
    bp = shared / "bench" / "boilerplate" / "dev.jsonl.gz"
    if not bp.exists():
        return []
    with gzip.open(bp, "rt", encoding="utf-8") as f:
        docs = [(d["text"], d.get("lang")) for d in map(json.loads, f) if d.get("text")]
    mb = sum(len(t.encode("utf-8")) for t, _ in docs) / 1e6
    load_model()
    score_garble("Warm up.", "en")
    best = best_cpu = float("inf")
    for _ in range(3):  # best of 3: the machine is shared
        t0, c0 = time.perf_counter(), time.process_time()
        res = [score_garble(t, lg) for t, lg in docs]
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    t0 = time.perf_counter()
    for t, _ in docs:
        score_garble(t)
    dt_none = time.perf_counter() - t0
    n_flag = sum(g.flagged for g in res)
    n_null = sum(g.score is None for g in res)
    lines += [
        f"## Whole documents (boilerplate dev plain texts: {len(docs)} pages, {mb:.2f} MB, one process, warm)",
        "",
        f"- with the page language given (as in the pipeline): {mb / best:.1f} MB/s = "
        f"{best * 1000 / mb:.0f} ms per MB wall, {mb / best_cpu:.1f} MB/s = {best_cpu * 1000 / mb:.0f} ms per MB "
        f"of process CPU time (target <= ~60 ms per MB, >= 15 MB/s), best of 3; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        f"- language detected by the stage itself: {mb / dt_none:.1f} MB/s",
        f"- flagged as garbled: {n_flag} of {len(docs) - n_null} scored pages (human-written news/blog pages "
        f"with boilerplate; {n_null} unsupported-language pages)",
        "",
    ]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"))
    ap.add_argument("--data", default=None, help="default: <shared>/bench/mtgarble/dev.jsonl.gz")
    ap.add_argument("--out", default=None, help="also write the markdown here")
    ap.add_argument("--speed-only", action="store_true", help="only the whole-document speed (no dev scoring)")
    a = ap.parse_args()
    if a.speed_only:
        print("\n".join(document_speed(Path(a.shared))))
        return
    mt = Path(a.shared) / "bench" / "mtgarble"
    data = Path(a.data) if a.data else mt / "dev.jsonl.gz"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as tmp:
        js = Path(tmp) / "m.json"
        cmd = [
            sys.executable,
            str(mt / "score.py"),
            "--data",
            str(data),
            "--json",
            str(js),
            "--cmd",
            f"{sys.executable} -m cleaner.garble",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        if proc.returncode:
            sys.exit(proc.stderr)
        metrics = json.loads(js.read_text())
    lines = ["## mtgarble dev (score.py, adapter `python -m cleaner.garble`)", ""]
    lines += [
        "| group | n | AUC | target | baseline AUC (held-out) | P | R | F1 | FPR |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in metrics["groups"].items():
        auc = "-" if m["auc"] is None else f"{m['auc']:.3f}"
        tgt = TARGETS.get(name)
        met = "" if tgt is None or m["auc"] is None else (" met" if m["auc"] >= tgt else " NOT met")
        base = ", ".join(f"{k} {v:.2f}" for k, v in BASELINES.get(name, {}).items())
        lines.append(
            f"| {name} | {m['n']} | {auc} | {'' if tgt is None else f'>= {tgt:.2f}{met}'} | {base} | "
            f"{m.get('precision', 0):.3f} | {m.get('recall', 0):.3f} | {m.get('f1', 0):.3f} | "
            f"{m.get('flag_rate_neg', 0):.3f} |"
        )
    good = metrics["groups"].get("src=mlqe_goodmt", {})
    lines += [
        "",
        f"mlqe_goodmt flagged at the default threshold: {good.get('flag_rate_neg', float('nan')):.3f} (target <= 0.10)",
        f"score.py wall throughput (incl. start-up): {metrics['items_per_s']:.0f} items/s",
    ]

    # in-process: reliability + sentences/s
    with gzip.open(data, "rt", encoding="utf-8") as f:
        rows = [json.loads(x) for x in f if x.strip()]
    load_model()
    score_garble("Warm up.", "en")
    dt = dt_cpu = float("inf")
    for _ in range(3):  # best of 3 (wall and process CPU time): the machine is shared
        t0, c0 = time.perf_counter(), time.process_time()
        scores = [score_garble(r["text"]).score for r in rows]
        dt, dt_cpu = min(dt, time.perf_counter() - t0), min(dt_cpu, time.process_time() - c0)
    n_sent = sum(max(1, len(split_sentences(r["text"]))) for r in rows)
    lines += [
        "",
        f"## Throughput (one process, warm, best of 3): {n_sent / dt:.0f} sentences/s wall, "
        f"{n_sent / dt_cpu:.0f} sentences/s of process CPU time ({n_sent} sentences, {len(rows)} items, "
        f"{dt:.1f}s wall; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores) (target >= 1,000)",
        "",
    ]
    lines += document_speed(Path(a.shared))
    lines += [
        "## Reliability on dev (calibrated on train OOF only)",
        "",
        "| score bin | n | share garbled |",
        "|---|---|---|",
    ]
    edges = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001]
    for lo, hi in itertools.pairwise(edges):
        ys = [r["label"] for r, s in zip(rows, scores, strict=False) if s is not None and lo <= s < hi]
        share = f"{sum(ys) / len(ys):.2f}" if ys else "-"
        lines.append(f"| {lo:.1f}-{min(hi, 1.0):.1f} | {len(ys)} | {share} |")
    meta = load_model().meta
    lines += [
        "",
        f"## 5-fold grouped CV on train (model selection; C={meta['C']})",
        "",
        "| C | " + " | ".join(k for k in next(iter(meta["cv_auc"].values()))) + " |",
        "|---" * (1 + len(next(iter(meta["cv_auc"].values())))) + "|",
    ]
    for c, res in meta["cv_auc"].items():
        lines.append(f"| {c} | " + " | ".join("-" if v != v else f"{v:.3f}" for v in res.values()) + " |")
    cnn = load_model().cnn
    if cnn is not None:
        cv = {k: v for k, v in cnn.meta["cv_auc"].items() if k != "stack_weights"}
        cols = ["ALL", "ALL_pair_balanced", "mlqe_para", "mlqe_sent", "wmt21_lowda"]
        lines += [
            "",
            "English sentence CNN stacked on the linear logit (`scripts/train_garble_nn.py`; same folds, English "
            f"items; stack weights {cnn.meta['cv_auc'].get('stack_weights')}, fitted on the other folds' OOF "
            "for the `stacked_nested` row):",
            "",
            "| model | " + " | ".join(cols) + " |",
            "|---" * (1 + len(cols)) + "|",
        ]
        for name, res in cv.items():
            lines.append(f"| {name} | " + " | ".join(f"{res.get(k, float('nan')):.3f}" for k in cols) + " |")
    if "zh_cv_auc_4fold_mean" in meta:
        lines += [
            "",
            "Chinese is scored by its own model (the mlqe_zh column above is the shared model's, unused for "
            f"Chinese): {meta['zh_items']} train items, features {', '.join(meta['zh_features'])}; "
            f"AUC {meta['zh_cv_auc_4fold_mean']:.3f}"
            + (f" ± {meta['zh_cv_auc_4fold_sd']:.3f}" if "zh_cv_auc_4fold_sd" in meta else "")
            + " (mean ± sd of 20 repeated 4-fold CVs, pairs kept together).",
        ]
    lines += [
        "",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}; "
        f"command: `python bench/garble.py --shared ../shared`",
    ]
    text = "\n".join(lines)
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
