#!/usr/bin/env python3
"""Cross-validated benchmark of the boilerplate stage on ../shared/bench/boilerplate/dev.jsonl.gz.

k-fold cross-validation grouped by page (fixed seed, pages dealt round-robin per dataset so
every fold holds every source): for each fold a line model is trained on the other folds
(:func:`cleaner.boilerplate.model.train_line_model`, thresholds chosen on those pages only), then
the held-out pages are cleaned

* by the full stage, ``strip_boilerplate(text, lang, Config(mode=m), model=fold_model)``, and
* by the model alone, two ways: keep the lines whose P(content) >= the mode's threshold, or
  the lines that maximise the page's expected F-beta (:func:`cleaner.boilerplate.model.decode_expected`,
  the stage's own decoding),

and scored with the metric of ``score.py`` (bag-of-words token P/R/F1 per page, CJK per character,
mean over pages), overall and per dataset.  Pages/s are measured on the held-out pages, one
process.  Writes a markdown report (default ``bench/results/boilerplate.md``).

    python bench/boilerplate.py --shared ../shared
"""

from __future__ import annotations

import argparse
import collections
import gzip
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results import write_part  # noqa: E402  (bench/results.py)

from cleaner.boilerplate import model as M  # noqa: E402
from cleaner.config import Config  # noqa: E402

MODES = ("precision", "balanced", "recall")


