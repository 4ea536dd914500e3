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
import base64
import collections
import gzip
import hashlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def _load_dev(shared: Path) -> list[tuple[str, bytes, str]]:
    with gzip.open(shared / "bench" / "encoding" / "dev.jsonl.gz", "rt", encoding="utf-8") as f:
        recs = [json.loads(line) for line in f if line.strip()]
    out = []
    for r in recs:
        data = base64.b64decode(r["b64"])
        out.append((r["id"], data, data.decode(r["enc"]).lstrip("\ufeff")))
    return out


def _hits(dev: list[tuple[str, bytes, str]], hint: Callable[[int], str | None] | None = None) -> list[bool]:
    from cleaner.decode import decode

    return [decode(data, hint=hint(i) if hint else None).text.lstrip("\ufeff") == gold
            for i, (_, data, gold) in enumerate(dev)]


def in_process_table(shared: Path) -> list[str]:
    """CPU-time throughput of decode() alone, and accuracy with right and wrong charset hints."""
    import random

    dec = importlib.import_module("cleaner.decode")

    dev = _load_dev(shared)
    with gzip.open(shared / "bench" / "encoding" / "dev.jsonl.gz", "rt", encoding="utf-8") as f:
        encs = [json.loads(line)["enc"] for line in f if line.strip()]
    dec.warm_up()
    t0 = time.process_time()
    plain = _hits(dev)
    cpu = time.process_time() - t0
    right = _hits(dev, lambda i: encs[i].replace("_", "-"))
    rnd = random.Random(0)
    names = sorted(set(encs))
    wrong_names = [rnd.choice([e for e in names if e != enc]) for enc in encs]
    wrong = _hits(dev, lambda i: wrong_names[i])
    n = len(dev)
    rows = ["| decode() in process | exact | docs per CPU-second |", "|---|---|---|",
            f"| no hint | {sum(plain) / n:.4f} | {n / cpu:.0f} |",
            f"| hint = true encoding | {sum(right) / n:.4f} | |",
            f"| hint = a random wrong encoding of the set (seed 0) | {sum(wrong) / n:.4f} | |",
            "", "| HINT_MARGIN_PER_CHAR | true hint kept (exact) | wrong hint overridden (exact) |",
            "|---|---|---|"]
    shipped = dec.HINT_MARGIN_PER_CHAR
    try:
        for value in (0.5, 1.0, 2.0):
            dec.HINT_MARGIN_PER_CHAR = value
            r = _hits(dev, lambda i: encs[i].replace("_", "-"))
            w = _hits(dev, lambda i: wrong_names[i])
            mark = " (shipped)" if value == shipped else ""
            rows.append(f"| {value}{mark} | {sum(r) / n:.4f} | {sum(w) / n:.4f} |")
    finally:
        dec.HINT_MARGIN_PER_CHAR = shipped
    return rows


def cv_table(shared: Path, folds: int = 5) -> list[str]:
    """Sensitivity of the a-priori constants and a k-fold CV of choosing them on dev."""
    import itertools

    dec = importlib.import_module("cleaner.decode")

    dev = _load_dev(shared)
    grid = list(itertools.product((0.5, 1.0, 2.0), (2.0, 4.0, 8.0), (2.0, 4.0, 8.0)))
    default = (dec.BIGRAM_WEIGHT, dec.CASE_PENALTY, dec.SCRIPT_PENALTY)
    hits: dict[tuple[float, float, float], list[bool]] = {}
    try:
        for bw, cp, sp in grid:
            dec.BIGRAM_WEIGHT, dec.CASE_PENALTY, dec.SCRIPT_PENALTY = bw, cp, sp
            dec._MODEL = None
            hits[(bw, cp, sp)] = _hits(dev)
    finally:
        dec.BIGRAM_WEIGHT, dec.CASE_PENALTY, dec.SCRIPT_PENALTY = default
        dec._MODEL = None
    n = len(dev)
    fold = [hash_fold(i, folds) for i, _, _ in dev]
    cv_ok = 0
    for k in range(folds):
        train = [j for j in range(n) if fold[j] != k]
        best = max(grid, key=lambda g: (sum(hits[g][j] for j in train), g == default))
        cv_ok += sum(hits[best][j] for j in range(n) if fold[j] == k)
    accs = sorted(sum(h) / n for h in hits.values())
    return ["| constants (bigram weight, case penalty, script penalty) | exact on dev |", "|---|---|",
            f"| a-priori values {default} (shipped; not fitted) | {sum(hits[default]) / n:.4f} |",
            f"| worst / median / best of the 27-point grid | {accs[0]:.4f} / {accs[len(accs) // 2]:.4f} / "
            f"{accs[-1]:.4f} |",
            f"| {folds}-fold CV: grid point chosen on 4 folds, scored on the 5th | {cv_ok / n:.4f} |"]


