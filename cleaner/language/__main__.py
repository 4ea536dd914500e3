"""``python -m cleaner.language [--backend NAME]``: JSONL ``{id, text}`` in, ``{id, lang}`` out.

The adapter the langid benchmark (../shared/bench/langid/score.py) drives:
one output line per input line, flushed, Chinese as ``zh-Hans``/``zh-Hant``.
Also prints the score and script (``score``, ``script``) for inspection.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..config import Config
from . import detect_language


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cleaner.language", description=__doc__)
    ap.add_argument("--backend", default="auto", help="auto | langdetect | fasttext | py3langid")
    args = ap.parse_args(argv)
    cfg = Config(language_backend=args.backend)
    for line in sys.stdin:
        if not line.strip():
            continue
        rec = json.loads(line)
        lang = detect_language(str(rec.get("text") or ""), cfg)
        label = f"zh-{lang.script}" if lang.language == "zh" and lang.script else lang.language
        out = {"id": rec.get("id"), "lang": label, "score": lang.score, "script": lang.script}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
