"""Hostile-input benchmark: every case through the real CLI, with outcome, time and peak memory.

    python bench/hostile.py [--fuzz-seconds 0] [--out bench/results/hostile.md]

Each case is a fresh ``python -m cleaner clean ...`` process on generated input (nothing
large is stored), so its peak RSS (``wait4`` rusage) and wall time are its own, start-up
included (its imports and models).  The outcome is read from the output record(s) and compared with
the expected one.  Then the kill -9 / --resume check (tests/test_resume_kill.py's procedure,
at 4 kill points, for .jsonl, .jsonl.gz and --workers 2) and, if ``fuzz/findings/summary.json``
exists or ``--fuzz-seconds`` > 0, the fuzzing table.  Writes markdown to ``--out`` and stdout.
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
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from hostile._gen import ARTICLE, BINARIES, HTML_ARTICLE, gzip_bomb, write_jsonl  # noqa: E402

A1 = ARTICLE.replace("\n", " ")


def _run(args: list[str]) -> tuple[int, float, float, str]:
    """Like _cli but measuring the child's own peak RSS via wait4 before Popen reaps it."""
    env = {"PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as eout:
        pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "cleaner", "clean", *args, "-q"], env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, eout.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, eout.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
        eout.seek(0)
        tail = eout.read()[-300:].decode(errors="replace")
    return os.waitstatus_to_exitcode(status), time.monotonic() - t0, usage.ru_maxrss / 1024, tail


def _records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return [json.loads(x) for x in data.decode("utf-8").splitlines() if x.strip()]


def _outcome(recs: list[dict]) -> str:
    parts = []
    for r in recs:
        e = r.get("error")
        parts.append(e["type"] if e else f"ok ({len(r.get('text') or '')} chars)")
    if len(parts) > 4:
        from collections import Counter

        counts = Counter("ok" if p.startswith("ok") else p for p in parts)
        return ", ".join(f"{n} {k}" for k, n in counts.items()) + f" (last: {parts[-1]})"
    return "; ".join(parts) if parts else "no record"


Case = tuple[str, str, Callable[[Path], list[str]], Callable[[list[dict], int], bool], str]


def _jsonl_case(lines: list[object]) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        inp = write_jsonl(tmp / "in.jsonl", lines)
        return [str(inp), "-o", str(tmp / "out.jsonl"), "--workers", "1"]
    return make


