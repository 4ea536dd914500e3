#!/usr/bin/env python3
"""Throughput and scale benchmark: cleaner against its own dependencies, in one run.

Measures, on the plain-text and HTML pages of ../shared/bench/boilerplate/dev.jsonl.gz
plus the seed documents (every in-process timing the best of --repeat runs):
  - ftfy.fix_text alone, langdetect alone, trafilatura.bare_extraction alone (the
    settings cleaner's HTML stage uses), and cleaner's plain-text pipeline (all stages,
    and without boilerplate and garble) and HTML pipeline, as documents/s and MB/s
    (UTF-8 bytes of input), with ratios against the peers measured in the same run;
  - ms per MB of every stage, and of what lies outside the stages;
  - `cleaner --help` and the first document in a fresh process;
  - `cleaner clean --workers 1` vs `--workers 2` on the same generated JSONL;
  - memory of the whole process tree (PSS and RSS sums, sampled over time: peak and
    flatness) while cleaning a generated JSONL of --mem-gb gigabytes with 2 workers.
Prints a markdown report; with --write, writes bench/results/speed.md and rebuilds
bench/RESULTS.md.  On a shared machine run it under `nice` and read the load average
it prints.

    python bench/speed.py --shared ../shared [--mem-gb 0.5] [--repeat 3] [--write]
    python bench/speed.py --shared ../shared --only-html [--repeat 3]   # trafilatura vs the HTML pipeline
    python bench/speed.py --shared ../shared --only-scale [--scale-docs 3000] [--scale-rounds 3]  # workers 1 vs 2
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def load_pages(shared: Path, limit: int | None) -> list[dict]:
    pages = []
    with gzip.open(shared / "bench" / "boilerplate" / "dev.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            pages.append(json.loads(line))
            if limit and len(pages) >= limit:
                break
    return pages


def seeds(shared: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((shared / "seeds").glob("*.txt"))]


def timed(fn, items, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for x in items:
            fn(x)
        best = min(best, time.perf_counter() - t0)
    return best


def mb(items) -> float:
    return sum(len(x.encode("utf-8")) for x in items) / 1e6


def row(name: str, n: int, size: float, secs: float, ref: float | None = None, vs: str = "") -> str:
    """A table row: docs/s, MB/s and (with ``ref``) how many times faster than the reference ``vs``."""
    ratio = f"{ref / secs:.2f} vs {vs}" if ref else ""
    return f"| {name} | {n / secs:,.1f} | {size / secs:.2f} | {ratio} |"


def _tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (Linux /proc)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            pass
    return pids


def _mem_kb(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, private) of one process in kB; PSS splits pages shared between processes among them,
    private counts the pages no other process maps (what the process would give back on exit)."""
    rss = pss = private = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Private_"):
                private += int(line.split()[1])
    except OSError:
        pass
    return rss, pss, private


Sample = tuple[float, int, int, int, int, int, int]
"""(seconds, RSS sum, PSS sum, parent's PSS, largest worker's PSS, parent's private, largest worker's
private), bytes."""


def sample_memory(proc: subprocess.Popen, stop: threading.Event, series: list[Sample], every: float = 0.25) -> None:
    """Append a :data:`Sample` of ``proc``'s process tree every ``every`` s.

    RSS sums count a page shared by the parent and its forked workers once per process (what
    `ps` adds up); PSS sums count it once in all (what the machine actually gives the tree).
    """
    t0 = time.perf_counter()
    while not stop.is_set():
        pids = _tree_pids(proc.pid)
        mems = [_mem_kb(pid) for pid in pids]
        if not any(m[0] for m in mems):
            break  # exited
        series.append((time.perf_counter() - t0, sum(m[0] for m in mems) * 1024,
                       sum(m[1] for m in mems) * 1024, mems[0][1] * 1024,
                       max((m[1] for m in mems[1:]), default=0) * 1024, mems[0][2] * 1024,
                       max((m[2] for m in mems[1:]), default=0) * 1024))
        stop.wait(every)


def flatness(series: list[Sample], col: int) -> str:
    """Memory (column ``col`` of the series) at 25/50/75/95% of the run, in MB (95%: before shutdown)."""
    if not series:
        return "no samples"
    end = series[-1][0]
    marks = []
    for q in (0.25, 0.5, 0.75, 0.95):
        at = [v for v in series if v[0] <= q * end]
        marks.append(f"{at[-1][col] / 1e6:.0f}" if at else "-")
    return "/".join(marks)


