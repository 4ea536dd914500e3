"""Run every fuzz target for a fixed time and summarise executions and findings.

    python fuzz/run.py [--seconds 60] [--targets decode,html,reader] [--out fuzz/findings]

Each target runs in its own process (atheris + libFuzzer, coverage-guided) from a small seed
corpus written here (HTML pages, JSONL lines, gzip members, legacy-encoded bytes), with a
per-input time limit (a slower input is a hang finding) and a memory limit.  Prints a markdown
table and writes ``<out>/summary.json``; crash inputs are kept as ``<out>/<target>-crash-*``.
Exit status 1 when any target crashed or hung.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

ARTICLE = ("The regional water authority said on Tuesday that reservoir levels had recovered. "
           "Officials expect no restrictions this summer.\n")


def seeds(target: str) -> dict[str, bytes]:
    """A few valid inputs of each shape so the fuzzer starts from deep paths."""
    html = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Water</title></head><body><nav>Home | News"
            "</nav><article><h1>Reservoirs</h1><p>" + ARTICLE + "</p><p>Share</p></article><footer>© 2024"
            "</footer></body></html>")
    if target == "decode":
        return {
            "utf8": "Café déjà vu — “quotes” 中文 العربية\n".encode(),
            "cp1252": "Café “quotes” naïve – ok\n".encode("cp1252"),
            "gbk": "这是一个简单的中文句子。".encode("gbk"),
            "sjis": "これは日本語の文章です。".encode("shift_jis"),
            "utf16": "Hello world".encode("utf-16"),
            "bom8": b"\xef\xbb\xbfHello",
            "koi8": "Привет мир".encode("koi8-r"),
            "mix": "Café".encode() + "Café".encode("latin-1"),
        }
    if target == "html":
        return {
            "page": html.encode(),
            "xxe": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><html><body><p>&a;' + ARTICLE.encode()
            + b"</p></body></html>",
            "deep": b"<html><body>" + b"<div>" * 300 + ARTICLE.encode() + b"</div>" * 300 + b"</body></html>",
            "meta": b"<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>"
            b"</head><body><p>\xcf\xf0\xe8\xe2\xe5\xf2</p></body></html>",
            "table": b"<table><tr><td>a</td><td>" + ARTICLE.encode() + b"</td></tr></table>",
        }
    lines = [json.dumps({"id": 1, "text": ARTICLE}), json.dumps({"id": "h", "html": html}), "{not json",
             "[1, 2]", json.dumps({"id": 3}), '{"id": 4, "text": "lone \\ud800"}', '{"id": 1e999, "text": "x"}']
    jsonl = ("\n".join(lines) + "\n").encode()
    return {"jsonl": jsonl, "gz": gzip.compress(jsonl), "crlf": jsonl.replace(b"\n", b"\r\n"),
            "long": b'{"id": 5, "text": "' + b"x" * 600 + b'"}\n{"id": 6, "text": "after"}\n'}


def run_target(target: str, seconds: int, out: Path, per_input_timeout: int) -> dict[str, object]:
    corpus = out / f"corpus-{target}"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, data in seeds(target).items():
        (corpus / f"seed-{name}").write_bytes(data)
    contained = out / f"{target}-contained.jsonl"
    contained.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "CLEANER_FUZZ_CONTAINED": str(contained)}
    cmd = [sys.executable, str(HERE / "targets.py"), target, f"-max_total_time={seconds}",
           f"-timeout={per_input_timeout}", "-rss_limit_mb=3072", "-max_len=65536", "-print_final_stats=1",
           f"-artifact_prefix={out}/{target}-", str(corpus)]
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                       timeout=seconds + 300)
    wall = time.monotonic() - t0
    log = p.stdout + p.stderr
    (out / f"{target}.log").write_text(log[-200_000:])
    stat = dict(re.findall(r"stat::(\w+):\s*(\d+)", log))
    execs = int(stat.get("number_of_executed_units", 0)) or int((re.findall(r"#(\d+)\s", log) or ["0"])[-1])
    cov = re.findall(r"cov: (\d+) ft: (\d+)", log)
    artifacts = sorted(x.name for x in out.glob(f"{target}-*") if re.match(rf"{target}-(crash|timeout|oom|leak)-",
                                                                           x.name))
    findings = []
    if contained.exists():
        findings = [json.loads(x) for x in contained.read_text().splitlines() if x.strip()]
    error = None
    m = re.search(r"(Uncaught Python exception:.*?)(?:\n\n|==\d+==)", log, re.S)
    if m:
        error = m.group(1)[-1500:]
    return {"target": target, "seconds": round(wall, 1), "executions": execs,
            "execs_per_s": round(execs / max(wall, 1e-9), 1),
            "coverage": int(cov[-1][0]) if cov else None, "features": int(cov[-1][1]) if cov else None,
            "corpus": len(list(corpus.iterdir())), "crashes": artifacts, "crash_trace": error,
            "contained": [{k: f[k] for k in ("where", "type", "message", "at")} for f in findings],
            "exit": p.returncode}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=60, help="fuzzing time per target (default 60)")
    ap.add_argument("--targets", default="decode,html,reader")
    ap.add_argument("--timeout", type=int, default=10, help="seconds one input may take (default 10)")
    ap.add_argument("--out", type=Path, default=HERE / "findings")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = [run_target(t, args.seconds, args.out, args.timeout) for t in args.targets.split(",")]
    (args.out / "summary.json").write_text(json.dumps(results, indent=1))
    print("| target | seconds | executions | execs/s | coverage (edges) | corpus | crashes/hangs | contained |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        crashes = ", ".join(r["crashes"]) or "none"  # type: ignore[arg-type]
        contained = "; ".join(f"{c['where']}: {c['type']}" for c in r["contained"]) or "none"  # type: ignore[attr-defined]
        print(f"| {r['target']} | {r['seconds']} | {r['executions']} | {r['execs_per_s']} | {r['coverage']} "
              f"| {r['corpus']} | {crashes} | {contained} |")
    for r in results:
        if r["crash_trace"]:
            print(f"\n{r['target']}: {r['crash_trace']}")
    return 1 if any(r["crashes"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
