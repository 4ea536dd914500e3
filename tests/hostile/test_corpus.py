"""Count in = count out: a mixed corpus of good and bad records through the real CLI."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from ._gen import ARTICLE, mixed_corpus, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "cleaner", "clean", *args, "-q"], capture_output=True,
                          timeout=timeout, env=env)


def _read(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


EXPECTED_ERRORS = {
    1: "InvalidLine", 3: "InvalidRecord", 4: "InvalidRecord", 5: "InvalidRecord", 6: "InvalidRecord",
    7: "MissingText", 8: "InvalidText", 9: "InvalidText", 10: "MissingText", 11: "InvalidText",
    19: "BinaryInput", 20: "InvalidLine", 21: "InvalidLine", 29: "BinaryInput",
}


@pytest.mark.parametrize(("workers", "copies"), [("1", 1), ("2", 2)])
def test_every_record_comes_out_once_in_order(tmp_path, workers: str, copies: int) -> None:
    lines = mixed_corpus() * copies  # twice: > 32 tasks, so --workers 2 really uses the pool
    inp = write_jsonl(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    p = _cli(str(inp), "-o", str(out), "--workers", workers)
    assert p.returncode == 1, p.stderr.decode()[-2000:]  # some records had errors
    recs = _read(out)
    assert len(recs) == len(lines)
    n = len(lines) // copies
    for i, rec in enumerate(recs):
        want = EXPECTED_ERRORS.get(i % n)
        got = (rec.get("error") or {}).get("type")
        assert got == want, (i, rec.get("id"), rec.get("error"))
    by_id = {r["id"]: r for r in recs if isinstance(r.get("id"), str)}
    assert by_id["g0"]["source"] == "feed"  # other fields pass through
    assert "\ufffd" in by_id["surrogate"]["text"] and "reservoir" in by_id["badutf8"]["text"]
    assert by_id["inf"]["score"] is None  # 1e999 -> inf -> null, strict JSON
    assert by_id["bom"]["text"].startswith("The regional")
    assert "reservoir" in by_id["html"]["text"]


def test_rejects_split_the_records_without_loss(tmp_path) -> None:
    lines = mixed_corpus()
    inp = write_jsonl(tmp_path / "in.jsonl", lines)
    out, rej = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    p = _cli(str(inp), "-o", str(out), "--rejects", str(rej), "--workers", "1")
    assert p.returncode == 1
    good, bad = _read(out), _read(rej)
    assert len(good) + len(bad) == len(lines)
    assert len(bad) == len(EXPECTED_ERRORS) and all(r["error"] for r in bad)
    assert not any(r.get("error") for r in good)


def test_timeout_is_an_error_and_the_run_goes_on(tmp_path) -> None:
    # A real stall, not a monkeypatch: the record cannot finish within 1 ms of CPU time.
    lines = [{"id": "a", "text": ARTICLE}, {"id": "slow", "text": "word " * 200_000}, {"id": "b", "text": ARTICLE}]
    inp = write_jsonl(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    p = _cli(str(inp), "-o", str(out), "--workers", "1", "--timeout", "0.001")
    recs = _read(out)
    assert [r["id"] for r in recs] == ["a", "slow", "b"]
    assert recs[1]["error"]["type"] == "DocumentTimeout"
    assert p.returncode == 1


@pytest.mark.slow
def test_a_100_mb_single_line_is_streamed_and_rejected(tmp_path) -> None:
    inp = tmp_path / "big.jsonl"
    with open(inp, "wb") as f:
        f.write(json.dumps({"id": "before", "text": ARTICLE}).encode() + b"\n")
        f.write(b'{"id": "big", "text": "')
        block = b"abcdefghij" * 100_000  # 1 MB
        for _ in range(100):
            f.write(block)
        f.write(b'"}\n')
        f.write(json.dumps({"id": "after", "text": ARTICLE}).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    p = _cli(str(inp), "-o", str(out), "--workers", "1")
    assert p.returncode == 1, p.stderr.decode()[-2000:]
    recs = _read(out)
    assert [r["id"] for r in recs] == ["before", "big", "after"]
    assert recs[1]["error"]["type"] == "DocumentTooLarge" and recs[1]["text"] == ""
    assert "error" not in recs[0] and "error" not in recs[2]
    # Memory stays bounded by a few copies of the line (peak RSS of the child, KiB on Linux).
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1_500_000
    # Over the line limit (2 * max_bytes + 4 KiB) the line is skipped in chunks, never held.
    p = _cli(str(inp), "-o", str(out), "--workers", "1", "--max-bytes", "10000000")
    recs = _read(out)
    assert [r["id"] for r in recs] == ["before", None, "after"]
    assert recs[1]["error"]["type"] == "InvalidLine" and "over the limit" in recs[1]["error"]["message"]
