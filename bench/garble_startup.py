#!/usr/bin/env python3
"""Start-up cost of the garble stage in the loader (issue #5, session 9): wall laps and instructions per step.

Each step runs in a fresh process after the imports the loader does first (``bench/startup.py``'s order:
cli, runner, numpy, ftfy, fix_encoding, language, boilerplate), then, in order: ``import cleaner.garble``,
``model.load_model()``, the first ``signals.has_tortured_head`` (its head sets, hashes and bitmap) and
``vec._tables()`` (the featuriser's code-point tables).  ``laps``: best of N wall laps per step.  ``upto K``:
run the steps up to K and exit (under ``perf stat -e instructions`` the difference between K and K-1 is the
step's instruction count, which other jobs on the machine do not move; ``table`` runs those with
``PYTHONHASHSEED=0`` and takes the best of N per K).  The package's ``.pyc`` files are written first (as
bench/speed.py does): otherwise every changed module is compiled again in each process.

    PYTHONPATH=$PWD python bench/garble_startup.py laps 5
    PYTHONPATH=$PWD python bench/garble_startup.py table 3      # perf stat per step (best of 3) + laps
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

STEPS = ("import cleaner.garble", "load_model", "has_tortured_head (1st)", "vec._tables")


def run(upto: int) -> list[float]:
    import importlib

    for name in ("cleaner.cli", "cleaner.runner", "numpy", "ftfy", "cleaner.fix_encoding", "cleaner.language",
                 "cleaner.boilerplate"):
        importlib.import_module(name)  # (bench/startup.py's order)

    laps = []
    t = time.perf_counter()

    def lap() -> None:
        nonlocal t
        now = time.perf_counter()
        laps.append(1000 * (now - t))
        t = now

    if upto >= 1:
        import cleaner.garble  # noqa: F401
        lap()
    if upto >= 2:
        from cleaner.garble import model
        m = model.load_model()
        lap()
    if upto >= 3:
        from cleaner.garble import signals
        signals.has_tortured_head("An ASCII sentence to warm the tables.", m.tortured)
        lap()
    if upto >= 4:
        from cleaner.garble import vec
        vec._tables()
        lap()
    return laps


def _child(args: list[str]) -> str:
    return subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True,
                          env=os.environ).stdout


def _instructions(upto: int) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # (set and dict layouts vary with the seed: ~10M instructions)
    out = subprocess.run(["perf", "stat", "-e", "instructions", "-x,", sys.executable, __file__, "upto", str(upto)],
                         capture_output=True, text=True, check=True, env=env).stderr
    return int(next(line for line in out.splitlines() if "instructions" in line).split(",")[0])


def main() -> None:
    cmd = sys.argv[1]
    if cmd == "upto":
        run(int(sys.argv[2]))
        return
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if cmd == "child-laps":
        print(" ".join(f"{x:.2f}" for x in run(len(STEPS))))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from speed import compile_package, load_average

    compile_package()
    laps = [[float(x) for x in _child(["child-laps"]).split()] for _ in range(n)]
    best = [min(col) for col in zip(*laps, strict=True)]
    ins = []
    if cmd == "table":
        counts = [min(_instructions(k) for _ in range(n)) for k in range(len(STEPS) + 1)]
        ins = [b - a for a, b in itertools.pairwise(counts)]
    print(f"load average: {load_average()}")
    print(f"| step | ms (best of {n}) |" + (f" M instructions (best of {n}) |" if ins else ""))
    print("|---|---:|" + ("---:|" if ins else ""))
    for i, name in enumerate(STEPS):
        print(f"| {name} | {best[i]:.1f} |" + (f" {ins[i] / 1e6:.1f} |" if ins else ""))
    print(f"| total | {sum(best):.1f} |" + (f" {sum(ins) / 1e6:.1f} |" if ins else ""))


if __name__ == "__main__":
    main()