def load_scorer(shared: Path) -> Any:
    """The benchmark's own score.py (its tokenizer and prf), so the numbers are the same."""
    spec = importlib.util.spec_from_file_location("bp_score", shared / "bench" / "boilerplate" / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load score.py under {shared}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def folds_by_page(datasets: list[str], k: int, seed: int) -> np.ndarray:
    """Fold of each page (given its dataset): shuffled within each dataset, then dealt round-robin.

    The one fold assignment every boilerplate CV uses (this bench, scripts/train_boilerplate.py,
    scripts/train_html_blocks.py and bench/boilerplate_html.py), so their figures compare page
    for page."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(datasets), dtype=np.int64)
    by: dict[str, list[int]] = collections.defaultdict(list)
    for i, ds in enumerate(datasets):
        by[ds].append(i)
    offset = 0
    for ds in sorted(by):
        idx = rng.permutation(by[ds])
        fold[idx] = (np.arange(idx.shape[0]) + offset) % k
        offset += idx.shape[0]
    return fold


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    by: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in rows:
        by[r["dataset"]].append(r)
    out = {"all": {k: float(np.mean([r[k] for r in rows])) for k in ("p", "r", "f1")}}
    out["all"]["n"] = len(rows)
    for ds in sorted(by):
        out[ds] = {k: float(np.mean([r[k] for r in by[ds]])) for k in ("p", "r", "f1")}
        out[ds]["n"] = len(by[ds])
    return out


def machine() -> str:
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        name = next(
            (ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), ""
        )
    except OSError:
        name = ""
    return f"{platform.machine()}, {os.cpu_count()} cores ({name}), Python {platform.python_version()}"


def speed(pages: list[dict[str, Any]], repeats: int = 3) -> None:
    """Pages/s of the packaged model and of the whole stage, best of ``repeats`` passes.

    Wall-clock and CPU-time rates both: on a shared machine the wall clock counts the time other
    jobs hold the cores; the CPU time of this process is the steadier figure."""
    from cleaner.boilerplate import strip_boilerplate

    model = M.default_model()
    if model is None:
        raise SystemExit("no packaged model: run scripts/train_boilerplate.py first")
    mb = sum(len(p["text"].encode("utf-8")) for p in pages) / 1e6
    split = [p["text"].split("\n") for p in pages]
    model.score(split[0], "en")  # warm the class table and stoplists
    cfg = Config()
    for name, fn in (
        ("model.score", lambda i: model.score(split[i], pages[i].get("lang"))),
        ("strip_boilerplate", lambda i: strip_boilerplate(pages[i]["text"], pages[i].get("lang"), cfg)),
    ):
        best = best_cpu = float("inf")
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            for i in range(len(pages)):
                fn(i)
            best = min(best, time.perf_counter() - t)
            best_cpu = min(best_cpu, time.process_time() - c)
        print(
            f"{name}: {len(pages) / best:.0f} pages/s, {mb / best:.2f} MB/s wall; "
            f"{len(pages) / best_cpu:.0f} pages/s, {mb / best_cpu:.2f} MB/s CPU time "
            f"({len(pages)} pages, {mb:.1f} MB, load average {os.getloadavg()[0]:.1f})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"), help="path of the shared data")
    ap.add_argument(
        "--data", default=None, help="benchmark file (default: SHARED/bench/boilerplate/dev.jsonl.gz)"
    )
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trees", type=int, default=None, help="override the number of trees per forest")
    ap.add_argument("--no-stage", action="store_true", help="skip the full-stage evaluation")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "boilerplate.md"))
    ap.add_argument("--json", default=None, help="also write per-page rows as JSON")
    ap.add_argument(
        "--speed",
        action="store_true",
        help="only time the packaged model and the stage over all pages (no cross-validation)",
    )
    ap.add_argument("--save-models", default=None, help="pickle the fold models (list, fold order) for analysis")
    ap.add_argument(
        "--load-models",
        default=None,
        help="use fold models pickled by --save-models (same folds, seed and features) instead of training: "
        "stage-level changes are then measured in minutes; the figures are those of the run that trained them",
    )
    ap.add_argument("--dump", default=None, help="write the held-out P(content) per page (npz) for analysis")
    args = ap.parse_args()

    shared = Path(args.shared)
    data = Path(args.data) if args.data else shared / "bench" / "boilerplate" / "dev.jsonl.gz"
    scorer = load_scorer(shared)
    with gzip.open(data, "rt", encoding="utf-8") as f:
        pages = [json.loads(line) for line in f if line.strip()]
    if args.speed:
        speed(pages)
        return
    t0 = time.perf_counter()
    examples = [
        M.make_example(p["id"], p["text"].split("\n"), p["gold"], p.get("lang"), p["dataset"]) for p in pages
    ]
    print(
        f"{len(pages)} pages: features and alignment labels in {time.perf_counter() - t0:.1f} s", flush=True
    )

    params = M.BoostParams()
    if args.trees:
        params.trees = args.trees
    fold = folds_by_page([p["dataset"] for p in pages], args.folds, args.seed)
    rows: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    score_s = stage_s = 0.0
    n_bytes = sum(len(p["text"].encode("utf-8")) for p in pages)
    thresholds = []
    fold_models: list[M.LineModel] = []
    oof: dict[str, np.ndarray] = {}
    from cleaner.boilerplate import strip_boilerplate

    loaded: list[M.LineModel] | None = None
    if args.load_models:
        import pickle

        with open(args.load_models, "rb") as f:
            loaded = pickle.load(f)
        assert loaded is not None and len(loaded) == args.folds, "fold models do not match --folds"
        for lm in loaded:
            for forest in lm.passes:
                forest.prepare()
    for k in range(args.folds):
        if loaded is not None:
            model = loaded[k]
        else:
            train = [ex for ex, f in zip(examples, fold, strict=False) if f != k]
            model = M.train_line_model(
                train, params, provenance={"fold": k}, log=lambda s: print("  " + s, flush=True)
            )
        thresholds.append(model.thresholds)
        fold_models.append(model)
        for i in np.flatnonzero(fold == k):
            p = pages[i]
            lines = p["text"].split("\n")
            t = time.perf_counter()
            prob, n_tok = model.score_tokens(lines, p.get("lang"))
            score_s += time.perf_counter() - t
            oof[p["id"]] = prob
            for mode in MODES:
                for system, keep in (
                    ("model", M.decode(prob, model.threshold(mode))),
                    ("model-ef", M.decode_expected(prob, n_tok, M.MODE_BETA[mode])),
                ):
                    text = "\n".join(ln for ln, kp in zip(lines, keep, strict=False) if kp)
                    pr, rc, f1 = scorer.prf(text, p["gold"])
                    rows[f"{system}/{mode}"].append(
                        {"id": p["id"], "dataset": p["dataset"], "p": pr, "r": rc, "f1": f1}
                    )
            if not args.no_stage:
                for mode in MODES:
                    t = time.perf_counter()
                    res = strip_boilerplate(p["text"], p.get("lang"), Config(mode=mode), model=model)
                    if mode == "balanced":
                        stage_s += time.perf_counter() - t
                    pr, rc, f1 = scorer.prf(res.text, p["gold"])
                    rows[f"stage/{mode}"].append(
                        {"id": p["id"], "dataset": p["dataset"], "p": pr, "r": rc, "f1": f1}
                    )
        s = summarise(rows["model/balanced"])["all"]
        print(
            f"fold {k}: cumulative model/balanced P {s['p']:.3f} R {s['r']:.3f} F1 {s['f1']:.3f}", flush=True
        )

    res = {name: summarise(r) for name, r in rows.items()}
    datasets = sorted({p["dataset"] for p in pages})
    lines = [
        "# Boilerplate stage: cross-validated results on dev",
        "",
        f"Command: `python bench/boilerplate.py --shared ../shared --folds {args.folds} --seed {args.seed}`"
        f"{' --no-stage' if args.no_stage else ''}{f' --trees {args.trees}' if args.trees else ''}  ",
        f"Data: `{data.name}`, {len(pages)} pages; {args.folds}-fold cross-validation grouped by page "
        f"(seed {args.seed}); every figure is on pages the fold's model never saw, thresholds chosen on the "
        "training folds only.  ",
        f"Machine: {machine()}  ",
        "Metric: score.py's bag-of-words token P/R/F1 per page (CJK per character), mean over pages.",
        "",
        "| system | mode | P | R | F1 | " + " | ".join(f"{d} F1" for d in datasets) + " |",
        "|---|---|---|---|---|" + "---|" * len(datasets),
    ]
    order = ("stage", "model-ef", "model")
    labels = {
        "stage": "stage (rules + model)",
        "model-ef": "model alone (expected F)",
        "model": "model alone (threshold)",
    }
    for name in sorted(res, key=lambda n: (order.index(n.split("/")[0]), MODES.index(n.split("/")[1]))):
        r = res[name]
        system, mode = name.split("/")
        label = labels[system]
        lines.append(
            f"| {label} | {mode} | {r['all']['p']:.3f} | {r['all']['r']:.3f} | {r['all']['f1']:.3f} | "
            + " | ".join(f"{r[d]['f1']:.3f}" for d in datasets)
            + " |"
        )
    lines += [
        "",
        "Per dataset, stage, balanced mode (P / R / F1):",
        "",
        "| dataset | n | P | R | F1 |",
        "|---|---|---|---|---|",
    ]
    rb = res["stage/balanced" if "stage/balanced" in res else "model/balanced"]
    for d in datasets:
        lines.append(f"| {d} | {rb[d]['n']} | {rb[d]['p']:.3f} | {rb[d]['r']:.3f} | {rb[d]['f1']:.3f} |")
    n_held = len(pages)
    lines += [
        "",
        "Thresholds per fold (P(content) to keep a line): "
        + "; ".join(", ".join(f"{m} {t[m]:.3f}" for m in MODES) for t in thresholds),
        "",
        f"Speed (held-out pages, one process, {n_bytes / 1e6:.1f} MB): model scoring "
        f"{n_held / score_s:.0f} pages/s ({n_bytes / 1e6 / score_s:.2f} MB/s)"
        + (
            f"; full stage (balanced) {n_held / stage_s:.0f} pages/s ({n_bytes / 1e6 / stage_s:.2f} MB/s)"
            if stage_s
            else ""
        )
        + ".",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_part(out, report)  # keeps the hand-written notes below the marker
    if args.save_models:
        import pickle

        with open(args.save_models, "wb") as f:
            pickle.dump(fold_models, f)
    if args.dump:
        np.savez_compressed(args.dump, **{k.replace("/", "__"): v for k, v in oof.items()})
    if args.json:
        Path(args.json).write_text(json.dumps({"results": res, "rows": rows}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
