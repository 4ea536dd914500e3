#!/usr/bin/env python3
"""Encoding benchmark: byte decoding (score.py) and text repair (clean-text change rate, speed).

    python bench/encoding.py --shared ../shared [--quick]

1. Runs ``<shared>/bench/encoding/score.py`` on ``dev.jsonl.gz`` against ``bench/encoding_adapter.py``
   for cleaner and the baselines it is compared to (chardet, BOM/UTF-8/UTF-16 sniffing + chardet,
   charset-normalizer; ``--quick`` runs cleaner only).
2. Runs ``cleaner.fix_encoding.fix_text`` (default Config) over clean human text --
   ``clean_en_zh.txt.gz`` lines and the langid dev texts -- and reports the share changed (NFC-only
   changes counted apart), the fixes named, and MB/s against ``ftfy.fix_text`` alone.
Prints markdown tables.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def decoding_table(shared: Path, quick: bool) -> list[str]:
    score = shared / "bench" / "encoding" / "score.py"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    names = ["cleaner"] if quick else ["cleaner", "sniff-chardet", "chardet", "charset-normalizer"]
    rows = ["| decoder | exact | 50 B | 500 B | 5 KB | docs/s | top failures (true -> returned) |",
            "|---|---|---|---|---|---|---|"]
    for name in names:
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            cmd = [sys.executable, str(score), "--json", tmp.name, "--",
                   sys.executable, str(ROOT / "bench" / "encoding_adapter.py"), name]
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
            r = json.load(open(tmp.name))
        s = r["by_size"]
        fails = ", ".join(f"{e}->{g}:{c}" for e, g, c in r["top_failures"][:4])
        rows.append(f"| {name} | {r['recovered']:.4f} | {s['50']:.3f} | {s['500']:.3f} | {s['5000']:.3f} "
                    f"| {r['docs_per_s']:.0f} | {fails} |")
    return rows


def repair_table(shared: Path) -> list[str]:
    import ftfy

    from cleaner.fix_encoding import fix_text

    sets: dict[str, list[str]] = {}
    p = shared / "bench" / "mtgarble" / "clean_en_zh.txt.gz"
    if p.exists():
        with gzip.open(p, "rt", encoding="utf-8") as f:
            sets["clean_en_zh lines"] = [ln.rstrip("\n") for ln in f]
    p = shared / "bench" / "langid" / "dev.jsonl.gz"
    if p.exists():
        with gzip.open(p, "rt", encoding="utf-8") as f:
            sets["langid dev texts"] = [json.loads(ln)["text"] for ln in f if ln.strip()]
    rows = ["| clean text | n | changed (NFC aside) | share | NFC only | fixes named |", "|---|---|---|---|---|---|"]
    for name, texts in sets.items():
        changed = nfc = 0
        named: collections.Counter[str] = collections.Counter()
        for t in texts:
            out, fixes = fix_text(t)
            if out == t:
                continue
            if fixes == ["normalize:NFC"]:
                nfc += 1
            else:
                changed += 1
                named.update(fixes)
        top = ", ".join(f"{k} {v}" for k, v in named.most_common(5))
        rows.append(f"| {name} | {len(texts)} | {changed} | {changed / len(texts):.4%} | {nfc} | {top} |")
    rows += ["", "| repair speed on clean_en_zh (docs of 50 lines) | MB/s |", "|---|---|"]
    lines = sets.get("clean_en_zh lines", [])
    docs = ["\n".join(lines[i : i + 50]) for i in range(0, len(lines), 50)]
    if docs:
        mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
        t0 = time.perf_counter()
        for d in docs:
            fix_text(d)
        rows.append(f"| cleaner fix_text (default Config) | {mb / (time.perf_counter() - t0):.1f} |")
        sub = docs[: max(1, len(docs) // 5)]
        mb_sub = sum(len(d.encode("utf-8")) for d in sub) / 1e6
        t0 = time.perf_counter()
        for d in sub:
            ftfy.fix_text(d)
        rows.append(f"| ftfy.fix_text (defaults), first fifth | {mb_sub / (time.perf_counter() - t0):.1f} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"), type=Path)
    ap.add_argument("--quick", action="store_true", help="cleaner only, no baselines")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    print("## Decoding: exact recovery on bench/encoding/dev.jsonl.gz (1,344 byte strings)\n")
    print("\n".join(decoding_table(a.shared, a.quick)))
    print("\n## Repair: cleaner.fix_encoding.fix_text on clean human text\n")
    print("\n".join(repair_table(a.shared)))


if __name__ == "__main__":
    main()
