#!/usr/bin/env python3
"""Before/after checks for speed work on the language and garble stages.

``dump-garble OUT``: every ``score_garble`` answer (score, flag, evidence, reason, sentences) on the
mtgarble TRAIN items (with their language and with none), on the garble stage's inputs in the
pipeline (the boilerplate dev texts + seeds after the boilerplate stage) and on the raw dev texts
(language detected, and forced to English: long texts, flag candidates); run it on two trees and
``cmp`` the files (a speed step must keep them identical).

``loop STAGE PASSES``: run ``lang`` (``detect_blocks`` on the 459 dev texts + 5 seeds) or ``garble``
(``score_garble`` on the garble stage's pipeline inputs) once to warm up, then PASSES more times.
Under ``perf stat -e instructions`` the difference between PASSES=2 and PASSES=0, divided by 2 and
by the 4.92 MB of input text, is the stage's instructions per MB of input (load-independent).

``time REPEAT``: best-of-REPEAT process time of each stage, in ms per MB of input text.

``stages REPEAT``: the plain-text pipeline as ``bench/speed.py`` times it (wall clock, best of REPEAT
per stage, stages timed inside ``clean``), next to ``ftfy.fix_text`` alone in the same process and
minutes, with the load average: the issue's ratio without the HTML, workers and memory parts.

    PYTHONPATH=$PWD python bench/lang_garble_check.py dump-garble /tmp/after.garble --shared ../shared
    perf stat -e instructions -x, python bench/lang_garble_check.py loop garble 2 --shared ../shared
    PYTHONPATH=$PWD python bench/lang_garble_check.py time 5 --shared ../shared
    PYTHONPATH=$PWD python bench/lang_garble_check.py stages 5 --shared ../shared
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import speed  # bench/speed.py: the same dev pages and seeds

REPO = Path(__file__).resolve().parents[1]


def garble_inputs(texts: list[str]) -> list[tuple[str, str | None]]:
    """What the garble stage receives in the plain-text pipeline: the text after boilerplate, and the language."""
    from cleaner.config import Config
    from cleaner.pipeline import clean

    out = []
    for t in texts:
        d = clean(t, html=False, config=Config()).doc
        out.append((d.output_text, d.language.language if d.language else None))
    return out


def dump_garble(path: str, shared: Path, texts: list[str]) -> None:
    from cleaner.config import Config
    from cleaner.garble import score_garble

    cfg = Config()
    with open(path, "w", encoding="utf-8") as f:

        def put(text: str, lang: str | None) -> None:
            g = score_garble(text, lang, cfg)
            ev = [(e.text, e.signal, e.start, e.end, e.weight) for e in g.evidence]
            f.write(repr((g.score, g.flagged, ev, g.reason, g.sentences)) + "\n")

        with gzip.open(shared / "bench" / "mtgarble" / "train.jsonl.gz", "rt", encoding="utf-8") as fin:
            for line in fin:
                r = json.loads(line)
                put(r["text"], r["lang"])
                put(r["text"], None)
        for t, lang in garble_inputs(texts):
            put(t, lang)
        for t in texts:
            put(t, None)
            put(t, "en")


def stage_fns(texts: list[str]) -> dict:
    from cleaner.config import Config
    from cleaner.garble import score_garble
    from cleaner.language import detect_blocks

    cfg = Config()
    gin = garble_inputs(texts)
    return {
        "lang": lambda: [detect_blocks(t, cfg) for t in texts],
        "garble": lambda: [score_garble(t, lang, cfg) for t, lang in gin],
    }


def stages(texts: list[str], repeat: int) -> None:
    """Print ftfy alone and the plain-text pipeline's stages in ms/MB (wall, best of ``repeat``), one process."""
    import ftfy

    from cleaner.config import Config
    from cleaner.pipeline import clean

    load0 = speed.load_average()
    clean(texts[0], html=False)  # lazy imports and models, outside the timings
    size = speed.mb(texts)
    t_ftfy = speed.timed(ftfy.fix_text, texts, repeat)
    t_clean, st = speed.stage_times(clean, texts, Config(), repeat)
    print(f"ftfy.fix_text alone: {t_ftfy * 1000 / size:.0f} ms/MB; full plain-text pipeline: "
          f"{t_clean * 1000 / size:.0f} ms/MB ({t_ftfy / t_clean:.2f}x ftfy)")
    print(" | ".join(f"{k} {v * 1000 / size:.0f}" for k, v in st.items()) + " (ms/MB, best of "
          f"{repeat}); load average {load0} -> {speed.load_average()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["dump-garble", "loop", "time", "stages"])
    ap.add_argument("args", nargs="+", help="dump-garble: OUT; loop: STAGE PASSES; time, stages: REPEAT")
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    a = ap.parse_args()
    shared = Path(a.shared)
    texts = [p["text"] for p in speed.load_pages(shared, None)] + speed.seeds(shared)
    if a.command == "dump-garble":
        dump_garble(a.args[0], shared, texts)
        return 0
    if a.command == "stages":
        stages(texts, int(a.args[0]))
        return 0
    fns = stage_fns(texts)
    if a.command == "loop":
        fn = fns[a.args[0]]
        for _ in range(int(a.args[1]) + 1):
            fn()
        return 0
    size = speed.mb(texts)
    for name, fn in fns.items():
        fn()
        best = float("inf")
        for _ in range(int(a.args[0])):
            t0 = time.process_time()
            fn()
            best = min(best, time.process_time() - t0)
        print(f"{name}: {best * 1000 / size:.1f} ms/MB (best of {a.args[0]}, process time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
