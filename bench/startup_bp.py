#!/usr/bin/env python3
"""The boilerplate stage's share of a pool loader's start-up, one step per run (for ``perf stat``).

``STEP`` is one of: ``deps`` (numpy, regex, ftfy and the stages before boilerplate: the baseline),
``import`` (+ ``import cleaner.boilerplate``), ``linefilter`` (+ ``rules.build_line_filter()``),
``chartables`` (+ the tables of ``features._char_pass_native_low``'s first call), ``model`` (+ the line
model).  A step's cost is its count minus ``import``'s (``import``: minus ``deps``'s); user-space
instructions with a fixed hash seed move little with the machine's load:

    for s in deps import linefilter chartables model; do
      PYTHONHASHSEED=0 PYTHONPATH=$PWD perf stat -e instructions:u -x, python bench/startup_bp.py $s
    done

``--time`` prints the step's wall time in ms instead (run it several times, take the best).
"""

from __future__ import annotations

import argparse
import time

STEPS = ("deps", "import", "linefilter", "chartables", "model")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=STEPS)
    ap.add_argument("--time", action="store_true", help="print the step's own wall time (ms)")
    args = ap.parse_args()
    import hashlib  # noqa: F401
    import json  # noqa: F401
    import zipfile  # noqa: F401

    import ftfy  # noqa: F401
    import numpy  # noqa: F401
    import regex  # noqa: F401

    import cleaner.fix_encoding
    import cleaner.language

    t0 = time.perf_counter()
    if args.step != "deps":
        import cleaner.boilerplate  # noqa: F401
    t1 = time.perf_counter()
    if args.step == "linefilter":
        from cleaner.boilerplate.rules import build_line_filter

        build_line_filter()
    elif args.step == "chartables":
        from cleaner.boilerplate import features

        features._class_table()
        features._lower_table()
    elif args.step == "model":
        from cleaner.boilerplate.model import default_model

        default_model()
    t2 = time.perf_counter()
    if args.time:
        print(f"{1000 * ((t1 - t0) if args.step == 'import' else (t2 - t1)):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
