#!/usr/bin/env python3
"""Build ``cleaner/data/garble_chartables.npz``: :func:`cleaner.garble.vec.build_char_tables` pre-built.

The garble featuriser's lower-case map and token class of every BMP code point take ~25-30 ms to build with
``regex`` (a match object per code point) in the loader's start-up, the sentence CNN's BMP token classes
(:func:`cleaner.garble.nn.build_classes`) ~6 ms more; the shipped file is read in ~1 ms.  It is
keyed by :func:`cleaner.garble.vec.char_tables_key` (the ``regex`` version, ``unicodedata.unidata_version``,
both modules' patterns and a digest of their source): under any other key the runtime builds the tables in
memory, as before.  Rebuild (``make tables``) after editing ``vec.py`` or ``nn.py`` (tests/garble/test_chartables.py
fails until then) or upgrading ``regex`` or Python (it skips until then).  No input data.

  python scripts/build_garble_chartables.py [--out cleaner/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleaner._shipped import save_npz  # noqa: E402
from cleaner.garble.vec import CHAR_TABLES_FILE, char_table_arrays  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "cleaner" / "data"))
    a = ap.parse_args()
    out = Path(a.out) / CHAR_TABLES_FILE
    save_npz(out, char_table_arrays())
    print(f"wrote {out} ({out.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
