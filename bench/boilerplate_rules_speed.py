#!/usr/bin/env python3
"""Instruction counts of the boilerplate stage's rules path: ``rules.scan``, ``metadata.parse_line`` /
``is_label_only`` and the ``related`` checks, apart from the rest of the stage.

One pass of ``strip_boilerplate`` over the dev texts (+ seeds, after fix_encoding and language, as the
pipeline hands them over) records the arguments of every outermost call into those functions; the
script then replays the calls of one part ``--passes`` times.  Under ``perf stat -e instructions`` the
difference between two pass counts, divided by their difference and by the 4.92 MB of text, is that
part's instructions per MB, which other jobs on a shared machine do not move.  The ``cleaner`` imported
is the first on ``PYTHONPATH`` (this script reads the pages itself, so it can measure another tree):

    for n in 1 5; do PYTHONPATH=TREE perf stat -e instructions -x, python bench/boilerplate_rules_speed.py \\
        --part scan --passes $n --shared ../shared; done
    # parts: scan, meta (parse_line and is_label_only), related (tokens, similarity, teaser_shaped, ...), stage
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PARTS = {
    "scan": ("scan",),
    "meta": ("parse_line", "is_label_only"),
    "related": ("tokens", "similarity", "block_similarity", "unrelated_tail", "teaser_shaped"),
}


def texts(shared: Path) -> list[str]:
    with gzip.open(shared / "bench" / "boilerplate" / "dev.jsonl.gz", "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["text"] for line in f]
    return pages + [p.read_text(encoding="utf-8") for p in sorted((shared / "seeds").glob("*.txt"))]


def record(inputs: list[tuple[str, str | None]]) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """The arguments of every outermost call into the rules path during one pass of the stage."""
    import cleaner.boilerplate as B
    from cleaner.boilerplate import metadata, related

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    depth = [0]
    saved: list[tuple[Any, str, Any]] = []

    def wrap(mod: Any, name: str) -> None:
        fn = getattr(mod, name)

        def spy(*a: Any, **k: Any) -> Any:
            if depth[0] == 0:
                calls.append((name, a, k))
            depth[0] += 1
            try:
                return fn(*a, **k)
            finally:
                depth[0] -= 1

        saved.append((mod, name, fn))
        setattr(mod, name, spy)

    wrap(B, "scan")  # the stage imports scan by name
    for name in PARTS["meta"]:
        wrap(metadata, name)
    for name in PARTS["related"]:
        wrap(related, name)
    try:
        for text, lang in inputs:
            B.strip_boilerplate(text, lang)
    finally:
        for mod, name, fn in saved:
            setattr(mod, name, fn)
    return calls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=[*PARTS, "stage"], required=True)
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    a = ap.parse_args()
    import cleaner.boilerplate as B
    from cleaner.boilerplate import metadata, related, rules
    from cleaner.config import Config
    from cleaner.fix_encoding import fix_text
    from cleaner.language import detect_blocks

    cfg = Config()
    inputs = []
    for t in texts(Path(a.shared)):
        fixed, _ = fix_text(t, cfg)
        inputs.append((fixed, detect_blocks(fixed, cfg)[0].language))
    B.strip_boilerplate(*inputs[0])  # the model loaded
    rules.build_line_filter()  # the lexicon filter's tables built (a process does after 200 pages)
    if a.part == "stage":
        for _ in range(a.passes):
            for text, lang in inputs:
                B.strip_boilerplate(text, lang)
        return 0
    calls = [c for c in record(inputs) if c[0] in PARTS[a.part]]
    fns: dict[str, Callable[..., Any]] = {"scan": rules.scan}
    fns.update((n, getattr(metadata, n)) for n in PARTS["meta"])
    fns.update((n, getattr(related, n)) for n in PARTS["related"])
    gc.collect()
    gc.freeze()  # the recorded arguments are not traversed by every collection
    for _ in range(a.passes):
        for name, args, kwargs in calls:
            fns[name](*args, **kwargs)
    print(f"{a.part}: {len(calls)} calls per pass", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
