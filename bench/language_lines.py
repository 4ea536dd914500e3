#!/usr/bin/env python3
"""Foreign lines inside English pages: does ``detect_blocks`` find them?

Per-line detection in the language stage asks a detector only about lines that show a cue of another
language (``cleaner.language._may_differ``).  This measures what that gate lets through: every second
s1/s3 sentence of the Latin-script languages of ``SHARED/bench/langid/dev.jsonl.gz`` (not English,
Vietnamese or CJK) is inserted as one line in the middle of one of 40 English pages of
``SHARED/bench/boilerplate/dev.jsonl.gz`` (taken in turn), and the block of that line is read back.
Evaluation only: nothing is tuned on it.  Prints a markdown table: per bucket and letter class (ASCII
or not), how many lines, the share found as another language than English, and the share found as
the sentence's own language.

    PYTHONPATH=$PWD python bench/language_lines.py --shared ../shared
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    a = ap.parse_args()
    from cleaner.config import Config
    from cleaner.language import detect_blocks
    from cleaner.language.scripts import NON_LATIN

    shared = Path(a.shared)
    with gzip.open(shared / "bench" / "boilerplate" / "dev.jsonl.gz", "rt", encoding="utf-8") as f:
        pages = [p["text"] for p in map(json.loads, f) if p["lang"] == "en" and len(p["text"]) > 3000][:40]
    with gzip.open(shared / "bench" / "langid" / "dev.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [r for r in map(json.loads, f) if r["bucket"] in ("s1", "s3")
                and r["lang"] not in NON_LATIN and r["lang"] not in ("en", "zh", "ja", "ko", "vi")][::2]
    cfg = Config()
    total: collections.Counter[tuple[str, str]] = collections.Counter()
    found: collections.Counter[tuple[str, str]] = collections.Counter()
    right: collections.Counter[tuple[str, str]] = collections.Counter()
    for i, r in enumerate(rows):
        page = pages[i % len(pages)]
        line = " ".join(r["text"].split())
        cut = page.find("\n", len(page) // 2) + 1
        _, blocks, _ = detect_blocks(page[:cut] + line + "\n" + page[cut:], cfg)
        block = next(b for b in blocks if b.start <= cut < b.end)  # (a block is a run of lines)
        key = (r["bucket"], "ASCII" if line.isascii() else "non-ASCII")
        total[key] += 1
        found[key] += block.language != "en"
        right[key] += block.language == r["lang"]
    langs = sorted({r["lang"] for r in rows})
    print(f"{len(rows)} sentences of {len(langs)} languages ({', '.join(langs)}) in {len(pages)} English pages\n")
    print("| bucket | letters | lines | found as not English | found as its language |")
    print("|---|---|---|---|---|")
    for key in sorted(total):
        n = total[key]
        print(f"| {key[0]} | {key[1]} | {n} | {found[key] / n:.3f} | {right[key] / n:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
