#!/usr/bin/env python3
"""Build ``cleaner/data/{script_table,hanzi_classes,fix_encoding_scan}.zlib``: language/fix_encoding tables.

``cleaner.language.scripts.build_script_table`` derives the table from the ``regex`` module's Unicode
script properties (27 scans of a 196,608-character string: ~15 ms on every fresh process, on the
pool loader's critical path).  This script builds it once and stores it under its key (the ``regex``
release and a digest of the script definitions); the loader reads it in ~0.3 ms when the key matches
and builds it in memory otherwise.  Likewise the simplified/traditional class of each CJK code point
(``cleaner.language.hanzi``: from Python's GB2312 and Big5 codecs, ~4 ms; keyed by the Python release),
and the trigger tables of fix_encoding's compiled scan (read from ftfy's detector pattern, ~4 ms; keyed
by the ftfy release and a digest of the pattern and its control characters).
Nothing here is fitted to data: ``--shared`` is accepted for the
common interface of the build scripts and not read.

    python scripts/build_language_tables.py [--shared ../shared] [--out PATH] [--hanzi-out PATH] [--scan-out PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cleaner import fix_encoding  # noqa: E402
from cleaner.language import hanzi, scripts  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"), help="shared data (not read: see above)")
    ap.add_argument("--out", default=str(scripts.TABLE_FILE))
    ap.add_argument("--hanzi-out", default=str(hanzi.CLASS_FILE))
    ap.add_argument("--scan-out", default=str(fix_encoding.SCAN_FILE))
    a = ap.parse_args()
    out = Path(a.out)
    table = scripts.build_script_table()
    scripts.write_table(out, table)
    back = scripts.read_table(out)
    if back is None or back.tobytes() != table.tobytes():
        raise SystemExit(f"{out}: not read back bit for bit")
    print(f"wrote {out} ({out.stat().st_size:,} bytes; key {scripts.table_key().decode()})")
    out = Path(a.hanzi_out)
    classes = hanzi.build_class_table(*hanzi.build_tables())
    hanzi.write_class_table(out, classes)
    got = hanzi.read_class_table(out)
    if got is None or got.tobytes() != classes.tobytes():
        raise SystemExit(f"{out}: not read back bit for bit")
    print(f"wrote {out} ({out.stat().st_size:,} bytes; key {hanzi.class_key().decode()})")
    out = Path(a.scan_out)
    scan = fix_encoding.build_scan_tables()
    if scan is None:
        raise SystemExit("ftfy's detector pattern is not read by fix_encoding._mojibake_triggers: nothing to ship")
    fix_encoding.write_scan_tables(out, scan)
    got = fix_encoding.read_scan_tables(out)
    if got is None or (got[0], got[1].tobytes(), got[2]) != (scan[0], scan[1].tobytes(), scan[2]):
        raise SystemExit(f"{out}: not read back bit for bit")
    print(f"wrote {out} ({out.stat().st_size:,} bytes; key {fix_encoding.scan_key().decode()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
