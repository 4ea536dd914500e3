"""Benchmark of the rule/heuristic boilerplate stage (text and HTML views), metadata, speed.

    python bench/boilerplate_rules.py --shared ../shared [--input text|html|both] [--no-model]

Scores with the benchmark's own ``score.py`` (imported from ``--shared``): bag-of-words
token P/R/F1 per page, averaged over pages, overall and per dataset; on the multi
set also metadata exact match per language.  The HTML view is trafilatura extraction
(``cleaner.html.extract``) followed by the same text stage.  Speed is the text stage
alone, in this process, over the dev texts (pages/s and MB/s of UTF-8 input).

No threshold here is tuned on these pages beyond what the module docstrings say; the
numbers are dev-set figures for a rule system (the learned model is benchmarked by
``bench/boilerplate.py`` with cross-validation).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boilerplate import load_scorer  # bench/boilerplate.py: the benchmark score.py

from cleaner.boilerplate import strip_boilerplate
from cleaner.config import Config


def load(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_text(
    pages: list[dict[str, Any]], cfg: Config, model: Any
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    out, meta = {}, {}
    for p in pages:
        r = strip_boilerplate(p["text"], p.get("lang"), cfg, model=model)
        out[p["id"]], meta[p["id"]] = r.text, r.metadata
    return out, meta


def run_html(
    pages: list[dict[str, Any]], cfg: Config, model: Any, stage: bool, cache: Path | None
) -> dict[str, str]:
    """trafilatura via ``cleaner.html.extract`` (cached as JSONL when ``cache`` is given:
    extraction dominates the run time), then the text stage in the mode the extractor says."""
    from cleaner.html import extract

    done: dict[str, tuple[str, dict[str, str]]] = {}
    if cache and cache.exists():
        for line in cache.open(encoding="utf-8"):
            r = json.loads(line)
            done[r["id"]] = (r["text"], r["meta"])
    out = {}
    for p in pages:
        if p["id"] not in done:
            done[p["id"]] = extract(p["html"], cfg)
        text, meta = done[p["id"]]
        source = "html" if meta.get("extractor") == "trafilatura" else "text"
        res = strip_boilerplate(text, p.get("lang"), cfg, model=model if source == "text" else False,
                                source=source)
        out[p["id"]] = res.text if stage else text
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("w", encoding="utf-8") as f:
            for k, (text, meta) in done.items():
                f.write(json.dumps({"id": k, "text": text, "meta": meta}, ensure_ascii=False) + "\n")
    return out


def table(title: str, res: dict[str, Any]) -> str:
    rows = [f"**{title}**", "", "| group | n | P | R | F1 |", "|---|---|---|---|---|"]
    for k, v in res.items():
        if k in ("all", "dataset_mean"):
            continue
        rows.append(f"| {k} | {v['n']} | {v['p']:.3f} | {v['r']:.3f} | {v['f1']:.3f} |")
    a = res["all"]
    rows.append(f"| **all (page mean)** | {a['n']} | {a['p']:.3f} | {a['r']:.3f} | **{a['f1']:.3f}** |")
    return "\n".join(rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1] / ".." / "shared"))
    ap.add_argument("--input", choices=["text", "html", "both"], default="both")
    ap.add_argument("--mode", choices=["precision", "balanced", "recall"], default="balanced")
    ap.add_argument("--no-model", action="store_true", help="rules + position heuristic only")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--html-cache", type=Path, default=None,
                    help="JSONL of cleaner.html.extract outputs, reused when present (bench/_work/...)")
    args = ap.parse_args()
    shared = Path(args.shared)
    sc = load_scorer(shared)
    cfg = Config(mode=args.mode)
    model: Any = False
    if not args.no_model:
        from cleaner.boilerplate.model import default_model

        model = default_model()
    model_name = "none (rules + position heuristic)" if not model else "packaged line model"
    print(f"model: {model_name}; mode: {args.mode}\n")
    dev = load(shared / "bench/boilerplate/dev.jsonl.gz")[: args.limit]
    multi = load(shared / "bench/boilerplate/multi_dev.jsonl.gz")
    if args.input in ("text", "both"):
        t0, c0 = time.perf_counter(), time.process_time()
        out, _ = run_text(dev, cfg, model)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        res, _ = sc.evaluate(dev, out)
        print(table("dev, text input", res))
        mb = sum(len(p["text"].encode("utf-8")) for p in dev) / 1e6
        print(f"speed (text stage, 1 process): {len(dev) / cpu:.0f} pages/s, {mb / cpu:.2f} MB/s of CPU time "
              f"({len(dev) / dt:.0f} pages/s wall clock on this shared machine)\n")
        out, meta = run_text(multi, cfg, model)
        res, _ = sc.evaluate(multi, out, "lang")
        print(table("multi_dev, text input (by lang)", res))
        mres, _ = sc.evaluate_meta(multi, meta, "lang")
        for grp, v in mres.items():
            cells = ", ".join(f"{f} {x['acc']:.3f} (n={x['n']})" for f, x in v.items())
            print(f"metadata {grp}: {cells}")
        print()
    if args.input in ("html", "both"):
        for stage in (False, True):
            name = "trafilatura + text stage" if stage else "trafilatura (cleaner.html.extract) alone"
            out = run_html(dev, cfg, model, stage, args.html_cache)
            res, _ = sc.evaluate(dev, out)
            print(table(f"dev, HTML input: {name}", res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
