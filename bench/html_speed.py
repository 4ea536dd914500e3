#!/usr/bin/env python3
"""Where the HTML pipeline's time goes, against trafilatura alone (bench/results/html_speed_s7.md).

``split``: one warm-up pass of both over the dev pages' HTML, then one pass of ``clean(html, html=True)``
with its parts wrapped in ``process_time`` counters (our parse, the block walk, ``select``, trafilatura as
we call it and its metadata steps), then one pass of ``trafilatura.bare_extraction`` alone (our settings)
with the same counters on trafilatura's functions.  A markdown table of CPU seconds.

``alternate N``: a warm-up pass of both, then N passes in which every page goes through trafilatura alone
and the pipeline in turn (which one first alternates by page and pass), CPU seconds summed per system: a
load that changes during the run hits both alike, unlike whole passes one after the other.

``loop WHAT N``: a warm-up pass, then N passes of WHAT (``traf``: trafilatura alone; ``clean``: the HTML
pipeline).  Under ``perf stat -e instructions -x,`` the count for N=1 minus N=0 is one pass, a figure
that, unlike time, other jobs on a shared machine do not move.

    PYTHONPATH=$PWD python bench/html_speed.py split --shared ../shared
    PYTHONPATH=$PWD python bench/html_speed.py alternate 2 --shared ../shared
    perf stat -e instructions -x, python bench/html_speed.py loop clean 1 --shared ../shared
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _systems() -> dict[str, Any]:
    import trafilatura

    from cleaner.config import Config
    from cleaner.html import TRAFILATURA_SETTINGS
    from cleaner.pipeline import clean

    cfg = Config()
    return {"traf": lambda h: trafilatura.bare_extraction(h, include_comments=cfg.html_comments,
                                                          **TRAFILATURA_SETTINGS),
            "clean": lambda h: clean(h, html=True, config=cfg)}


def split(htmls: list[str]) -> list[str]:
    import trafilatura.core as tc
    import trafilatura.metadata as tm

    import cleaner.html as ch
    import cleaner.htmlblocks as hb

    systems = _systems()
    for h in htmls:
        for fn in systems.values():
            fn(h)
    acc: collections.Counter[str] = collections.Counter()

    def wrap(mod: Any, name: str, key: str) -> None:
        f = getattr(mod, name, None)
        if f is None:
            return

        def timed(*a: Any, **k: Any) -> Any:
            t = time.process_time()
            try:
                return f(*a, **k)
            finally:
                acc[key] += time.process_time() - t

        setattr(mod, name, timed)

    for mod, name, key in ((ch, "_parse", "our parse"), (hb, "page_blocks", "block walk (page_blocks)"),
                           (hb, "select", "block features + model (select)"),
                           (ch, "_trafilatura", "trafilatura as we call it"), (ch, "_author", "- our author search"),
                           (tc, "extract_metadata", "- extract_metadata"), (tc, "trafilatura_sequence", "- sequence"),
                           (tc, "copy", "- copies in trafilatura.core"), (tm, "extract_author", "- author"),
                           (tm, "find_date", "- date (find_date)"), (tm, "extract_catstags", "- categories + tags"),
                           (tm, "extract_license", "- licence"), (tc, "xmltotxt", "- xmltotxt")):
        wrap(mod, name, key)
    totals = {}
    parts = {}
    for name, fn in systems.items():
        acc.clear()
        t0 = time.process_time()
        for h in htmls:
            fn(h)
        totals[name] = time.process_time() - t0
        parts[name] = dict(acc)
    keys = sorted({*parts["clean"], *parts["traf"]})
    return [f"{len(htmls)} dev pages, CPU seconds in one process, one pass each after a warm-up pass.", "",
            "| part | HTML pipeline | trafilatura alone |", "|---|---|---|",
            f"| whole pass | {totals['clean']:.2f} | {totals['traf']:.2f} |",
            *(f"| {k} | {parts['clean'].get(k, 0):.2f} | {parts['traf'].get(k, 0):.2f} |" for k in keys),
            "", f"ratio (trafilatura / pipeline): {totals['traf'] / totals['clean']:.3f}"]


def alternate(htmls: list[str], passes: int) -> list[str]:
    systems = _systems()
    for h in htmls:
        for fn in systems.values():
            fn(h)
    lines = [f"{len(htmls)} dev pages, page by page alternating, CPU seconds.", "",
             "| pass | trafilatura alone | HTML pipeline | ratio |", "|---|---|---|---|"]
    for rep in range(passes):
        acc = dict.fromkeys(systems, 0.0)
        for i, h in enumerate(htmls):
            for name in (("traf", "clean") if (i + rep) % 2 == 0 else ("clean", "traf")):
                t = time.process_time()
                systems[name](h)
                acc[name] += time.process_time() - t
        lines.append(f"| {rep + 1} | {acc['traf']:.2f} | {acc['clean']:.2f} | {acc['traf'] / acc['clean']:.3f} |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["split", "alternate", "loop"])
    ap.add_argument("args", nargs="*", help="alternate: N; loop: WHAT (traf|clean) N")
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    a = ap.parse_args()
    dev = Path(a.shared) / "bench" / "boilerplate" / "dev.jsonl.gz"
    with gzip.open(dev, "rt", encoding="utf-8") as f:
        htmls = [json.loads(line)["html"] for line in f]
    if a.command == "split":
        print("\n".join(split(htmls)))
        return 0
    if a.command == "alternate":
        print("\n".join(alternate(htmls, int(a.args[0]))))
        return 0
    fn = _systems()[a.args[0]]
    for _ in range(int(a.args[1]) + 1):
        for h in htmls:
            fn(h)
    return 0


if __name__ == "__main__":
    sys.exit(main())
