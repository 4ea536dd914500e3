"""Where a large HTML page's memory goes: resident and private memory around each step of the HTML pipeline.

tracemalloc misses lxml's C allocations, so this reads ``/proc/self/status`` (VmRSS, VmHWM) and
``/proc/self/smaps_rollup`` (private) around every step and resets the high-water mark
(``/proc/self/clear_refs`` = 5) as each step starts: a step's peak is the highest resident memory reached while it
(or anything it called) ran, over the resident memory at its start.  The process is set up as the pool's loader
(fixed mmap threshold, ``runner.preload``, ``gc.freeze``, ``malloc_trim``) and forks a worker, which cleans
``--warm`` dev pages (its caches, as in a stream) and then each of the largest dev pages as a batch of its own
JSONL line (``runner._run_batch_report``: parsing the line, the pipeline, the encoded record), after a
``malloc_trim``.  The peak of a batch is what that page adds to the worker's memory.  Linux (glibc) only.

    PYTHONPATH=$PWD python bench/html_mem_steps.py --shared ../shared [--top 6 | --pages 389,148] [--summary]

Prints per page a markdown table (step indented by call depth; MB), or with ``--summary`` one table with a row
per page: the batch's peak and the peaks of its main steps.
"""

from __future__ import annotations

import argparse
import functools
import gc
import gzip
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

_FIELDS = re.compile(rb"(VmRSS|VmHWM):\s+(\d+)")