def _file_case(name: str, data: bytes | Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        f = tmp / name
        if callable(data):
            data(f)
        else:
            f.write_bytes(data)
        return [str(f), "-o", str(tmp / "out.jsonl"), "--workers", "1"]
    return make


def _big_line(tmp: Path, mb: int) -> None:
    with open(tmp, "wb") as f:
        f.write(json.dumps({"id": "before", "text": ARTICLE}).encode() + b"\n")
        f.write(b'{"id": "big", "text": "')
        block = b"abcdefghij" * 100_000
        for _ in range(mb):
            f.write(block)
        f.write(b'"}\n' + json.dumps({"id": "after", "text": ARTICLE}).encode() + b"\n")


def _tree_case(tmp: Path) -> list[str]:
    src = tmp / "src"
    src.mkdir()
    write_jsonl(src / "r.jsonl", [{"id": i, "text": ARTICLE} for i in ("../x", "/tmp/abs", "a\x00b", "x" * 300, "ok")])
    return [str(src), "-o", str(tmp / "outdir"), "--workers", "1"]


def _fifo_case(tmp: Path) -> list[str]:
    src = tmp / "src"
    src.mkdir()
    (src / "a.txt").write_text(ARTICLE)
    os.mkfifo(src / "x.txt")
    return [str(src), "-o", str(tmp / "outdir"), "--workers", "1"]


def _gz_truncated(path: Path) -> None:
    payload = gzip.compress(b"".join(b'{"id": %d, "text": "hello world"}\n' % i for i in range(3000)))
    path.write_bytes(payload[: len(payload) // 2])


def _gz_corrupt(path: Path) -> None:
    payload = bytearray(gzip.compress(b"".join(b'{"id": %d, "text": "hello world"}\n' % i for i in range(3000))))
    for i in range(len(payload) // 2, len(payload) // 2 + 64):
        payload[i] ^= 0x5A
    path.write_bytes(bytes(payload))


def _errors(*types: str | None) -> Callable[[list[dict], int], bool]:
    def check(recs: list[dict], code: int) -> bool:
        got = [(r.get("error") or {}).get("type") for r in recs]
        return got == list(types)
    return check


def _contains(*needles: str) -> Callable[[list[dict], int], bool]:
    def check(recs: list[dict], code: int) -> bool:
        return len(recs) == 1 and not recs[0].get("error") and all(n in recs[0]["text"] for n in needles)
    return check


laughs = "".join(f'<!ENTITY l{i} "' + (f"&l{i - 1};" if i > 1 else "lol") * 10 + '">' for i in range(1, 10))
CASES: list[Case] = [
    ("empty input", "empty .txt file", _file_case("e.txt", b""), _errors(None), "empty record, no error"),
    ("whitespace only", "' \\t\\n' x 1000", _file_case("w.txt", b" \t\n" * 1000), _errors(None),
     "record with blank text, no error"),
    *[(f"binary: {k}", f"{len(v)} bytes", _file_case(f"{k}.bin", v), _errors("BinaryInput"), "BinaryInput error")
      for k, v in BINARIES.items()],
    ("NUL bytes", "text with 3 NULs", _file_case("n.txt", b"The council\x00 met.\x00\x00 " + ARTICLE.encode()),
     _contains("reservoir"), "text kept"),
    ("NUL-only string", "200 x \\u0000 in JSON", _jsonl_case(['{"id": 1, "text": "' + "\\u0000" * 200 + '"}']),
     _errors("BinaryInput"), "BinaryInput error"),
    ("invalid UTF-8", "bytes ff fe fa c3 28", _file_case("u.txt", ARTICLE.encode() + b"\xff\xfe\xfa \xc3\x28 x\n"),
     _contains("reservoir"), "decoded, text kept"),
    ("lone surrogates", "JSON \\ud800 / \\udfff", _jsonl_case(['{"id": 1, "text": "a \\ud800 b \\udfff ' + A1 + '"}']),
     _contains("\ufffd", "reservoir"), "replaced by U+FFFD, reported"),
    ("JSONL line not JSON", "{this is not json", _jsonl_case([b"{this is not json"]), _errors("InvalidLine"),
     "InvalidLine error"),
    ("non-object line", "[1, 2, 3]", _jsonl_case(["[1, 2, 3]"]), _errors("InvalidRecord"), "InvalidRecord error"),
    ("missing text field", '{"id": 1}', _jsonl_case([{"id": 1}]), _errors("MissingText"), "MissingText error"),
    ("non-string text", '{"text": 12345}', _jsonl_case([{"id": 1, "text": 12345}]), _errors("InvalidText"),
     "InvalidText error"),
    ("JSON nested 100k deep", "[[[[...]]]]", _jsonl_case(["[" * 100_000 + "]" * 100_000]), _errors("InvalidLine"),
     "InvalidLine error"),
    ("5000-digit integer", '{"id": 777...}', _jsonl_case(['{"id": ' + "7" * 5000 + ', "text": "x"}']),
     _errors("InvalidLine"), "InvalidLine error"),
    ("100 MB single line", "JSONL, 1e8-char text", _file_case("big.jsonl", lambda p: _big_line(p, 100)),
     _errors(None, "DocumentTooLarge", None), "neighbours ok, DocumentTooLarge"),
    ("100 MB line over the line limit", "same, --max-bytes 10 MB",
     lambda t: [*_file_case("big.jsonl", lambda p: _big_line(p, 100))(t), "--max-bytes", "10000000"],
     _errors(None, "InvalidLine", None), "skipped in chunks, InvalidLine"),
    ("a million 1-char lines", "'a\\n' x 1e6 (.txt)", _file_case("m.txt", b"a\n" * 1_000_000), _contains("a"),
     "cleaned"),
    ("HTML nested 100,000 deep", "<div> x 1e5", _file_case("d.html", b"<html><body><p>Top.</p>" + b"<div>" * 100_000
                                                         + b"deep" + b"</div>" * 100_000 + b"</body></html>"),
     _errors(None), "valid record (lxml drops depth > 255)"),
    ("huge <script>", "12 MB script", _file_case("s.html", HTML_ARTICLE.replace(
        "</article>", "</article><script>" + "var a = 'x';" * 1_000_000 + "</script>").encode()),
     _contains("reservoir"), "article only"),
    ("gzip bomb", "8 GiB of zeros, no newline, in 8 MB", lambda t: [str(gzip_bomb(t / "bomb.jsonl.gz")), "-o",
                                                                  str(t / "out.jsonl"), "--workers", "1"],
     _errors("InvalidLine"), "stops at the limit: InvalidLine"),
    ("gzip bomb of newlines", "8 GiB of '\\n' (8.6e9 blank lines)", lambda t: [
        str(gzip_bomb(t / "nl.jsonl.gz", byte=b"\n")), "-o", str(t / "out.jsonl"), "--workers", "1"],
     _errors("InvalidLine"), "stops after 1e6 blank lines"),
    ("FIFO in a folder input", "named pipe x.txt next to a.txt", _fifo_case,
     lambda recs, code: [r["id"] for r in recs] == ["a.txt"], "skipped, not waited on"),
    ("truncated .gz", "3000 records, cut in half", _file_case("t.jsonl.gz", _gz_truncated),
     lambda recs, code: len(recs) > 100 and (recs[-1].get("error") or {}).get("type") == "InvalidLine"
     and not any(r.get("error") for r in recs[:-1]), "records read so far + 1 error"),
    ("corrupt .gz", "64 bytes flipped mid-stream", _file_case("c.jsonl.gz", _gz_corrupt),
     lambda recs, code: (recs[-1].get("error") or {}).get("type") == "InvalidLine", "records so far + 1 error"),
    ("right-to-left text", "Arabic, Hebrew, U+202E",
     _file_case("r.txt", "مرحبا بالعالم، هذا نص عربي.\n\u202eevil\u202c שלום עולם זה טקסט.\n".encode()),
     _contains("مرحبا", "\u202e"), "kept as is"),
    ("combining marks", "Z + 30,000 marks", _file_case("z.txt", ("Z" + "\u0301\u0308\u0323" * 10_000 + " "
                                                                 + ARTICLE).encode()),
     _contains("reservoir"), "kept"),
    ("100,000-character words", "x * 1e5 + article", _file_case("x.txt", ("x" * 100_000 + " " + ARTICLE).encode()),
     _contains("reservoir"), "kept"),
    ("billion laughs", "9 levels x 10", _file_case("b.html", (f'<?xml version="1.0"?><!DOCTYPE l [{laughs}]><html>'
                                                             f"<body><article><p>{ARTICLE}&l9;</p></article>"
                                                             "</body></html>").encode()),
     _contains("reservoir"), "no expansion, article kept"),
    ("external entity (XXE)", "SYSTEM file:///etc/passwd", _file_case("x.html", (
        '<?xml version="1.0"?><!DOCTYPE h [<!ENTITY x SYSTEM "file:///etc/passwd">]><html><body><article>'
        f"<p>{ARTICLE}&x;</p></article></body></html>").encode()),
     lambda recs, code: len(recs) == 1 and "root:" not in recs[0]["text"] and "reservoir" in recs[0]["text"],
     "nothing read"),
    ("directory mode, hostile ids", "ids ../x, /abs, NUL, 300 chars, ok", _tree_case,
     lambda recs, code: [r.get("output") for r in recs] == [None, None, None, None, "ok.txt"],
     "no file outside -o DIR"),
    ("per-document timeout", "--timeout 0.001, 1 MB text", lambda t: [
        *_jsonl_case([{"id": "slow", "text": "word " * 200_000}, {"id": "next", "text": ARTICLE}])(t),
        "--timeout", "0.001"],
     lambda recs, code: [r["id"] for r in recs] == ["slow", "next"]
     and recs[0]["error"]["type"] == "DocumentTimeout", "DocumentTimeout, run goes on"),
]


NOTES = [
    "- Outcomes are those of this branch's stages; the language/boilerplate/garble/decode rewrites land",
    "  separately.  Their super-linear regular expressions found by tests/test_regex_safety.py are listed",
    "  there in KNOWN (xfail) and reported to their owners.",
    "- HTML nested deeper than 255 levels: libxml2 stops building the tree there, so deeper text is dropped",
    "  without an error (the record is valid, the text holds what was shallower).",
    "- A corrupt .gz whose damage still inflates yields garbage lines (each an InvalidLine record) until the",
    "  CRC check fails at the end; gzip cannot tell sooner.",
    "- A document that exhausts memory is not limited per worker (no RLIMIT_AS); if the OS kills the worker,",
    "  the runner reports that document as WorkerCrashed and goes on (tests/test_runner.py).",
]


def run_cases() -> list[dict]:
    rows = []
    for name, desc, make, check, expected in CASES:
        with tempfile.TemporaryDirectory(prefix="hostile-") as td:
            tmp = Path(td)
            args = make(tmp)
            code, dt, rss, tail = _run(args)
            recs = _records(tmp / "out.jsonl") or _records(tmp / "outdir" / "report.jsonl")
            if (tmp / "outdir").exists():  # directory mode: nothing may appear outside it
                outside = {p for p in tmp.rglob("*") if (tmp / "outdir") not in p.parents
                           and (tmp / "src") not in p.parents and p.name not in ("outdir", "src")}
                recs = recs if not outside else []
            ok = check(recs, code)
            rows.append({"case": name, "input": desc, "expected": expected, "outcome": _outcome(recs)[:90],
                         "exit": code, "ok": ok, "seconds": round(dt, 2), "peak_rss_mb": round(rss),
                         "tail": "" if ok else tail})
            print(f"{'ok ' if ok else 'BAD'} {name}: {rows[-1]['outcome']} ({dt:.2f} s, {rss:.0f} MB)",
                  file=sys.stderr)
    return rows


def run_kill_resume() -> list[dict]:
    import test_resume_kill as rk

    rows = []
    for name, workers in (("out.jsonl", "1"), ("out.jsonl.gz", "1"), ("out.jsonl", "2")):
        with tempfile.TemporaryDirectory(prefix="hostile-kill-") as td:
            tmp = Path(td)
            t0 = time.monotonic()
            inp = rk._corpus(tmp / "in.jsonl")
            ref = rk._reference(tmp, inp)
            out = tmp / name
            partial = out.with_name(out.name + ".partial")
            args = [str(inp), "-o", str(out), "--workers", workers]
            kills, points = 0, []
            for i, at in enumerate([0, rk.N // 6, rk.N // 2, 5 * rk.N // 6]):
                killed = rk._run_and_kill(args if i == 0 else [*args, "--resume"], partial, at)
                kills += killed
                points.append(rk._lines_on_disk(partial))
            subprocess.run(rk._cmd(*args, "--resume"), env=rk._env(), timeout=600, check=True)
            same = rk._read(out) == ref.read_bytes()
            ids = [json.loads(x)["id"] for x in rk._read(out).splitlines()]
            rows.append({"output": name, "workers": workers, "kills": kills, "lines_on_disk_at_kills": points,
                         "identical": same, "exactly_once": ids == list(range(rk.N)),
                         "seconds": round(time.monotonic() - t0, 1)})
    return rows


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
        model = next((x.split(":", 1)[1].strip() for x in lscpu if x.startswith("Model name")), "?")
    except OSError:
        model = "?"
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "hostile.md")
    ap.add_argument("--fuzz-seconds", type=int, default=0, help="also run fuzz/run.py for this long per target")
    ap.add_argument("--shared", help="unused (the cases are generated); accepted for symmetry with other benches")
    args = ap.parse_args()
    rows = run_cases()
    kill = run_kill_resume()
    fuzz_md = ""
    if args.fuzz_seconds:
        p = subprocess.run([sys.executable, str(REPO / "fuzz" / "run.py"), "--seconds", str(args.fuzz_seconds)],
                           capture_output=True, text=True)
        fuzz_md = p.stdout
    elif (REPO / "fuzz" / "findings" / "summary.json").exists():
        res = json.loads((REPO / "fuzz" / "findings" / "summary.json").read_text())
        fuzz_md = ("| target | seconds | executions | coverage (edges) | crashes/hangs | contained |\n"
                   "|---|---:|---:|---:|---|---|\n")
        for r in res:
            fuzz_md += (f"| {r['target']} | {r['seconds']} | {r['executions']} | {r['coverage']} | "
                        f"{', '.join(r['crashes']) or 'none'} | "
                        f"{'; '.join(c['where'] + ': ' + c['type'] for c in r['contained']) or 'none'} |\n")
    lines = [
        "# Hostile input, crash safety, fuzzing",
        "",
        f"Machine: {machine()}; shared with other jobs, so times are indicative.  Each case is a fresh",
        "`python -m cleaner clean` process (its start-up included in the time); peak RSS is that",
        "process's own (`wait4`).",
        "",
        "Reproduce: `python bench/hostile.py` (fuzzing: `python fuzz/run.py --seconds 120`).",
        "",
        "| case | input | expected | outcome | met | exit | time s | peak RSS MB |",
        "|---|---|---|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['case']} | {r['input']} | {r['expected']} | {r['outcome']} | {'yes' if r['ok'] else 'NO'} "
                     f"| {r['exit']} | {r['seconds']} | {r['peak_rss_mb']} |")
    lines += ["", f"Cases met: {sum(r['ok'] for r in rows)}/{len(rows)}.", "",
              "## kill -9 and --resume", "",
              "3000 records, SIGKILL to the process group at start-up and after ~1/6, 1/2, 5/6 of the records",
              "are on disk, `--resume` each time, then a final `--resume`; compared byte for byte with an",
              "uninterrupted `--workers 1` run.", "",
              "| output | workers | kills | lines on disk at each kill | byte-identical | each record once | time s |",
              "|---|---:|---:|---|---|---|---:|"]
    for k in kill:
        lines.append(f"| {k['output']} | {k['workers']} | {k['kills']} | {k['lines_on_disk_at_kills']} | "
                     f"{'yes' if k['identical'] else 'NO'} | {'yes' if k['exactly_once'] else 'NO'} | {k['seconds']} |")
    if fuzz_md:
        lines += ["", "## Fuzzing (atheris, coverage-guided)", "",
                  "Targets in `fuzz/targets.py` (decode; clean(html=True) + html.extract; iter_lines + "
                  "parse_json_line + clean_record + dumps, plain and gzip), with cleaner, charset_normalizer, "
                  "ftfy and trafilatura instrumented; 10 s per-input limit (a slower input counts as a hang).",
                  "", fuzz_md.strip()]
    lines += ["", "## Notes", "", *NOTES]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0 if all(r["ok"] for r in rows) and all(k["identical"] and k["exactly_once"] for k in kill) else 1


if __name__ == "__main__":
    sys.exit(main())