def run_memory(cmd: list[str]) -> tuple[float, list[Sample]]:
    """Run ``cmd`` and sample its process tree's memory; (seconds, series)."""
    stop = threading.Event()
    series: list[Sample] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    th = threading.Thread(target=sample_memory, args=(proc, stop, series))
    th.start()
    _, err = proc.communicate()
    stop.set()
    th.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(err.decode(errors="replace")[-1000:])
    return time.perf_counter() - t0, series


def cli(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, **kw)


def stage_times(clean, texts: list[str], cfg, repeat: int) -> tuple[float, dict[str, float]]:
    """(best total seconds, best seconds per stage) over ``repeat`` runs of the pipeline on ``texts``."""
    best_total = float("inf")
    best: dict[str, float] = {}
    for _ in range(repeat):
        totals: dict[str, float] = {}
        t0 = time.perf_counter()
        for t in texts:
            r = clean(t, html=False, config=cfg)
            for k, v in r.doc.timings.items():
                totals[k] = totals.get(k, 0.0) + v
        best_total = min(best_total, time.perf_counter() - t0)
        for k, v in totals.items():
            best[k] = min(best.get(k, float("inf")), v)
    return best_total, best


def _children_cpu() -> float:
    """User + system seconds of this process's reaped children so far (the CLI and, since the workers
    are re-parented to it and reaped there, its workers)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:  # pragma: no cover - not Linux
        return "?"


def generate_jsonl(path: Path, texts: list[str], target_bytes: float, field: str = "text",
                   docs: int | None = None) -> tuple[int, int]:
    """Write records ``{"id": i, field: ...}`` cycling through ``texts`` until ``target_bytes``
    (or ``docs`` records, whichever comes first); (records, bytes)."""
    written = i = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < target_bytes and (docs is None or i < docs):
            line = json.dumps({"id": i, field: texts[i % len(texts)]}, ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
            i += 1
    return i, written


def memory_report(texts: list[str], gb: float, tmp: Path, workers: int = 2, field: str = "text",
                  extra: tuple[str, ...] = ()) -> list[str]:
    """Clean a generated JSONL of ``gb`` GB with ``workers`` workers, sampling the process tree's memory.

    ``field="html"`` writes the documents as HTML records (the extraction path and its native
    heap); ``extra`` are further ``cleaner clean`` arguments.
    """
    big = tmp / "big.jsonl"
    n, written = generate_jsonl(big, texts, gb * 1e9, field)
    out = tmp / "big.out.jsonl"
    cmd = [sys.executable, "-m", "cleaner", "clean", str(big), "-o", str(out), "-q", "--workers", str(workers),
           *extra]
    dt, series = run_memory(cmd)
    out_lines = sum(1 for _ in open(out, "rb"))
    big.unlink()
    out.unlink()
    peak_rss = max(v[1] for v in series)
    peak_pss = max(v[2] for v in series)
    kind = "HTML" if field == "html" else "plain text"
    return [
        f"Streaming memory, {kind}: {written / 1e9:.2f} GB JSONL ({n:,} documents) cleaned with "
        f"`cleaner clean --workers {workers}{' ' + ' '.join(extra) if extra else ''}` in {dt:.0f} s "
        f"({written / 1e6 / dt:.2f} MB/s); {out_lines:,} output records for {n:,} input records. Memory of the "
        f"whole process tree (parent + {workers} workers), sampled every 0.25 s:",
        "",
        "| measure | peak | at 25% / 50% / 75% / 95% of the run |",
        "|---|---|---|",
        f"| PSS sum (shared pages counted once: what the machine gives the tree) | {peak_pss / 1e6:.0f} MB | "
        f"{flatness(series, 2)} MB |",
        f"| RSS sum (shared pages counted in every process, as `ps` adds up) | {peak_rss / 1e6:.0f} MB | "
        f"{flatness(series, 1)} MB |",
        f"| PSS of the parent | {max(v[3] for v in series) / 1e6:.0f} MB | {flatness(series, 3)} MB |",
        f"| PSS of the largest worker | {max(v[4] for v in series) / 1e6:.0f} MB | {flatness(series, 4)} MB |",
        f"| private memory of the parent | {max(v[5] for v in series) / 1e6:.0f} MB | {flatness(series, 5)} MB |",
        f"| private memory of the largest worker | {max(v[6] for v in series) / 1e6:.0f} MB | "
        f"{flatness(series, 6)} MB |",
        "",
        f"PSS sum above 300 MB in {sum(v[2] > 300e6 for v in series) / len(series):.1%} of the "
        f"{len(series):,} samples.",
        "",
    ]


def html_ratio(pages: list[dict], repeat: int) -> list[str]:
    """trafilatura alone (the settings cleaner's HTML stage uses) against the whole HTML pipeline on the
    pages' HTML, whole passes alternating (trafilatura, cleaner, trafilatura, ...), best of ``repeat`` each:
    wall and CPU (this process's user + system) seconds."""
    import trafilatura

    from cleaner.config import Config
    from cleaner.html import TRAFILATURA_SETTINGS
    from cleaner.pipeline import clean

    cfg = Config()
    htmls = [p["html"] for p in pages]
    systems = {
        "trafilatura.bare_extraction alone (HTML)": lambda h: trafilatura.bare_extraction(
            h, include_comments=cfg.html_comments, **TRAFILATURA_SETTINGS),
        "cleaner, full HTML pipeline": lambda h: clean(h, html=True, config=cfg),
    }
    for fn in systems.values():  # warm-up: lazy imports, models, dateparser's locales
        for h in htmls[:50]:
            fn(h)
    wall = dict.fromkeys(systems, float("inf"))
    cpu = dict.fromkeys(systems, float("inf"))
    for _ in range(repeat):
        for name, fn in systems.items():
            t0, c0 = time.perf_counter(), time.process_time()
            for h in htmls:
                fn(h)
            wall[name] = min(wall[name], time.perf_counter() - t0)
            cpu[name] = min(cpu[name], time.process_time() - c0)
    n, size = len(htmls), mb(htmls)
    ref, ours = systems
    return [
        f"HTML pipeline vs trafilatura alone: {n} dev pages, {size:.2f} MB of HTML, whole passes alternating, "
        f"best of {repeat} each.",
        "",
        "| system | docs/s | MB/s | ms/page (wall) | ms/page (CPU) | ratio (wall) | ratio (CPU) |",
        "|---|---|---|---|---|---|---|",
        *(f"| {k} | {n / wall[k]:,.1f} | {size / wall[k]:.2f} | {wall[k] * 1000 / n:.1f} | {cpu[k] * 1000 / n:.1f} | "
          + (f"{wall[ref] / wall[k]:.2f} | {cpu[ref] / cpu[k]:.2f} |" if k == ours else " | |") for k in systems),
        "",
    ]


def scale_report(texts: list[str], tmp: Path, docs: int, rounds: int = 3) -> list[str]:
    """`cleaner clean --workers 1` vs `--workers 2` on a generated JSONL of ``docs`` records, alternating,
    best of ``rounds`` runs each (the headline: 3,000 documents, 3 rounds)."""
    src = tmp / "scale.jsonl"
    _, scale_bytes = generate_jsonl(src, texts, float("inf"), docs=docs)
    scale_mb = scale_bytes / 1e6
    times = {1: float("inf"), 2: float("inf")}
    cpus = {1: float("inf"), 2: float("inf")}
    loads = [load_average()]
    runs: dict[int, list[float]] = {1: [], 2: []}
    # 1 and 2 workers alternate, best of ``rounds`` each: a single pair moved by 10% between runs, and a
    # shared machine only ever slows a run down, so the best run is the one least disturbed.
    for _ in range(rounds):
        for w in (1, 2):
            t0, c0 = time.perf_counter(), _children_cpu()
            p = cli(["clean", str(src), "-o", str(tmp / f"w{w}.jsonl"), "-q", "--workers", str(w)])
            runs[w].append(time.perf_counter() - t0)
            times[w] = min(times[w], runs[w][-1])
            cpus[w] = min(cpus[w], _children_cpu() - c0)
            assert p.returncode in (0, 1), p.stderr[-500:]
            loads.append(load_average())
    same = (tmp / "w1.jsonl").read_bytes() == (tmp / "w2.jsonl").read_bytes()
    pairs = sorted(a / b for a, b in zip(runs[1], runs[2], strict=True))
    median = statistics.median(pairs)
    return [
        f"Workers ({docs} documents, {scale_mb:.1f} MB JSONL, `cleaner clean --workers N`, "
        f"whole command, best of {rounds} alternating runs): 1 worker {times[1]:.1f} s "
        f"({scale_mb / times[1]:.2f} MB/s), 2 workers "
        f"{times[2]:.1f} s ({scale_mb / times[2]:.2f} MB/s): speed-up {times[1] / times[2]:.2f}x on "
        f"{os.cpu_count()} cores; outputs identical: {same}. CPU of the whole command (user + sys of "
        f"the process and the workers it reaped, best run): 1 worker {cpus[1]:.1f} s, 2 workers "
        f"{cpus[2]:.1f} s; load average {load_average()} after the runs (before and after each run: "
        f"{' '.join(loads)}). Every run, in order: 1 worker {' '.join(f'{t:.2f}' for t in runs[1])} s; "
        f"2 workers {' '.join(f'{t:.2f}' for t in runs[2])} s; the pairs' ratios (each 1-worker run over the "
        f"2-worker run after it) {min(pairs):.2f}-{max(pairs):.2f}x, median {median:.2f}x.",
        "",
    ]


def compile_package() -> None:
    """Write the package's bytecode before any timing, as an installed package has it (pip compiles on install).

    Without it, a tree run with ``PYTHONDONTWRITEBYTECODE`` (or one whose ``.pyc`` files are older than its
    sources) recompiles every changed module in every command the benchmark starts: ~30 ms more start-up in
    each ``cleaner clean`` of the workers measurement."""
    import compileall

    import cleaner

    compileall.compile_dir(str(Path(cleaner.__file__).parent), quiet=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    ap.add_argument("--limit", type=int, default=None, help="use only the first N dev pages")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs for every in-process timing")
    ap.add_argument("--mem-gb", type=float, default=0.5,
                    help="size in GB of the generated plain-text streaming input (default 0.5; 0: skip)")
    ap.add_argument("--scale-docs", type=int, default=3000, help="documents for the workers 1 vs 2 run (0: skip)")
    ap.add_argument("--scale-rounds", type=int, default=3,
                    help="alternating 1/2-worker rounds of that run, best of them (default 3)")
    ap.add_argument("--only-scale", action="store_true", help="run only the workers 1 vs 2 measurement")
    ap.add_argument("--write", action="store_true", help="write bench/results/speed.md and rebuild bench/RESULTS.md")
    ap.add_argument("--only-memory", action="store_true", help="run only the streaming-memory measurement")
    ap.add_argument("--mem-html-gb", type=float, default=0.0,
                    help="also stream an HTML JSONL of this many GB (the dev pages, cycled); 0: skip")
    ap.add_argument("--mem-extra", default="", help="extra `cleaner clean` arguments for the memory runs")
    ap.add_argument("--only-html", action="store_true",
                    help="run only trafilatura alone vs the HTML pipeline (alternating, best of --repeat)")
    args = ap.parse_args()
    shared = Path(args.shared)
    compile_package()
    load_start = load_average()
    extra = tuple(args.mem_extra.split())
    if args.only_html:
        print("\n".join(html_ratio(load_pages(shared, args.limit), args.repeat)))
        print(f"Load average {load_start} at the start, {load_average()} at the end. Command: `python bench/speed.py "
              f"--shared ../shared --only-html --repeat {args.repeat}`.")
        return 0
    if args.only_scale:
        pages = load_pages(shared, args.limit)
        with tempfile.TemporaryDirectory() as tmpdir:
            lines = scale_report([p["text"] for p in pages] + seeds(shared), Path(tmpdir), args.scale_docs,
                                 args.scale_rounds)
        lines.append(f"Load average {load_start} at the start, {load_average()} at the end. Command: `python "
                     f"bench/speed.py --shared ../shared --only-scale --scale-docs {args.scale_docs} --scale-rounds "
                     f"{args.scale_rounds}`.")
        print("\n".join(lines))
        return 0
    if args.only_memory:
        pages = load_pages(shared, args.limit)
        lines = []
        with tempfile.TemporaryDirectory() as tmpdir:
            if args.mem_gb > 0:
                lines += memory_report([p["text"] for p in pages] + seeds(shared), args.mem_gb, Path(tmpdir),
                                       extra=extra)
            if args.mem_html_gb > 0:
                lines += memory_report([p["html"] for p in pages], args.mem_html_gb, Path(tmpdir), field="html",
                                       extra=extra)
        lines.append(f"Load average {load_start} at the start, {load_average()} at the end. Command: "
                     f"`python bench/speed.py --shared ../shared --only-memory --mem-gb {args.mem_gb} "
                     f"--mem-html-gb {args.mem_html_gb}" + (f" --mem-extra '{args.mem_extra}'" if extra else "") + "`.")
        print("\n".join(lines))
        return 0

    import ftfy
    import trafilatura
    from langdetect import DetectorFactory, detect

    import cleaner
    from cleaner.config import Config
    from cleaner.pipeline import clean

    DetectorFactory.seed = 0
    pages = load_pages(shared, args.limit)
    texts = [p["text"] for p in pages] + seeds(shared)
    htmls = [p["html"] for p in pages]
    cfg = Config()
    # warm every lazy import and model once, outside the timings
    clean(texts[0], html=False)
    clean(htmls[0], html=True)
    detect("warm up the detector profiles")

    n, size = len(texts), mb(texts)
    rep = args.repeat
    t_ftfy = timed(ftfy.fix_text, texts, rep)
    t_ld = timed(lambda t: detect(t) if t.strip() else None, texts, rep)
    t_clean, stages = stage_times(clean, texts, cfg, rep)
    light = Config(boilerplate=False, garble=False)
    t_light, stages_light = stage_times(clean, texts, light, rep)
    hn, hsize = len(htmls), mb(htmls)
    # the settings cleaner's HTML stage uses (cleaner/html.py), comments as the config says
    t_traf = timed(lambda h: trafilatura.bare_extraction(h, with_metadata=True, include_comments=cfg.html_comments,
                                                         include_tables=True, deduplicate=False), htmls, rep)
    t_chtml = timed(lambda h: clean(h, html=True, config=cfg), htmls, rep)

    def ms_mb(secs: float) -> str:
        return f"{secs * 1000 / size:,.0f}"

    stage_names = [k for k in ("fix_encoding", "language", "boilerplate", "garble") if k in stages]
    lines = [
        "## Throughput (one process, one core)",
        "",
        f"Inputs: {len(pages)} dev pages (+ {n - len(pages)} seeds) as plain text, {size:.2f} MB; "
        f"the same {hn} pages as HTML, {hsize:.2f} MB. Every in-process figure is the best of {rep} runs "
        "in this one process (wall clock).",
        "",
        "| system | docs/s | MB/s | ratio (x faster than the reference) |",
        "|---|---|---|---|",
        row("ftfy.fix_text alone (text)", n, size, t_ftfy),
        row("langdetect alone (text)", n, size, t_ld),
        row("cleaner, full plain-text pipeline", n, size, t_clean, t_ftfy, "ftfy"),
        row("cleaner, plain text without boilerplate and garble", n, size, t_light, t_ftfy, "ftfy"),
        row("trafilatura.bare_extraction alone (HTML)", hn, hsize, t_traf),
        row("cleaner, full HTML pipeline", hn, hsize, t_chtml, t_traf, "trafilatura"),
        "",
        "Plain-text pipeline per stage (ms per MB of input text; best run per stage):",
        "",
        "| stage | ms/MB | share | ms/MB with boilerplate and garble off |",
        "|---|---|---|---|",
    ]
    total_stages = sum(stages.values()) or 1e-9
    for k in stage_names:
        off = ms_mb(stages_light[k]) if k in stages_light else "off"
        lines.append(f"| {k} | {ms_mb(stages[k])} | {stages[k] / total_stages:.0%} | {off} |")
    lines += [
        f"| outside the stages (record building, input checks) | {ms_mb(max(t_clean - total_stages, 0.0))} | | "
        f"{ms_mb(max(t_light - sum(stages_light.values()), 0.0))} |",
        f"| ftfy.fix_text alone, for comparison | {ms_mb(t_ftfy)} | | |",
        f"| langdetect alone, for comparison | {ms_mb(t_ld)} | | |",
        "",
        f"Language stage vs langdetect alone on the same texts: {t_ld / stages['language']:.1f}x faster."
        if "language" in stages else "",
        "",
    ]

    # start-up
    t0 = time.perf_counter()
    cli(["--help"])
    t_help = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        doc = tmp / "doc.txt"
        doc.write_text(texts[-1], encoding="utf-8")
        t0 = time.perf_counter()
        cli(["clean", str(doc), "-q"])
        t_first = time.perf_counter() - t0
        lines += [f"Start-up: `cleaner --help` {t_help:.2f} s; first document in a fresh process "
                  f"(`cleaner clean seed.txt`) {t_first:.2f} s.", ""]

        if args.scale_docs:
            lines += scale_report(texts, tmp, args.scale_docs, args.scale_rounds)

        if args.mem_gb > 0:
            lines += memory_report(texts, args.mem_gb, tmp, extra=extra)
        if args.mem_html_gb > 0:
            lines += memory_report(htmls, args.mem_html_gb, tmp, field="html", extra=extra)

    cpu = platform.processor() or platform.machine()
    lines += [f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
              f"cleaner {cleaner.__version__}; load average {load_start} at the start, {load_average()} at the end "
              f"(other jobs share the machine unless it was quiet). Command: `python bench/speed.py --shared "
              f"../shared --mem-gb {args.mem_gb} --mem-html-gb {args.mem_html_gb} --repeat {rep}` "
              "(`make bench-speed`)."]
    report = "\n".join(lines)
    print(report)
    if args.write:
        from results import replace_section  # bench/results.py

        replace_section("Throughput", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
