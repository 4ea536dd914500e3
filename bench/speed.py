#!/usr/bin/env python3
"""Throughput and scale benchmark: cleaner against its own dependencies, in one run.

Measures, on the plain-text and HTML pages of ../shared/bench/boilerplate/dev.jsonl.gz
plus the seed documents:
  - ftfy.fix_text alone, langdetect alone, trafilatura.extract alone (same settings
    as cleaner's HTML stage), and cleaner's full plain-text and HTML pipelines, each
    as documents/s and MB/s (UTF-8 bytes of input), with ratios against the peers;
  - the share of time per stage;
  - `cleaner --help` and the first document in a fresh process;
  - `cleaner clean --workers 1` vs `--workers 2` on the same generated JSONL;
  - peak memory (RSS of the whole process tree) while cleaning a generated JSONL
    file of --mem-gb gigabytes with 2 workers.
Prints a markdown report; with --write, replaces the "Throughput" section of
bench/RESULTS.md.

    python bench/speed.py --shared ../shared [--mem-gb 1] [--write]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
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


def row(name: str, n: int, size: float, secs: float, ref: float | None = None) -> str:
    ratio = f"{ref / secs:.2f}" if ref else ""
    return f"| {name} | {n / secs:,.1f} | {size / secs:.2f} | {ratio} |"


def peak_rss_tree(proc: subprocess.Popen, stop: threading.Event, out: list[int]) -> None:
    """Poll the summed RSS of ``proc`` and its children (Linux /proc)."""
    peak = 0
    while not stop.is_set():
        total = 0
        pids = [proc.pid]
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            pids += [int(c) for c in children]
            for c in children:
                try:
                    pids += [int(x) for x in Path(f"/proc/{c}/task/{c}/children").read_text().split()]
                except OSError:
                    pass
        except OSError:
            pass
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        peak = max(peak, total)
        time.sleep(0.05)
    out.append(peak)


def cli(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cleaner", *args], capture_output=True, **kw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(REPO / ".." / "shared"))
    ap.add_argument("--limit", type=int, default=None, help="use only the first N dev pages")
    ap.add_argument("--mem-gb", type=float, default=1.0, help="size of the generated streaming input (0: skip)")
    ap.add_argument("--scale-docs", type=int, default=2000, help="documents for the workers 1 vs 2 run")
    ap.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = ap.parse_args()
    shared = Path(args.shared)

    import ftfy
    import trafilatura
    from langdetect import DetectorFactory, detect

    import cleaner
    from cleaner.config import Config

    DetectorFactory.seed = 0
    pages = load_pages(shared, args.limit)
    texts = [p["text"] for p in pages] + seeds(shared)
    htmls = [p["html"] for p in pages]
    cfg = Config()
    # warm every lazy import and model once, outside the timings
    cleaner.clean(texts[0], html=False)
    cleaner.clean(htmls[0], html=True)
    detect("warm up the detector profiles")

    n, size = len(texts), mb(texts)
    t_ftfy = timed(ftfy.fix_text, texts)
    t_ld = timed(lambda t: detect(t) if t.strip() else None, texts)
    stage_totals: dict[str, float] = {}

    def run_text(t: str) -> None:
        r = cleaner.clean(t, html=False, config=cfg)
        for k, v in r.doc.timings.items():
            stage_totals[k] = stage_totals.get(k, 0.0) + v

    t_clean = timed(run_text, texts)
    hn, hsize = len(htmls), mb(htmls)
    t_traf = timed(lambda h: trafilatura.bare_extraction(h, with_metadata=True, include_comments=False,
                                                         include_tables=True, deduplicate=False), htmls)
    t_chtml = timed(lambda h: cleaner.clean(h, html=True, config=cfg), htmls)

    lines = [
        "## Throughput (one process, one core)",
        "",
        f"Inputs: {len(pages)} dev pages (+ {n - len(pages)} seeds) as plain text, {size:.2f} MB; "
        f"the same {hn} pages as HTML, {hsize:.2f} MB.",
        "",
        "| system | docs/s | MB/s | ratio (x faster than the reference) |",
        "|---|---|---|---|",
        row("ftfy.fix_text alone (text)", n, size, t_ftfy),
        row("langdetect alone (text)", n, size, t_ld),
        row("cleaner, full plain-text pipeline", n, size, t_clean, t_ftfy) + " vs ftfy",
        row("trafilatura.bare_extraction alone (HTML)", hn, hsize, t_traf),
        row("cleaner, full HTML pipeline", hn, hsize, t_chtml, t_traf) + " vs trafilatura",
        "",
        "Plain-text pipeline, share of time per stage: "
        + ", ".join(f"{k} {v / max(sum(stage_totals.values()), 1e-9):.0%}" for k, v in
                    sorted(stage_totals.items(), key=lambda kv: -kv[1])),
        "",
    ]

    # start-up
    t0 = time.perf_counter()
    cli(["--help"])
    t_help = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "doc.txt"
        doc.write_text(texts[-1], encoding="utf-8")
        t0 = time.perf_counter()
        cli(["clean", str(doc), "-q"])
        t_first = time.perf_counter() - t0
        lines += [f"Start-up: `cleaner --help` {t_help:.2f} s; first document in a fresh process "
                  f"(`cleaner clean seed.txt`) {t_first:.2f} s.", ""]

        # workers scaling
        src = Path(tmp) / "scale.jsonl"
        with open(src, "w", encoding="utf-8") as f:
            for i in range(args.scale_docs):
                f.write(json.dumps({"id": i, "text": texts[i % len(texts)]}, ensure_ascii=False) + "\n")
        scale_mb = src.stat().st_size / 1e6
        times = {}
        for w in (1, 2):
            t0 = time.perf_counter()
            p = cli(["clean", str(src), "-o", str(Path(tmp) / f"w{w}.jsonl"), "-q", "--workers", str(w)])
            times[w] = time.perf_counter() - t0
            assert p.returncode in (0, 1), p.stderr[-500:]
        same = (Path(tmp) / "w1.jsonl").read_bytes() == (Path(tmp) / "w2.jsonl").read_bytes()
        lines += [
            f"Workers ({args.scale_docs} documents, {scale_mb:.1f} MB JSONL, `cleaner clean --workers N`, "
            f"whole command): 1 worker {times[1]:.1f} s ({scale_mb / times[1]:.2f} MB/s), 2 workers "
            f"{times[2]:.1f} s ({scale_mb / times[2]:.2f} MB/s): speed-up {times[1] / times[2]:.2f}x on "
            f"{os.cpu_count()} cores; outputs identical: {same}.",
            "",
        ]

        if args.mem_gb > 0:
            big = Path(tmp) / "big.jsonl"
            target = args.mem_gb * 1e9
            written = 0
            with open(big, "w", encoding="utf-8") as f:
                i = 0
                while written < target:
                    line = json.dumps({"id": i, "text": texts[i % len(texts)]}, ensure_ascii=False) + "\n"
                    f.write(line)
                    written += len(line.encode("utf-8"))
                    i += 1
            stop = threading.Event()
            peak: list[int] = []
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "cleaner", "clean", str(big), "-o",
                                     str(Path(tmp) / "big.out.jsonl"), "-q", "--workers", "2"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            th = threading.Thread(target=peak_rss_tree, args=(proc, stop, peak))
            th.start()
            proc.wait()
            stop.set()
            th.join()
            dt = time.perf_counter() - t0
            out_lines = sum(1 for _ in open(Path(tmp) / "big.out.jsonl", "rb"))
            lines += [
                f"Streaming memory: {written / 1e9:.2f} GB JSONL ({i} documents) cleaned with 2 workers in "
                f"{dt:.0f} s ({written / 1e6 / dt:.2f} MB/s); peak RSS of the whole process tree "
                f"{peak[0] / 1e6:.0f} MB; {out_lines} output records for {i} input records.",
                "",
            ]

    cpu = platform.processor() or platform.machine()
    lines += [f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
              f"cleaner {cleaner.__version__}. Command: `python bench/speed.py --shared ../shared "
              f"--mem-gb {args.mem_gb}` (`make bench-speed`)."]
    report = "\n".join(lines)
    print(report)
    if args.write:
        from results import replace_section  # bench/results.py

        replace_section("Throughput", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
