#!/usr/bin/env python3
"""Rebuild the boilerplate line model (``cleaner/data/boilerplate_model.npz``) from dev.

1. ``cleaner/data/boilerplate_stopwords.json``: compact stoplists per ISO 639-1 code, taken from
   the jusText package (needed only here, at build time; the runtime reads the JSON).
2. Features and alignment labels for every page of ``SHARED/bench/boilerplate/dev.jsonl.gz``.
3. Optionally (``--cv K``) the K-fold cross-validated score of the model alone, grouped by page
   (the full report, with the stage, is ``bench/boilerplate.py``).
4. The model trained on all pages, with its training provenance, written to ``--out``.

    python scripts/train_boilerplate.py --shared ../shared --cv 5
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# ISO 639-1 -> jusText stoplist name: the languages of the benchmarks and the usual web languages.
JUSTEXT_LANGS = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "ca": "Catalan",
    "nl": "Dutch",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian_Bokmal",
    "fi": "Finnish",
    "et": "Estonian",
    "lv": "Latvian",
    "lt": "Lithuanian",
    "pl": "Polish",
    "cs": "Czech",
    "sk": "Slovak",
    "sl": "Slovenian",
    "hr": "Croatian",
    "sr": "Serbian",
    "bs": "Bosnian",
    "ro": "Romanian",
    "hu": "Hungarian",
    "ru": "Russian",
    "uk": "Ukrainian",
    "bg": "Bulgarian",
    "el": "Greek",
    "tr": "Turkish",
    "id": "Indonesian",
    "ms": "Malay",
    "vi": "Vietnamese",
    "tl": "Tagalog",
    "ko": "Korean",
    "ar": "Arabic",
    "fa": "Persian",
    "he": "Hebrew",
    "hi": "Hindi",
}


def build_stopwords(out: Path, max_words: int = 400) -> None:
    """Write the first ``max_words`` entries of each jusText stoplist (the files are ordered by
    frequency, so these are the function words), keeping only entries that are a single token
    of the metric's tokenizer (the lists also hold forms like '"the' that no token equals)."""
    import justext
    import regex

    folder = Path(justext.__file__).resolve().parent / "stoplists"
    table = {}
    for code, name in sorted(JUSTEXT_LANGS.items()):
        path = folder / f"{name}.txt"
        if not path.exists():
            continue
        words: list[str] = []
        for w in path.read_text(encoding="utf-8").split():
            w = w.lower()
            if regex.fullmatch(r"[^\W\p{Han}\p{Hiragana}\p{Katakana}]+", w) and w not in words:
                words.append(w)
            if len(words) >= max_words:
                break
        table[code] = sorted(words)
    meta = {
        "source": "jusText stoplists (first entries by frequency)",
        "max_words": max_words,
        "built": _now(),
    }
    out.write_text(
        json.dumps({"meta": meta, "stopwords": table}, ensure_ascii=False, separators=(",", ":")),
        encoding="utf-8",
    )
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB, {len(table)} languages)")


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"))
    ap.add_argument(
        "--data", default=None, help="training file (default SHARED/bench/boilerplate/dev.jsonl.gz)"
    )
    ap.add_argument("--out", default=None, help="model file (default cleaner/data/boilerplate_model.npz)")
    ap.add_argument("--cv", type=int, default=0, help="also print K-fold CV (grouped by page) of the model")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-stopwords", action="store_true", help="keep the existing stopword table")
    args = ap.parse_args()

    from cleaner.boilerplate import features as F

    if not args.skip_stopwords:
        build_stopwords(F.DATA_DIR / "boilerplate_stopwords.json")
        F._stopword_table.cache_clear()
        F._union_stopwords.cache_clear()
    from cleaner.boilerplate import model as M

    data = Path(args.data) if args.data else Path(args.shared) / "bench" / "boilerplate" / "dev.jsonl.gz"
    raw = data.read_bytes()
    with gzip.open(data, "rt", encoding="utf-8") as f:
        pages = [json.loads(line) for line in f if line.strip()]
    t0 = time.perf_counter()
    examples = [
        M.make_example(p["id"], p["text"].split("\n"), p["gold"], p.get("lang"), p["dataset"]) for p in pages
    ]
    print(f"{len(pages)} pages: features + alignment labels in {time.perf_counter() - t0:.1f} s", flush=True)
    params = M.BoostParams(seed=args.seed)

    cv: dict[str, float] = {}
    if args.cv:
        sys.path.insert(0, str(ROOT / "bench"))
        from boilerplate import folds_by_page

        fold = folds_by_page([p["dataset"] for p in pages], args.cv, args.seed)
        P, R = [], []
        for k in range(args.cv):
            model = M.train_line_model(
                [e for e, f in zip(examples, fold, strict=False) if f != k],
                params,
                log=lambda s: print("  " + s, flush=True),
            )
            for i in np.flatnonzero(fold == k):
                ex = examples[i]
                keep = M.decode(model.score_features(ex.X1, ex.n_tok, ex.toks), model.threshold("balanced"))
                p, r = M.page_prf(keep, examples[i].labels)
                P.append(p)
                R.append(r)
        Pa, Ra = np.array(P), np.array(R)
        F1 = np.where(Pa + Ra > 0, 2 * Pa * Ra / np.maximum(Pa + Ra, 1e-12), 0.0)
        cv = {
            "folds": args.cv,
            "p": round(float(Pa.mean()), 4),
            "r": round(float(Ra.mean()), 4),
            "f1": round(float(F1.mean()), 4),
            "note": "model alone, balanced, aligned-token estimate",
        }
        print(
            f"{args.cv}-fold CV (model alone, balanced, aligned-token estimate): "
            f"P {cv['p']:.3f} R {cv['r']:.3f} F1 {cv['f1']:.3f}"
        )

    provenance = {
        "data": data.name,
        "data_sha256": hashlib.sha256(raw).hexdigest()[:16],
        "built": _now(),
        "script": "scripts/train_boilerplate.py",
        "cv": cv,
    }
    model = M.train_line_model(examples, params, provenance=provenance, log=print)
    out = Path(args.out) if args.out else M.MODEL_FILE
    model.save(out)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB); thresholds {model.thresholds}")


if __name__ == "__main__":
    main()
