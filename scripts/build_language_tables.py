#!/usr/bin/env python3
"""Build ``cleaner/data/{script_table,hanzi_classes,fix_encoding_scan}.zlib``: language/fix_encoding tables.

``cleaner.language.scripts.build_script_table`` derives the table from the ``regex`` module's Unicode
script properties (27 scans of a 196,608-character string: ~15 ms on every fresh process, on the
pool loader's critical path).  This script builds it once and stores it under its key; the loader reads
it in ~0.3 ms when the key matches and builds it in memory otherwise.  Likewise the simplified/traditional
class of each CJK code point (``cleaner.language.hanzi``: from Python's GB2312 and Big5 codecs, ~4 ms) and
the trigger tables of fix_encoding's compiled scan (read from ftfy's detector pattern, ~4 ms).  Each key
holds what the table reads from the environment (the ``regex`` release; the Python release; the ftfy and
Python releases) and a digest of the definitions and of the module's source that builds it, so an edit of
either makes the shipped file stale (the tests then say to rerun this: ``make tables``).  Nothing here is
fitted to data.

    python scripts/build_language_tables.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cleaner import fix_encoding  # noqa: E402
from cleaner.language import hanzi, scripts  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(scripts.TABLE_FILE.parent), help="folder to write the three files to")
    out_dir = Path(ap.parse_args().out)
    scan = fix_encoding.build_scan_tables()
    if scan is None:
        raise SystemExit("ftfy's detector pattern is not read by fix_encoding._mojibake_triggers: nothing to ship")
    jobs = [  # (file, writer, reader, value): the writers are deterministic, so what the reader gives back must
        # write the same bytes again
        (scripts.TABLE_FILE, scripts.write_table, scripts.read_table, scripts.build_script_table()),
        (hanzi.CLASS_FILE, hanzi.write_class_table, hanzi.read_class_table,
         hanzi.build_class_table(*hanzi.build_tables())),
        (fix_encoding.SCAN_FILE, fix_encoding.write_scan_tables, fix_encoding.read_scan_tables, scan),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for default, write, read, value in jobs:
            out = out_dir / default.name
            write(out, value)
            back = read(out)
            again = Path(tmp) / default.name
            if back is not None:
                write(again, back)
            if back is None or again.read_bytes() != out.read_bytes():
                raise SystemExit(f"{out}: not read back bit for bit")
            key = out.read_bytes().partition(b"\n")[0].decode()
            print(f"wrote {out} ({out.stat().st_size:,} bytes; key {key})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
