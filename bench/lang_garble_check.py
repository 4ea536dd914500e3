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

``ab OTHER_TREE REPEAT``: both trees' ``score_garble`` (on this tree's garble inputs) and
``detect_blocks`` in one process, each document timed with both in turn (the order alternating),
best of REPEAT per document and tree, summed: a wall-clock A/B that load drifts move alike.

``sentences REPEAT``: the sentence models alone on the batches ``score_garble`` scores on the garble
stage's pipeline inputs (collected in one pass): best-of-REPEAT process time of the linear featuriser
(``vec.featurise``), the CNN (``encode`` + ``forward``) and the whole ``batch_logits``, in us per
sentence and sentences/s.  With ``CLEANER_NO_NATIVE=1`` it times the Python/numpy path of the same tree.

``stages REPEAT``: the plain-text pipeline as ``bench/speed.py`` times it (wall clock, best of REPEAT
per stage, stages timed inside ``clean``), next to ``ftfy.fix_text`` alone in the same process and
minutes, with the load average: the issue's ratio without the HTML, workers and memory parts.

    PYTHONPATH=$PWD python bench/lang_garble_check.py dump-garble /tmp/after.garble --shared ../shared
    perf stat -e instructions -x, python bench/lang_garble_check.py loop garble 2 --shared ../shared
    PYTHONPATH=$PWD python bench/lang_garble_check.py time 5 --shared ../shared
    PYTHONPATH=$PWD python bench/lang_garble_check.py stages 5 --shared ../shared
    python bench/lang_garble_check.py ab /tmp/base 5 --shared ../shared   # (this tree from the script's path)
    PYTHONPATH=$PWD python bench/lang_garble_check.py sentences 5 --shared ../shared
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


def sentences(texts: list[str], repeat: int) -> None:
    """Print the sentence models' cost per sentence on the garble stage's own batches."""
    from cleaner.config import Config
    from cleaner.garble import model as gmodel
    from cleaner.garble import nn, score_garble, vec

    gin = garble_inputs(texts)
    batches: list[tuple[list[str], str]] = []
    orig = gmodel.GarbleModel.batch_logits

    def record(self: gmodel.GarbleModel, sents: list[str], lang: str) -> tuple:
        batches.append((list(sents), lang))
        return orig(self, sents, lang)

    gmodel.GarbleModel.batch_logits = record  # type: ignore[method-assign]
    try:
        for t, lang in gin:
            score_garble(t, lang, Config())
    finally:
        gmodel.GarbleModel.batch_logits = orig  # type: ignore[method-assign]
    m = gmodel.load_model()
    en = [b for b, lang in batches if lang != "zh"]
    n_all, n_en = sum(len(b) for b, _ in batches), sum(len(b) for b in en)
    cnn = m.cnn
    parts = {
        "featurise": (n_all, lambda: [vec.featurise(b, lang, m.tables, sparse=lang != "zh") for b, lang in batches]),
        "cnn (encode + forward)": (n_en, lambda: [cnn.forward(nn.encode(b, cnn.buckets)) for b in en] if cnn else []),
        "batch_logits (all)": (n_all, lambda: [m.batch_logits(b, lang) for b, lang in batches]),
    }
    native = getattr(nn, "_native", None) is not None  # (None also in trees from before the kernels)
    print(f"compiled kernels: {native}; {len(batches)} batches, {n_all} sentences ({n_en} English)")
    for name, (n, fn) in parts.items():
        fn()
        best = float("inf")
        for _ in range(repeat):
            t0 = time.process_time()
            fn()
            best = min(best, time.process_time() - t0)
        print(f"{name}: {best * 1e6 / n:.1f} us/sentence, {n / best:,.0f} sentences/s (best of {repeat}, process time)")
    print(f"load average {speed.load_average()}")


def _load_tree(tree: Path) -> tuple:
    """``(score_garble, detect_blocks, Config())`` of the ``cleaner`` package in ``tree`` (a fresh import)."""
    for name in [k for k in sys.modules if k == "cleaner" or k.startswith("cleaner.")]:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    try:
        import cleaner.config
        import cleaner.garble
        import cleaner.language
    finally:
        sys.path.pop(0)
    if not cleaner.garble.__file__ or not cleaner.garble.__file__.startswith(str(tree)):
        raise RuntimeError(f"cleaner not imported from {tree}: {cleaner.garble.__file__}")
    return cleaner.garble.score_garble, cleaner.language.detect_blocks, cleaner.config.Config()


def ab(other: Path, this: Path, texts: list[str], repeat: int) -> None:
    """Print both trees' garble and language stages in ms/MB, timed document by document in one process."""
    gin = garble_inputs(texts)  # (this tree's pipeline: the same inputs for both)
    trees = {"other": _load_tree(other), "this": _load_tree(this)}
    size = speed.mb(texts)
    load0 = speed.load_average()
    for stage in ("garble", "lang"):
        total = dict.fromkeys(trees, 0.0)
        items = gin if stage == "garble" else [(t, None) for t in texts]
        for i, (t, lang) in enumerate(items):
            order = list(trees.items()) if i % 2 else list(trees.items())[::-1]
            for name, (score_garble, detect_blocks, cfg) in order:
                def fn() -> object:
                    return score_garble(t, lang, cfg) if stage == "garble" else detect_blocks(t, cfg)  # noqa: B023
                fn()
                best = float("inf")
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    fn()
                    best = min(best, time.perf_counter() - t0)
                total[name] += best
        print(f"{stage}: {other} {total['other'] * 1000 / size:.1f} ms/MB, {this} {total['this'] * 1000 / size:.1f} "
              f"ms/MB (x{total['this'] / total['other']:.2f}; per document best of {repeat}, wall)")
    print(f"load average {load0} -> {speed.load_average()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["dump-garble", "loop", "time", "stages", "ab", "sentences"])
    ap.add_argument("args", nargs="+", help="dump-garble: OUT; loop: STAGE PASSES; time, stages, sentences: REPEAT; "
                                            "ab: OTHER_TREE REPEAT")
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    a = ap.parse_args()
    shared = Path(a.shared)
    texts = [p["text"] for p in speed.load_pages(shared, None)] + speed.seeds(shared)
    if a.command == "dump-garble":
        dump_garble(a.args[0], shared, texts)
        return 0
    if a.command == "ab":
        ab(Path(a.args[0]).resolve(), REPO, texts, int(a.args[1]))
        return 0
    if a.command == "stages":
        stages(texts, int(a.args[0]))
        return 0
    if a.command == "sentences":
        sentences(texts, int(a.args[0]))
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
