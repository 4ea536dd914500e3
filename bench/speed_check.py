#!/usr/bin/env python3
"""Before/after checks for speed work on the plain-text and HTML paths.

``dump PREFIX``: write every record of the dev pages (+ seeds) cleaned as text and as HTML, and
every ``detect_blocks`` answer, to ``PREFIX.{text,html,lang}.jsonl``; run it on two trees and
``cmp`` the files (a speed step must keep them byte-identical).

``loop STAGE PASSES``: run one stage (``lang``, ``fix``, ``light`` = the text pipeline without
boilerplate and garble, ``full``) over the dev texts once to warm up, then PASSES more times.
Under ``perf stat -e instructions`` the difference between PASSES=N and PASSES=0, divided by N
and by the 4.92 MB of text, is the stage's instructions per MB: a count that, unlike wall time,
other jobs on a shared machine do not move.

    PYTHONPATH=$PWD python bench/speed_check.py dump /tmp/after --shared ../shared
    perf stat -e instructions -x, python bench/speed_check.py loop lang 2 --shared ../shared
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import speed  # bench/speed.py: the same dev pages and seeds

REPO = Path(__file__).resolve().parents[1]


def dump(prefix: str, pages: list[dict], seeds: list[str]) -> None:
    from cleaner.config import Config
    from cleaner.language import detect_blocks
    from cleaner.pipeline import clean

    cfg = Config()
    texts = [p["text"] for p in pages] + seeds
    with open(prefix + ".lang.jsonl", "w", encoding="utf-8") as f:
        for t in texts:
            doc, blocks, shares = detect_blocks(t, cfg)
            row = [[doc.language, doc.script, doc.score],
                   [[b.start, b.end, b.language, b.script, b.score] for b in blocks], shares]
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(prefix + ".text.jsonl", "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(clean(t, html=False, config=cfg).to_record(), ensure_ascii=False) + "\n")
    with open(prefix + ".html.jsonl", "w", encoding="utf-8") as f:
        for p in pages:
            f.write(json.dumps(clean(p["html"], html=True, config=cfg).to_record(), ensure_ascii=False) + "\n")


def loop(stage: str, passes: int, pages: list[dict], seeds: list[str]) -> None:
    from cleaner.config import Config
    from cleaner.fix_encoding import fix_text
    from cleaner.language import detect_blocks
    from cleaner.pipeline import clean

    cfg = Config()
    light = Config(boilerplate=False, garble=False)
    fns = {"lang": lambda t: detect_blocks(t, cfg), "fix": lambda t: fix_text(t, cfg),
           "light": lambda t: clean(t, html=False, config=light).to_record(),
           "full": lambda t: clean(t, html=False, config=cfg).to_record()}
    fn = fns[stage]
    texts = [p["text"] for p in pages] + seeds
    for _ in range(passes + 1):
        for t in texts:
            fn(t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["dump", "loop"])
    ap.add_argument("args", nargs="+", help="dump: PREFIX; loop: STAGE PASSES")
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    a = ap.parse_args()
    shared = Path(a.shared)
    pages, seeds = speed.load_pages(shared, None), speed.seeds(shared)
    if a.command == "dump":
        dump(a.args[0], pages, seeds)
    else:
        loop(a.args[0], int(a.args[1]), pages, seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
