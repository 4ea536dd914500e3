"""Start-up of a worker pool's loader, step by step: what comes before the workers can start.

With ``--workers N`` on Linux a loader process imports the stages and runs :func:`cleaner.runner.preload`
on one core, then forks the workers; every second of it is a second both cores wait (issue 5's 2-worker
target).  This script times, in fresh processes, the same steps with a lap after each: the imports, the
three warm-up texts (an English page loads fastText and the boilerplate and garble models, a short line
py3langid, a Chinese page the simplified/traditional tables), the boilerplate line filter, the lazily
imported modules and the final collection.  It prints best and median of ``--runs`` processes per step,
and the whole of the real ``preload`` (not the copy) the same way.

    PYTHONPATH=$PWD python bench/startup.py [--runs 7]

Run it on a quiet machine and with the package's bytecode written (it writes it first, as an installed
package has it); ``perf stat -e instructions -x, python bench/startup.py --one`` counts the instructions
of one process of the copy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def one() -> dict[str, float]:
    """The loader's steps in this process, ms each (the copy of ``runner.preload`` with laps)."""
    laps: dict[str, float] = {}
    t = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        laps[name] = (now - t[0]) * 1000
        t[0] = now

    import gc

    import cleaner.cli  # the parent has imported it before it forks the loader
    import cleaner.runner as runner

    lap("cleaner.cli + cleaner.runner")
    import numpy  # noqa: F401

    lap("numpy")
    import ftfy  # noqa: F401

    lap("ftfy")
    import cleaner.fix_encoding
    import cleaner.language

    lap("fix_encoding + language")
    import cleaner.boilerplate

    lap("boilerplate")
    import cleaner.garble  # noqa: F401

    lap("garble")
    from cleaner.config import Config
    from cleaner.pipeline import Cleaner

    c = Cleaner(Config())
    for name, text in zip(("warm-up: English page", "warm-up: short line (py3langid)", "warm-up: Chinese page"),
                          runner._WARM_UP, strict=True):
        c.clean(text, html=False)
        lap(name)
    from cleaner.boilerplate.rules import build_line_filter

    build_line_filter()
    lap("boilerplate line filter")
    runner._warm_lazy_modules()
    lap("lazy modules")
    gc.collect()
    gc.freeze()
    lap("gc.collect + freeze")
    return laps


def real() -> dict[str, float]:
    """The real loader: imports as the parent has them, then ``runner.preload`` and the collection."""
    import gc

    t0 = time.perf_counter()
    import cleaner.cli  # noqa: F401
    import cleaner.runner as runner
    from cleaner.config import Config

    t1 = time.perf_counter()
    runner.preload(Config())
    gc.collect()
    gc.freeze()
    t2 = time.perf_counter()
    return {"parent's imports": (t1 - t0) * 1000, "preload + collect": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="fresh processes per measurement (default 7)")
    ap.add_argument("--one", action="store_true", help="run the steps once in this process and print them")
    ap.add_argument("--real", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one or args.real:
        print(json.dumps(real() if args.real else one()))
        return 0
    sys.path.insert(0, str(REPO / "bench"))
    from speed import compile_package, load_average

    compile_package()
    load = [load_average()]
    rows: dict[str, list[float]] = {}
    totals: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for flag, into in (("--one", rows), ("--real", totals)):
            out = subprocess.run([sys.executable, __file__, flag], capture_output=True, text=True, check=True)
            for k, v in json.loads(out.stdout).items():
                into.setdefault(k, []).append(v)
    load.append(load_average())
    print(f"Loader start-up, ms, {args.runs} fresh processes each (best / median); load average "
          f"{load[0]} before, {load[1]} after.\n")
    print("| step | best | median |\n|---|---:|---:|")
    for k, v in rows.items():
        print(f"| {k} | {min(v):.1f} | {statistics.median(v):.1f} |")
    steps_total = [sum(r) for r in zip(*rows.values(), strict=True)]
    print(f"| **all steps** | {min(steps_total):.0f} | {statistics.median(steps_total):.0f} |")
    for k, v in totals.items():
        print(f"| real `runner.preload`: {k} | {min(v):.0f} | {statistics.median(v):.0f} |")
    print(f"\nCommand: `PYTHONPATH=$PWD python bench/startup.py --runs {args.runs}`.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