def _status() -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB."""
    with open("/proc/self/status", "rb") as f:
        found = dict(_FIELDS.findall(f.read()))
    return int(found[b"VmRSS"]), int(found[b"VmHWM"])


def _private() -> int:
    """Private_Clean + Private_Dirty of this process in kB (what no other process shares)."""
    with open("/proc/self/smaps_rollup", "rb") as f:
        return sum(int(line.split()[1]) for line in f.read().splitlines() if line.startswith(b"Private_"))


def _reset_hwm() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


class Probe:
    """Nested step records [depth, name, rss at start, peak, rss at end, private at start, private at end]
    (kB), in call order."""

    def __init__(self) -> None:
        self.stack: list[list[Any]] = []  # [record index, peak kB]
        self.rows: list[list[Any]] = []

    def _absorb(self) -> None:
        hwm = _status()[1]
        for frame in self.stack:
            frame[1] = max(frame[1], hwm)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self._absorb()
            _reset_hwm()
            rss = _status()[0]
            self.rows.append([len(self.stack), name, rss, rss, rss, _private(), 0])
            self.stack.append([len(self.rows) - 1, rss])
            try:
                return fn(*args, **kwargs)
            finally:
                self._absorb()
                index, peak = self.stack.pop()
                row = self.rows[index]
                row[3] = peak
                row[4] = _status()[0]
                row[6] = _private()
                if self.stack:
                    self.stack[-1][1] = max(self.stack[-1][1], peak)
                _reset_hwm()

        return wrapped

    def patch(self, module: Any, attr: str, name: str | None = None) -> None:
        fn = getattr(module, attr, None)
        if fn is not None:
            setattr(module, attr, self.wrap(name or attr, fn))


def install(probe: Probe) -> None:
    """Wrap the steps (module attributes, so both our calls and trafilatura's own go through them)."""
    import trafilatura.core as core
    import trafilatura.external as external
    import trafilatura.htmlprocessing as hp
    import trafilatura.main_extractor as me
    import trafilatura.metadata as md
    import trafilatura.xml as txml

    import cleaner.html as html
    import cleaner.htmlblocks as hb
    import cleaner.pipeline as pipeline

    for attr in ("_parse", "_trafilatura", "_extraction", "_author"):
        probe.patch(html, attr)
    for attr in ("page_blocks", "select"):
        probe.patch(hb, attr)
    try:
        import cleaner.htmlsequence as hs
    except ImportError:  # a tree from before it (the base of bench/results/html_mem_s8.md)
        pass
    else:
        for attr in ("sequence", "_cleaned", "_extract_and_compare", "_extract_content", "_compare_extraction"):
            probe.patch(hs, attr)
    for attr in ("examine_meta", "extract_meta_json", "extract_title", "extract_url", "find_date",
                 "extract_sitename"):
        probe.patch(md, attr)
    probe.patch(txml, "xmltotxt")
    for attr in ("trafilatura_sequence", "_forum_thread_page", "prune_unwanted_nodes", "_prepare_tree",
                 "tree_cleaning", "convert_tags", "extract_comments", "_extract_and_compare", "extract_content",
                 "compare_extraction", "baseline", "html2txt", "justext_rescue", "_recall_retry"):
        probe.patch(core, attr)
    for attr in ("tree_cleaning", "convert_tags"):
        probe.patch(hp, attr)
    for attr in ("try_readability", "justext_rescue", "sanitize_tree", "try_justext"):
        probe.patch(external, attr)
    probe.patch(me, "_extract")
    for stage in pipeline.STAGES:
        stage.run = probe.wrap(f"stage {stage.name}", stage.run)  # type: ignore[method-assign]
    probe.patch(pipeline.Result, "to_record")
    from cleaner import runner

    for attr in ("parse_json_line", "process_task", "encode_record", "_release_memory"):
        probe.patch(runner, attr)


def trim_before(names: list[str]) -> None:
    """(experiment) ``malloc_trim`` before each call of the named steps (module attributes as in :func:`install`)."""
    import trafilatura.core as core
    import trafilatura.external as external

    import cleaner.html as html
    import cleaner.htmlblocks as hb
    from cleaner import runner

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **k: Any) -> Any:
            runner._release_memory(0)
            return fn(*a, **k)
        return wrapped

    for name in names:
        for module in (html, hb, core, external):
            if hasattr(module, name):
                setattr(module, name, wrap(getattr(module, name)))
                break
        else:
            raise SystemExit(f"no step {name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1] / ".." / "shared"))
    ap.add_argument("--top", type=int, default=6, help="the N largest dev pages")
    ap.add_argument("--warm", type=int, default=200, help="dev pages cleaned first (a worker's caches)")
    ap.add_argument("--trim-before", default="", help="(experiment) comma-separated steps to malloc_trim before")
    ap.add_argument("--pages", default="", help="comma-separated dev indices instead of --top")
    ap.add_argument("--summary", action="store_true", help="one row per page")
    ap.add_argument("--min-mb", type=float, default=0.5, help="hide steps whose peak and change are below this")
    args = ap.parse_args(argv)

    from cleaner import runner
    from cleaner.config import Config

    config = Config()
    # the pool's loader: fixed mmap threshold, models preloaded, objects frozen, heap trimmed
    runner._fix_mmap_threshold()
    runner.preload(config, html=True)
    gc.collect()
    gc.freeze()
    runner._release_memory()
    pid = os.fork()
    if pid:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    try:
        worker(args, config)
    finally:
        sys.stdout.flush()
        os._exit(0)


def worker(args: argparse.Namespace, config: Any) -> None:
    """A worker forked from the loader: a warm-up, then each large page as a batch of its own."""
    from cleaner import runner

    runner._html_pool = True
    runner._init_worker(config, {})
    warm: list[bytes] = []
    sizes: list[tuple[int, int]] = []
    with gzip.open(Path(args.shared) / "bench/boilerplate/dev.jsonl.gz", "rt") as f:
        for i, raw in enumerate(f):
            html = json.loads(raw).get("html")
            if html:
                line = json.dumps({"id": i, "html": html}, ensure_ascii=False).encode()
                sizes.append((len(html), i))
                if len(warm) < args.warm:
                    runner._run_batch_report([("line", i, line)], True)
                    warm.append(b"")
    top = {int(x) for x in args.pages.split(",")} if args.pages else {i for _, i in sorted(sizes)[-args.top:]}
    pages: list[tuple[int, bytes]] = []
    with gzip.open(Path(args.shared) / "bench/boilerplate/dev.jsonl.gz", "rt") as f:
        for i, raw in enumerate(f):
            if i in top:
                html = json.loads(raw)["html"]
                pages.append((len(html), json.dumps({"id": i, "html": html}, ensure_ascii=False).encode()))
    del raw, html
    pages.sort(reverse=True)
    probe = Probe()
    if args.trim_before:
        trim_before(args.trim_before.split(","))
    install(probe)
    batch = probe.wrap("batch (worker)", runner._run_batch_report)
    if args.summary:
        steps = ("parse_json_line", "_parse", "page_blocks", "_trafilatura", "select", "text stages")
        print("| page (characters) | batch peak | " + " | ".join(steps) + " |")
        print("|---" * (len(steps) + 2) + "|")
    for chars, line in pages:
        runner._release_memory(0)
        probe.rows.clear()
        start, private = _status()[0], _private()
        batch([("line", 0, line)], True)
        if args.summary:
            peaks: dict[str, float] = {}
            for _, name, rss, peak, *_ in probe.rows:
                key = "text stages" if name.startswith("stage ") and name != "stage html" else name
                peaks[key] = max(peaks.get(key, 0.0), (peak - rss) / 1024)
            print(f"| {chars:,} | +{(probe.rows[0][3] - start) / 1024:.1f} | "
                  + " | ".join(f"+{peaks[k]:.1f}" if k in peaks else "-" for k in steps) + " |")
            continue
        print(f"\n### page of {chars:,} characters: before it resident {start / 1024:.1f} MB, private "
              f"{private / 1024:.1f} MB\n")
        print("| step | peak resident over start | resident change | private change |")
        print("|---|---|---|---|")
        for depth, name, rss, peak, end, priv0, priv1 in probe.rows:
            if depth and max(peak - rss, abs(end - rss), abs(priv1 - priv0)) < args.min_mb * 1024:
                continue
            print(f"| {'&nbsp;' * 4 * depth}{name} | +{(peak - rss) / 1024:.1f} | {(end - rss) / 1024:+.1f} | "
                  f"{(priv1 - priv0) / 1024:+.1f} |")


if __name__ == "__main__":
    sys.exit(main())
