#!/usr/bin/env python3
"""Boilerplate-stage speed of two source trees, measured side by side in one process.

On a shared machine the load moves wall-clock figures by 2x between runs; here both trees'
``cleaner.boilerplate`` are loaded into one process and timed interleaved, page by page (per page
the best of ``--repeat`` runs of each, summed), so other jobs' load hits both alike and the ratio
holds.  Inputs: the dev texts (+ seeds) after the first tree's fix_encoding and language stages,
as the pipeline hands them to the stage.

    python bench/boilerplate_speed_ab.py /work/main . --shared ../shared --repeat 5 [--check-features]
    python bench/boilerplate_speed_ab.py /work/main . --shared ../shared --repeat 3 --pipeline
    perf stat -e instructions -x, python bench/boilerplate_speed_ab.py TREE TREE --shared ../shared --loop 3

``--pipeline`` times each tree's whole plain-text pipeline (``cleaner.pipeline.clean``, all stages
on) instead, interleaved page by page in the same way, and reports its MB/s and the boilerplate
stage's ms/MB inside it (the pipeline's own per-stage timings).

A tree with the compiled kernels built (``python setup.py build_ext --inplace``) imports them;
``CLEANER_NO_NATIVE=1`` makes every tree take its numpy path.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import speed  # bench/speed.py: the same dev pages and seeds

REPO = Path(__file__).resolve().parents[1]


def load_tree(tree: Path) -> dict[str, Any]:
    """Import ``cleaner`` from ``tree`` (dropping any ``cleaner`` already imported) and return its modules."""
    for m in [m for m in sys.modules if m == "cleaner" or m.startswith("cleaner.")]:
        del sys.modules[m]
    sys.path.insert(0, str(tree))
    try:
        mods = {name: importlib.import_module(f"cleaner.{name}") for name in (
            "boilerplate", "boilerplate.features", "boilerplate.model", "config", "fix_encoding", "language",
            "pipeline")}
    finally:
        sys.path.remove(str(tree))
    file = mods["boilerplate"].__file__ or ""
    if not Path(file).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"cleaner.boilerplate came from {file}, not from {tree}")
    return mods


def same_features(models: list[tuple[Any, Any]], inputs: list[tuple[str, str | None]]) -> int:
    """Pages whose line features, content-word ids and model scores are the same bytes in both trees."""
    same = 0
    for text, lang in inputs:
        outs = []
        for features, model in models:
            lines = text.split("\n")
            X, n_tok, toks = features.page_features(lines, lang)
            outs.append((X.tobytes(), n_tok.tobytes(), toks.ids.tobytes(), toks.line.tobytes(),
                         model.score(lines, lang).tobytes()))
        same += outs[0] == outs[1]
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trees", nargs=2, type=Path, help="two repository roots: before, after")
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--loop", type=int, default=None, metavar="PASSES",
                    help="only run the first tree's stage over the inputs once to warm up, then PASSES more times, "
                         "and exit: under `perf stat -e instructions`, (PASSES=3 minus PASSES=1) / 2 / MB is the "
                         "stage's instructions per MB, which other jobs on the machine do not move")
    ap.add_argument("--check-features", action="store_true",
                    help="also compare both trees' line features (page_features) and model scores bit for bit: what "
                         "the boilerplate CV trains and scores on, so equal features give equal CV figures")
    ap.add_argument("--pipeline", action="store_true",
                    help="time each tree's whole plain-text pipeline (and the stage inside it) instead of the stage")
    a = ap.parse_args()
    shared = Path(a.shared)
    texts = [p["text"] for p in speed.load_pages(shared, a.limit)] + speed.seeds(shared)
    fns = []
    pipes: list[tuple[Any, Any]] = []
    snaps: list[dict[str, Any]] = []
    models: list[tuple[Any, Any]] = []
    inputs: list[tuple[str, str | None]] = []
    for k, tree in enumerate(a.trees):
        if a.loop is not None and k:
            break
        mods = load_tree(tree)
        if k == 0:
            cfg = mods["config"].Config()
            for t in texts:
                fixed, _ = mods["fix_encoding"].fix_text(t, cfg)
                inputs.append((fixed, mods["language"].detect_blocks(fixed, cfg)[0].language))
        models.append((mods["boilerplate.features"], mods["boilerplate.model"].default_model()))
        fn = mods["boilerplate"].strip_boilerplate
        fn(*inputs[0])  # load the model, build the tables
        fns.append(fn)
        if a.pipeline:
            pipes.append((mods["pipeline"].clean, mods["config"].Config()))
            pipes[-1][0](texts[0], html=False, config=pipes[-1][1])  # imports the stages' modules (lazily imported)
            # the pipeline imports its stages inside functions, by sys.modules: each tree's run gets its own back
            snaps.append({m: mod for m, mod in sys.modules.items() if m == "cleaner" or m.startswith("cleaner.")})
    if a.loop is not None:
        for _ in range(a.loop + 1):
            for text, lang in inputs:
                fns[0](text, lang)
        return 0
    if a.pipeline:
        return pipeline_ab(a, pipes, snaps, texts)
    if a.check_features:
        print(f"line features, content words and model scores equal to the bit: {same_features(models, inputs)}/"
              f"{len(inputs)} pages")
    load0 = os.getloadavg()[0]
    total = [0.0, 0.0]
    same = 0
    for text, lang in inputs:
        best = [float("inf"), float("inf")]
        outs = []
        for _ in range(a.repeat):
            for k, fn in enumerate(fns):
                t0 = time.perf_counter()
                r = fn(text, lang)
                best[k] = min(best[k], time.perf_counter() - t0)
                if len(outs) < 2:
                    outs.append((r.text, [(x.kind, x.reason, x.start, x.end) for x in r.removed], r.metadata))
        same += outs[0] == outs[1]
        total[0] += best[0]
        total[1] += best[1]
    mb = sum(len(t.encode("utf-8")) for t, _ in inputs) / 1e6
    print("| tree | ms/MB | pages/s |\n|---|---|---|")
    for tree, tt in zip(a.trees, total, strict=True):
        print(f"| {tree} | {tt * 1000 / mb:.1f} | {len(inputs) / tt:.0f} |")
    print(f"\nratio after/before: {total[1] / total[0]:.3f}; {len(inputs)} pages, {mb:.2f} MB, wall clock, per page "
          f"the best of {a.repeat} runs of each tree, interleaved; same output on {same}/{len(inputs)} pages; load "
          f"average {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    return 0


def pipeline_ab(
    a: argparse.Namespace, pipes: list[tuple[Any, Any]], snaps: list[dict[str, Any]], texts: list[str]
) -> int:
    """The two trees' plain-text pipelines, page by page interleaved: per page the best of ``--repeat``
    runs of each (total, and the boilerplate stage by the pipeline's own timings), summed."""
    load0 = os.getloadavg()[0]
    total = [0.0, 0.0]
    stage = [0.0, 0.0]
    same = 0
    for text in texts:
        best = [float("inf"), float("inf")]
        best_stage = [float("inf"), float("inf")]
        recs = []
        for _ in range(a.repeat):
            for k, (clean, cfg) in enumerate(pipes):
                sys.modules.update(snaps[k])
                t0 = time.perf_counter()
                r = clean(text, html=False, config=cfg)
                best[k] = min(best[k], time.perf_counter() - t0)
                best_stage[k] = min(best_stage[k], r.doc.timings.get("boilerplate", 0.0))
                if len(recs) < 2:
                    rec = r.to_record()
                    rec.pop("cleaner_version", None)
                    recs.append(rec)
        same += recs[0] == recs[1]
        for k in (0, 1):
            total[k] += best[k]
            stage[k] += best_stage[k]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print("| tree | pipeline MB/s | pipeline ms/MB | boilerplate stage in it, ms/MB |\n|---|---|---|---|")
    for k, tree in enumerate(a.trees):
        print(f"| {tree} | {mb / total[k]:.2f} | {total[k] * 1000 / mb:.1f} | {stage[k] * 1000 / mb:.1f} |")
    print(f"\nratio after/before: pipeline {total[1] / total[0]:.3f}, stage {stage[1] / stage[0]:.3f}; {len(texts)} "
          f"pages, {mb:.2f} MB, wall clock, per page the best of {a.repeat} runs of each tree, interleaved; same "
          f"records on {same}/{len(texts)} pages; load average {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at "
          "the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
