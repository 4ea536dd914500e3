#!/usr/bin/env python3
"""Build ``cleaner/data/enc_charmodel.json.gz``: per-language character statistics for ``cleaner.decode``.

Why these sources: the decoder needs to know which characters (and which character pairs) are
plausible in each language, so that the right legacy codec can be told from the wrong ones.
The obvious in-repo data (``../shared/bench/langid/dev.jsonl.gz``) cannot be used: most of the
encoding benchmark's texts are the same lingua sentences, so a model built from it would score
itself.  Instead we use

* gettext message catalogues (``/usr/share/locale/<lang>/LC_MESSAGES/*.mo``, the translated user
  interface strings of free software that every Linux distribution ships) for 40 languages;
* ``<shared>/bench/mtgarble/clean_en_zh.txt.gz`` for English and Simplified Chinese prose.

Only counts of characters and character pairs are stored, never text.  Usage::

    python scripts/build_encoding_model.py --shared ../shared [--locale-dir /usr/share/locale]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
import struct
from pathlib import Path

# model language -> gettext locale directories (first found wins, all are read)
LOCALES: dict[str, tuple[str, ...]] = {
    "en": ("en_GB",), "fr": ("fr",), "de": ("de",), "es": ("es",), "it": ("it",), "pt": ("pt", "pt_BR"),
    "nl": ("nl",), "sv": ("sv",), "da": ("da",), "nb": ("nb",), "fi": ("fi",), "ca": ("ca",),
    "id": ("id",), "ms": ("ms",), "cs": ("cs",), "pl": ("pl",), "hu": ("hu",), "sk": ("sk",),
    "hr": ("hr",), "ro": ("ro",), "sl": ("sl",), "tr": ("tr",), "ru": ("ru",), "uk": ("uk",),
    "bg": ("bg",), "sr": ("sr",), "be": ("be",), "mk": ("mk",), "el": ("el",), "he": ("he",),
    "ar": ("ar",), "fa": ("fa",), "ur": ("ur",), "th": ("th",), "vi": ("vi",), "hi": ("hi",),
    "ja": ("ja",), "ko": ("ko",), "zh-Hans": ("zh_CN",), "zh-Hant": ("zh_TW", "zh_HK"),
}
MAX_CHARS = 1_500_000  # per language: enough for stable unigram/bigram counts, keeps the build fast
MIN_UNI = 2
MIN_BI = 3
MAX_BI = 12_000  # most frequent pairs with a non-ASCII character kept per language (CJK needs the most)
MAX_ASCII_BI = 1_500  # most frequent pairs of ASCII letters/space kept per language
_ASCII_WORD = re.compile(r"[A-Za-z ]{2}")

_FORMAT = re.compile(r"%(\([^)]*\))?[-+ #0]*\d*(\.\d+)?[a-zA-Z]|\{[^{}]*\}|<[^<>]+>|&[a-zA-Z]+;|\$\{?\w+\}?")
_ACCEL = re.compile(r"(?<=\w)_(?=\w)|^_|(?<=\s)_|&(?=\w)")


def read_mo(path: Path) -> list[str]:
    """Translated strings of one .mo file (UTF-8 catalogues only)."""
    data = path.read_bytes()
    if len(data) < 28:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if end is None:
        return []
    _, n, _orig, trans = struct.unpack(end + "4I", data[4:20])
    out = []
    for i in range(1, n):  # entry 0 is the header
        length, off = struct.unpack(end + "2I", data[trans + 8 * i : trans + 8 * i + 8])
        try:
            s = data[off : off + length].decode("utf-8")
        except UnicodeDecodeError:
            return []
        for part in s.split("\x00"):
            part = _ACCEL.sub("", _FORMAT.sub(" ", part)).replace("\\n", " ")
            part = " ".join(part.split())
            if part:
                out.append(part)
    return out


def corpus(lang: str, locale_dir: Path, shared: Path, sources: list[str]) -> str:
    """Training text for ``lang``; appends what was read to ``sources`` (recorded in the model)."""
    texts: list[str] = []
    total = 0
    if lang in ("en", "zh-Hans"):
        p = shared / "bench" / "mtgarble" / "clean_en_zh.txt.gz"
        if p.exists():
            sources.append("shared:bench/mtgarble/clean_en_zh.txt.gz")
            with gzip.open(p, "rt", encoding="utf-8") as f:
                for line in f:
                    is_zh = sum("\u4e00" <= c <= "\u9fff" for c in line) > len(line) // 4
                    if is_zh == (lang == "zh-Hans"):
                        texts.append(line.strip())
                        total += len(line)
                        if total > MAX_CHARS // 2:
                            break
    for loc in LOCALES[lang]:
        d = locale_dir / loc / "LC_MESSAGES"
        if not d.is_dir():
            continue
        for mo in sorted(d.glob("*.mo")):
            sources.append(f"locale:{loc}/{mo.name}")
            for s in read_mo(mo):
                texts.append(s)
                total += len(s) + 1
            if total > MAX_CHARS:
                break
    return "\n".join(texts)[:MAX_CHARS]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default="../shared", type=Path)
    ap.add_argument("--locale-dir", default="/usr/share/locale", type=Path)
    default_out = Path(__file__).resolve().parents[1] / "cleaner" / "data" / "enc_charmodel.json.gz"
    ap.add_argument("--out", default=default_out, type=Path)
    a = ap.parse_args()
    model: dict[str, dict[str, object]] = {}
    for lang in LOCALES:
        sources: list[str] = []
        text = corpus(lang, a.locale_dir, a.shared, sources)
        if len(text) < 20_000:
            print(f"{lang}: only {len(text)} chars, skipped")
            continue
        uni = collections.Counter(text)
        pairs = collections.Counter(text[i : i + 2] for i in range(len(text) - 1))
        bi = {p: n for p, n in pairs.items() if not p.isascii()}
        # pairs of ASCII letters/space tell Latin-script languages apart ("dì" is Italian only
        # next to Italian words); kept separately so they do not crowd out the non-ASCII pairs
        ascii_bi = collections.Counter({p: n for p, n in pairs.items() if _ASCII_WORD.fullmatch(p)})
        uni_kept = {c: n for c, n in uni.items() if n >= MIN_UNI and c not in "\n"}
        top = collections.Counter(bi).most_common(MAX_BI)
        bi_kept = dict(b for b in top if b[1] >= MIN_BI and "\n" not in b[0])
        bi_kept.update(b for b in ascii_bi.most_common(MAX_ASCII_BI) if b[1] >= MIN_BI)
        model[lang] = {"n": sum(uni_kept.values()), "uni": uni_kept, "bi": bi_kept, "chars": len(text),
                       "sources": sources}
        print(f"{lang}: {len(text):>9} chars, {len(uni_kept):>5} chars kept, {len(bi_kept):>5} pairs")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(a.out, "wb", mtime=0) as f:
        payload = json.dumps({"version": 1, "langs": model}, ensure_ascii=False, sort_keys=True)
        f.write(payload.encode("utf-8"))
    print(f"wrote {a.out} ({a.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
