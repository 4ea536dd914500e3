#!/usr/bin/env python3
"""Build ``cleaner/data/py3langid_flat.npz``: py3langid's model as the flat arrays the language stage keeps.

py3langid (BSD-licensed, after langid.py by Lui and Baldwin) ships its naive Bayes model as an
LZMA-compressed ``.npz`` with a 39 MB byte-transition table.  ``cleaner.language.backends`` never
keeps that table: it walks the automaton as sorted trie keys (``FlatAutomaton``).  Decoding the LZMA
file and deriving the keys took ~0.6 s on the first text that needed py3langid (half the first
document of a fresh process).  This script does it once, here, and writes only the kept arrays
(naive Bayes tables bit for bit, stored sparse; the automaton's keys/nodes/outputs): ~4.7 MB, read
in ~0.035 s of CPU (compiled lid_unpack), on two threads.  The file records the size and SHA-256 of
the py3langid model it came from; the loader uses it only for that very file and derives the arrays
itself otherwise.

``--check`` then compares py3langid's own scores with the shipped file's, bit for bit, on the texts
of ``SHARED/bench/langid/dev.jsonl.gz`` (skipped when that file is absent).

    python scripts/build_py3langid_flat.py [--shared ../shared] [--check]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cleaner.language import backends  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"), help="shared data (for --check)")
    ap.add_argument("--out", default=str(backends.FLAT_MODEL))
    ap.add_argument("--check", action="store_true", help="compare scores with py3langid's own loader")
    a = ap.parse_args()
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    source = MODEL_DIR / MODEL_FILE
    out = Path(a.out)
    arrays = backends.flat_arrays(backends.read_py3langid_arrays(source))
    backends.write_flat_model(out, arrays, source)
    t0 = time.perf_counter()
    back = backends.read_flat_model(out, source)
    took = time.perf_counter() - t0
    assert back is not None
    for name, arr in arrays.items():
        if arr.dtype != back[name].dtype or arr.tobytes() != back[name].tobytes():
            raise SystemExit(f"{name}: not read back bit for bit")
    print(f"wrote {out} ({out.stat().st_size:,} bytes, read back in {took:.3f} s) from {source}")
    if a.check:
        dev = Path(a.shared) / "bench" / "langid" / "dev.jsonl.gz"
        if not dev.is_file():
            print(f"--check skipped: {dev} not found")
            return 0
        with gzip.open(dev, "rt", encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f]
        own = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        flat = backends._flat_identifier(back)
        bad = sum(own._decide(t).tobytes() != flat._decide(t).tobytes() for t in texts)
        print(f"--check: {len(texts) - bad} of {len(texts)} langid dev texts scored bit for bit alike")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