#: Legacy codecs each language of the langid set is commonly written in (for the synthetic check).
SYNTH_CODECS: dict[str, tuple[str, ...]] = {
    "fr": ("cp1252", "latin_1"), "de": ("cp1252",), "es": ("cp1252",), "it": ("cp1252",), "pt": ("cp1252",),
    "nl": ("cp1252",), "sv": ("cp1252",), "da": ("cp1252",), "nb": ("cp1252",), "fi": ("cp1252",),
    "ca": ("cp1252",), "cs": ("iso8859_2", "cp1250"), "pl": ("iso8859_2", "cp1250"),
    "hu": ("iso8859_2", "cp1250"),
    "sk": ("cp1250",), "hr": ("cp1250",), "ro": ("cp1250",), "tr": ("cp1254",), "ru": ("cp1251", "koi8_r"),
    "uk": ("cp1251",), "bg": ("cp1251",), "sr": ("cp1251",), "el": ("iso8859_7",), "he": ("cp1255",),
    "ar": ("cp1256",), "fa": ("cp1256",), "th": ("cp874",), "ja": ("shift_jis", "euc_jp"), "ko": ("euc_kr",),
    "zh": ("gbk", "big5"),
}


def synthetic_table(shared: Path) -> list[str]:
    """A second, larger check: langid dev sentences (s1/s3/para) encoded in their legacy codecs and cut
    to 50 and 500 bytes.  Texts that already contain mojibake (fix_text would change them) are skipped,
    since their "gold" is damaged; so are cuts without any non-ASCII byte."""
    from cleaner.decode import decode
    from cleaner.fix_encoding import fix_text

    path = shared / "bench" / "langid" / "dev.jsonl.gz"
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        recs = [json.loads(line) for line in f if line.strip()]
    tot: collections.Counter[int] = collections.Counter()
    ok: collections.Counter[int] = collections.Counter()
    fails: collections.Counter[str] = collections.Counter()
    for r in recs:
        if r["bucket"] not in ("s1", "s3", "para") or fix_text(r["text"])[1] not in ([], ["normalize:NFC"]):
            continue
        for codec in SYNTH_CODECS.get(r["lang"], ()):
            try:
                data = r["text"].encode(codec)
            except UnicodeEncodeError:
                continue
            for size in (50, 500):
                if size == 500 and len(data) < size:
                    continue
                gold = data[:size].decode(codec, errors="ignore")
                cut = gold.encode(codec)
                if cut.isascii():
                    continue
                tot[size] += 1
                if decode(cut).text == gold:
                    ok[size] += 1
                else:
                    fails[f"{codec}@{size}"] += 1
    n, k = sum(tot.values()), sum(ok.values())
    top = ", ".join(f"{c}:{v}" for c, v in fails.most_common(6))
    return ["| synthetic: langid sentences re-encoded | n | exact | 50 B | 500 B | most failures |",
            "|---|---|---|---|---|---|",
            f"| cleaner decode() | {n} | {k / n:.4f} | {ok[50] / tot[50]:.4f} | {ok[500] / tot[500]:.4f} "
            f"| {top} |"]


def hash_fold(item_id: str, folds: int) -> int:
    return int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % folds


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
    rows = ["| clean text | n | changed (NFC aside) | share | NFC only | fixes named |",
            "|---|---|---|---|---|---|"]
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
        rows.append(f"| cleaner fix_text (default Config) | {_mbps(fix_text, docs):.1f} |")
        sub = docs[: max(1, len(docs) // 5)]
        rows.append(f"| ftfy.fix_text (defaults), first fifth | {_mbps(ftfy.fix_text, sub):.1f} |")
    texts = sets.get("langid dev texts", [])
    docs = ["\n".join(texts[i : i + 20]) for i in range(0, len(texts), 20)]
    if docs:
        rows.append(f"| cleaner fix_text on langid dev texts (38 languages, docs of 20 texts) "
                    f"| {_mbps(fix_text, docs):.1f} |")
        rows.append(f"| ftfy.fix_text (defaults) on the same | {_mbps(ftfy.fix_text, docs):.1f} |")
    return rows


def _mbps(fn: Callable[[str], object], docs: list[str]) -> float:
    """MB/s (UTF-8 bytes) of one pass of ``fn`` over ``docs``."""
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    t0 = time.perf_counter()
    for d in docs:
        fn(d)
    return mb / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"), type=Path)
    ap.add_argument("--quick", action="store_true", help="cleaner only, no baselines")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    print("## Decoding: exact recovery on bench/encoding/dev.jsonl.gz (1,344 byte strings)\n")
    print("\n".join(decoding_table(a.shared, a.quick)))
    print("\n" + "\n".join(in_process_table(a.shared)))
    if not a.quick:
        print("\n### Sensitivity and cross-validation of the scoring constants\n")
        print("\n".join(cv_table(a.shared)))
        print("\n### Larger synthetic check (not the benchmark)\n")
        print("\n".join(synthetic_table(a.shared)))
    print("\n## Repair: cleaner.fix_encoding.fix_text on clean human text\n")
    print("\n".join(repair_table(a.shared)))


if __name__ == "__main__":
    main()
