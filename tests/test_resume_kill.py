"""Crash safety: ``kill -9`` a real ``cleaner clean`` run at several points, ``--resume`` it, and
the output is byte for byte the output of an uninterrupted run: every record exactly once.

Kill points are chosen by watching the ``.partial`` file grow (after k records are on disk, for
several k, plus before anything is written), so they land mid-run however loaded the machine
is.  The whole process group is killed, workers included, as the OOM killer or a lost node would.
The heavy stages are switched off: what is under test is the I/O, not the cleaning.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FAST = ["--no-language", "--no-garble", "--no-boilerplate", "-q"]
N = 3000


def _corpus(path: Path, bad_every: int = 0) -> Path:
    rnd = random.Random(6)
    words = "the council approved new budget on monday after long debate water river city school report".split()
    with open(path, "w", encoding="utf-8") as f:
        for i in range(N):
            if bad_every and i % bad_every == 7:
                f.write(f"{{not json at line {i}\n")
                continue
            text = " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 30))).capitalize() + f". Café {i}."
            f.write(json.dumps({"id": i, "text": text, "n": i}) + "\n")
    return path


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "cleaner", "clean", *args, *FAST]


def _env() -> dict[str, str]:
    return {"PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def _lines_on_disk(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def _run_and_kill(args: list[str], partial: Path, at_lines: int, deadline: float = 120) -> bool:
    """Start the CLI, SIGKILL its process group once ``partial`` holds ``at_lines`` lines.

    Returns True if it was killed, False if it finished first.
    """
    proc = subprocess.Popen(_cmd(*args), env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_end = time.monotonic() + deadline
    try:
        while proc.poll() is None and time.monotonic() < t_end:
            if _lines_on_disk(partial) >= at_lines:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.002)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _reference(tmp: Path, inp: Path, *extra: str) -> Path:
    ref = tmp / "reference.jsonl"
    p = subprocess.run(_cmd(str(inp), "-o", str(ref), "--workers", "1", *extra), env=_env(), timeout=300)
    assert p.returncode in (0, 1)
    return ref


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "workers"),
    [("out.jsonl", "1"), ("out.jsonl.gz", "1"), ("out.jsonl", "2")],
)
def test_kill_9_then_resume_is_byte_identical(tmp_path: Path, name: str, workers: str) -> None:
    inp = _corpus(tmp_path / "in.jsonl")
    ref = _reference(tmp_path, inp)
    out = tmp_path / name
    partial = out.with_name(out.name + ".partial")
    args = [str(inp), "-o", str(out), "--workers", workers]
    kills = 0
    # Before anything is written, then after ~1/6, ~1/2 and ~5/6 of the records are on disk;
    # every run after the first resumes the previous one.
    for i, at in enumerate([0, N // 6, N // 2, 5 * N // 6]):
        if at == 0:
            killed = _run_and_kill(args, partial, 0)  # killed at start-up, before any record
        else:
            killed = _run_and_kill([*args, "--resume"], partial, at)
        kills += killed
        assert not out.exists() or not killed, "a killed run must not leave a final output"
        if killed and i:
            assert _lines_on_disk(partial) >= at  # really mid-run
    assert kills >= 3
    p = subprocess.run(_cmd(*args, "--resume"), env=_env(), timeout=300)
    assert p.returncode == 0
    assert not partial.exists()
    assert _read(out) == ref.read_bytes()
    ids = [json.loads(x)["id"] for x in _read(out).splitlines()]
    assert ids == list(range(N))  # every record exactly once, in order


@pytest.mark.slow
def test_kill_9_with_rejects_then_resume(tmp_path: Path) -> None:
    inp = _corpus(tmp_path / "in.jsonl", bad_every=100)
    ref_rej = tmp_path / "ref-rejects.jsonl"
    ref = _reference(tmp_path, inp, "--rejects", str(ref_rej))
    out, rej = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    partial = out.with_name(out.name + ".partial")
    args = [str(inp), "-o", str(out), "--rejects", str(rej), "--workers", "1"]
    kills = sum(_run_and_kill([*args, "--resume"], partial, at) for at in (N // 4, 3 * N // 4))
    assert kills == 2
    p = subprocess.run(_cmd(*args, "--resume"), env=_env(), timeout=300)
    assert p.returncode == 1  # the bad lines
    assert out.read_bytes() == ref.read_bytes() and rej.read_bytes() == ref_rej.read_bytes()
    assert len(out.read_bytes().splitlines()) + len(rej.read_bytes().splitlines()) == N
