from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleaner.config import Config
from cleaner.pipeline import Cleaner
from cleaner.runner import process_task, run_tasks

TEXT = "The harbour authority said on Monday that ferry services would resume after the storm.\n"


def _python(code: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``code`` run by a fresh interpreter that imports this checkout; fails the test on a non-zero exit."""
    repo = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")]))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout)
    assert p.returncode == 0, p.stderr[-2000:]
    return p


def _tasks(n: int):
    for i in range(n):
        yield ("record", {"id": i, "text": f"Story number {i}. " + TEXT}, None)


def _crash_on_marker(monkeypatch) -> None:
    """Make the pipeline kill its own process (as a segfault would) on a document containing "CRASH"."""
    import cleaner.pipeline as pipeline

    real = pipeline.clean

    def crashy(data, **kw):
        if "CRASH" in str(data):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(data, **kw)

    monkeypatch.setattr(pipeline, "clean", crashy)


def _assert_only_crashed(out: list, n: int, at: int) -> None:
    """Every record back in order, and only record ``at`` reported as its worker's crash."""
    assert [r["id"] for r in out] == list(range(n))
    assert out[at]["error"]["type"] == "WorkerCrashed"
    assert sum(1 for r in out if "error" in r) == 1


def test_in_process_keeps_order() -> None:
    out = list(run_tasks(_tasks(10), Config(garble=False), {}, workers=1))
    assert [r["id"] for r in out] == list(range(10))


def test_pool_keeps_order_and_count() -> None:
    out = list(run_tasks(_tasks(120), Config(garble=False), {}, workers=2))
    assert [r["id"] for r in out] == list(range(120))
    assert all("error" not in r for r in out)


def test_pool_with_instant_documents_does_not_stall() -> None:
    # every stage off: workers answer a whole window before the parent looks again, which once
    # left the parent waiting for answers to batches it had not read yet
    cfg = Config(fix_encoding=False, detect_language=False, boilerplate=False, garble=False)
    out = list(run_tasks(_tasks(3000), cfg, {}, workers=2, encoded=True))
    assert [info.id for _, info in out] == list(range(3000))


def test_invalid_line_task_is_an_error_record() -> None:
    rec = process_task(Cleaner(), ("record", None, "line 3 is not JSON"))
    assert rec["error"]["type"] == "InvalidLine"


def test_timeout_reports_and_goes_on(monkeypatch) -> None:
    import cleaner.pipeline as pipeline

    real = pipeline.clean

    def slow(data, **kw):
        if "SLOW" in str(data):
            import time

            time.sleep(5)
        return real(data, **kw)

    monkeypatch.setattr(pipeline, "clean", slow)
    c = Cleaner(Config(timeout=0.3, garble=False))
    recs = [process_task(c, ("record", {"id": i, "text": t}, None)) for i, t in enumerate(["SLOW doc", TEXT])]
    assert recs[0]["error"]["type"] == "DocumentTimeout" and recs[0]["id"] == 0
    assert "error" not in recs[1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_worker_crash_loses_only_that_document(monkeypatch) -> None:
    _crash_on_marker(monkeypatch)
    tasks = list(_tasks(60))
    tasks[37] = ("record", {"id": 37, "text": "CRASH here"}, None)
    out = list(run_tasks(iter(tasks), Config(garble=False, timeout=0), {}, workers=2))
    _assert_only_crashed(out, 60, 37)


def test_html_tasks_are_recognised_for_preloading() -> None:
    from cleaner.runner import _is_html_task

    assert _is_html_task(("record", {"id": 1, "html": "<p>x</p>"}, None), "html")
    assert not _is_html_task(("record", {"id": 1, "text": "x", "html": "  "}, None), "html")
    assert not _is_html_task(("record", None, "bad line"), "html")
    assert _is_html_task(("doc", "a", b"<!doctype html><html><body>x</body></html>", None), "html")
    assert not _is_html_task(("doc", "a", b"plain words", None), "html")
    assert _is_html_task(("doc", "a", b"anything", True, None), "html")


def test_preload_builds_what_workers_would_each_build_lazily() -> None:
    """The loader's warm-up leaves the language stage's hanzi tables, the boilerplate line filter's
    tables (with the compiled kernel) and courlan's public-suffix trie built and the modules the pipeline
    imports lazily (numpy.ma, _strptime) imported (shared by the forked workers instead of built in
    each); checked in a fresh process."""

    code = (
        "import sys\n"
        "from cleaner import runner\n"
        "from cleaner.config import Config\n"
        "from cleaner.language import hanzi\n"
        "from cleaner.boilerplate import features, rules\n"
        "import tld.utils\n"
        "assert hanzi._class_table.cache_info().currsize == 0 and not tld.utils.tld_names\n"
        "assert rules._line_filter.cache_info().currsize == 0\n"
        "assert 'numpy.ma' not in sys.modules and '_strptime' not in sys.modules\n"
        "runner.preload(Config(), html=True)\n"
        "assert hanzi._class_table.cache_info().currsize == 1, 'hanzi table not built'\n"
        "assert rules._line_filter.cache_info().currsize == (features._native is not None), 'line filter'\n"
        "assert tld.utils.tld_names, 'tld trie not loaded'\n"
        "assert 'numpy.ma' in sys.modules and '_strptime' in sys.modules, 'lazy modules not imported'\n"
    )
    _python(code, timeout=120)


def test_pool_records_equal_in_process_records() -> None:
    # workers fork from a parent that preloaded the models: the records must not depend on it
    tasks = [("record", {"id": i, "text": f"Ligne {i}. Le conseil a voté le budget lundi.\n" + TEXT}, None)
             for i in range(40)]
    one = list(run_tasks(iter(tasks), Config(), {}, workers=1))
    two = list(run_tasks(iter(tasks), Config(), {}, workers=2))
    assert one == two


def test_release_memory_is_safe_to_call_repeatedly() -> None:
    from cleaner.runner import _release_memory

    for _ in range(3):
        _release_memory()  # glibc: malloc_trim; elsewhere a no-op


def _generations(monkeypatch) -> list:
    """Record every worker generation the forked pool starts."""
    import cleaner.runner as runner

    gens: list = []
    real = runner._start_generation

    def counting(*args, **kw):
        gen = real(*args, **kw)
        gens.append(gen)
        return gen

    monkeypatch.setattr(runner, "_start_generation", counting)
    return gens


def _state(pid: int) -> str:
    """A process's state letter ("Z" for a zombie), or "" once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


LINUX = pytest.mark.skipif(not os.path.exists("/proc/self/stat") or not hasattr(os, "fork"), reason="needs Linux fork")


@LINUX
def test_recycled_generations_keep_order_count_and_error_records(monkeypatch) -> None:
    # a generation retires once it has been given 100 documents (checked per batch of 16, so 112):
    # 300 documents go through 3 generations, each a new loader and new workers
    from cleaner.runner import _run_forked

    gens = _generations(monkeypatch)
    tasks = list(_tasks(300))
    tasks[150] = ("record", None, "line 151 is not JSON")
    out = list(_run_forked(iter(tasks), Config(garble=False, timeout=0), {}, 2, recycle_docs=100))
    assert len(gens) == 3
    assert [g.given for g in gens] == [112, 112, 76]
    assert len(out) == 300
    assert [r["id"] for i, r in enumerate(out) if i != 150] == [i for i in range(300) if i != 150]
    assert out[150]["error"]["type"] == "InvalidLine"
    assert sum(1 for r in out if "error" in r) == 1
    assert out == list(run_tasks(iter(tasks), Config(garble=False, timeout=0), {}, workers=1))


@LINUX
def test_memory_limit_recycles_without_losing_documents(monkeypatch) -> None:
    # a limit every worker exceeds: a generation retires at its first answer; it was handed a full
    # window (2 workers x 4 batches of 16) before, so 300 documents take 3 generations
    import cleaner.runner as runner

    gens = _generations(monkeypatch)
    out = list(runner._run_forked(_tasks(300), Config(garble=False, timeout=0), {}, 2, worker_private_mb=0.001))
    assert [r["id"] for r in out] == list(range(300))
    assert len(gens) == 3


@LINUX
def test_worker_crash_after_recycling(monkeypatch) -> None:
    from cleaner.runner import _run_forked

    _crash_on_marker(monkeypatch)
    gens = _generations(monkeypatch)
    tasks = list(_tasks(280))
    tasks[200] = ("record", {"id": 200, "text": "CRASH here"}, None)  # in the second generation
    out = list(_run_forked(iter(tasks), Config(garble=False, timeout=0), {}, 2, recycle_docs=150))
    _assert_only_crashed(out, 280, 200)
    # the first, the recycled one, the one after the crash in its batch, the one after the crash alone
    assert len(gens) >= 3


@LINUX
def test_killed_worker_loses_nothing(monkeypatch) -> None:
    # a worker killed from outside (the OOM killer, say) mid-run: what it held is redone, every
    # document is cleaned (the killed batch one document at a time), none is reported as crashed
    import cleaner.runner as runner

    gens = _generations(monkeypatch)
    run = runner._run_forked(_tasks(400), Config(garble=False, timeout=0), {}, 2, recycle_docs=0)
    out = [next(run) for _ in range(40)]
    victim = gens[0].workers[0].pid
    os.kill(victim, signal.SIGKILL)
    out += list(run)
    assert [r["id"] for r in out] == list(range(400))
    assert not any("error" in r for r in out)
    assert len(gens) == 2  # the killed worker's generation drained and was replaced once
    assert _state(victim) == ""  # reaped, not left a zombie


@LINUX
def test_loader_exits_and_workers_are_reaped_here(monkeypatch) -> None:
    # the loader that preloaded the models is gone while the workers clean: no process keeps a third
    # copy of the pages the workers copy; the workers are re-parented to this process and reaped by it
    import cleaner.runner as runner

    gens = _generations(monkeypatch)
    run = runner._run_forked(_tasks(200), Config(garble=False, timeout=0), {}, 2, recycle_docs=0)
    out = [next(run) for _ in range(20)]
    gen = gens[0]
    pids = [w.pid for w in gen.workers]
    assert all(pids)
    loader = gen.loader
    if loader is not None:
        # exited (a zombie until the next turn reaps it).  It calls os._exit right after the forks, but the
        # kernel's teardown of its address space can still be running (state R) when the first records are
        # back, and on 2 busy cores it may wait for a turn: so give it a few seconds, not none.
        deadline = time.monotonic() + 10
        while _state(loader) not in ("", "Z") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(loader) in ("", "Z")
    assert all(_ppid(p) == os.getpid() for p in pids)
    out += list(run)
    assert [r["id"] for r in out] == list(range(200))
    assert all(_state(p) == "" for p in pids)  # exited and reaped at the end


@LINUX
def test_closing_the_stream_early_stops_the_workers(monkeypatch) -> None:
    # what a Ctrl-C in the writer does to the pool: the generator is closed mid-run
    import cleaner.runner as runner

    gens = _generations(monkeypatch)
    run = runner._run_forked(_tasks(300), Config(garble=False, timeout=0), {}, 2)
    [next(run) for _ in range(10)]
    pids = [w.pid for w in gens[0].workers]
    run.close()
    assert all(_state(p) == "" for p in pids)


@LINUX
def test_workers_that_never_start_raise_instead_of_hanging(monkeypatch) -> None:
    import cleaner.runner as runner

    def dead(*args, **kw):
        os._exit(3)

    monkeypatch.setattr(runner, "_worker_main", dead)
    with pytest.raises(RuntimeError, match=r"die before they start \(the last: exit status 3\)"):
        list(runner._run_forked(_tasks(100), Config(garble=False, timeout=0), {}, 2))


@LINUX
def test_inbox_takes_frames_whole_however_the_reads_cut_them(monkeypatch) -> None:
    # frames written in pieces of every size: several in one read, a frame's head left at the end of
    # the buffer (moved to its start), a split header, a frame larger than the buffer (grown, then shrunk)
    import random

    import cleaner.runner as runner

    monkeypatch.setattr(runner, "_PIPE_BYTES", 64)
    rng = random.Random(5)
    payloads = [bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 7, 30, 56, 57, 200, 1000])))
                for _ in range(300)]
    stream = b"".join(len(p).to_bytes(runner._HEADER, "little") + p for p in payloads)
    inbox = runner._Inbox()
    got: list[bytes] = []
    r, w = os.pipe()
    try:
        pos = 0
        while pos < len(stream):
            piece = stream[pos:pos + rng.choice([1, 3, 8, 9, 40, 64, 65, 150])]
            pos += len(piece)
            os.write(w, piece)
            while inbox.filled < len(inbox.buf) or not inbox.buf:
                os.set_blocking(r, False)
                try:
                    if not inbox.read(r):
                        break
                except BlockingIOError:
                    break
                got += [bytes(m) for m in inbox.frames()]
            assert len(inbox.buf) == 64 or inbox.filled >= runner._HEADER  # larger only while a large frame is read
    finally:
        os.close(r)
        os.close(w)
    assert got == payloads


@LINUX
def test_answers_larger_than_the_read_buffer_and_split_across_reads(monkeypatch) -> None:
    # the parent reads answers into a buffer of _PIPE_BYTES kept per worker: with 16 kB (and pipes of 16 kB)
    # several small answer frames arrive in one read, a frame's head is left at the end of the buffer and
    # moved to its start, and a frame of a large document is larger than the buffer (which grows to it,
    # then shrinks back); every stage off, so the workers answer faster than the parent reads
    import cleaner.runner as runner

    monkeypatch.setattr(runner, "_PIPE_BYTES", 16384)
    cfg = Config(fix_encoding=False, detect_language=False, boilerplate=False, garble=False)
    tasks = [("record", {"id": i, "text": f"Story {i}. " + TEXT * (400 if i % 97 == 5 else 1 + i % 3)}, None)
             for i in range(600)]
    one = list(run_tasks(iter(tasks), cfg, {}, workers=1, encoded=True))
    two = list(runner._run_forked(iter(tasks), cfg, {}, 2, encoded=True))
    assert two == one


@LINUX
def test_large_documents_are_never_cleaned_two_at_once(monkeypatch, tmp_path) -> None:
    # each large document takes a lock file for the time it is cleaned: a second one finding it
    # taken would mean two workers held large documents at once (the memory peaks SOLO_CHARS avoids)
    import cleaner.pipeline as pipeline
    import cleaner.runner as runner

    monkeypatch.setattr(runner, "SOLO_CHARS", 5_000)
    lock = str(tmp_path / "large")
    real = pipeline.clean

    def guarded(data, **kw):
        if len(data) < 5_000:
            return real(data, **kw)
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            raise RuntimeError("two large documents at once") from None
        try:
            import time

            time.sleep(0.05)
            return real(data[:200], **kw)
        finally:
            os.close(fd)
            os.unlink(lock)

    monkeypatch.setattr(pipeline, "clean", guarded)
    tasks = [("record", {"id": i, "text": (TEXT * 70) if i % 3 == 0 else TEXT}, None) for i in range(90)]
    out = list(runner._run_forked(iter(tasks), Config(garble=False, timeout=0), {}, 2))
    assert [r["id"] for r in out] == list(range(90))
    assert not [r["error"] for r in out if "error" in r]


def test_raw_lines_are_parsed_where_they_are_cleaned() -> None:
    import json

    c = Cleaner(Config(garble=False))
    good = process_task(c, ("line", 1, json.dumps({"id": "a", "text": TEXT}).encode()))
    assert good["id"] == "a" and "error" not in good
    bad = process_task(c, ("line", 7, b'{"id": 1, "text": '))
    assert bad["error"]["type"] == "InvalidLine" and "line 7" in bad["error"]["message"]
    bom = process_task(c, ("line", 2, "\ufeff".encode() + json.dumps({"id": "b", "text": TEXT}).encode()))
    assert bom["id"] == "b" and "error" not in bom


def test_encoded_records_are_the_dumped_records() -> None:
    import json

    from cleaner.io import dumps
    from cleaner.runner import encode_record

    lines = [("line", i + 1, json.dumps({"id": i, "text": f"Story {i}. " + TEXT}).encode()) for i in range(40)]
    lines[5] = ("line", 6, b"{oops")
    recs = list(run_tasks(iter(lines), Config(garble=False), {}, workers=1))
    enc = list(run_tasks(iter(lines), Config(garble=False), {}, workers=2, encoded=True))
    assert [line for line, _ in enc] == [(dumps(r) + "\n").encode() for r in recs]
    assert [info for _, info in enc] == [encode_record(r)[1] for r in recs]
    assert enc[5][1].error["type"] == "InvalidLine" and enc[0][1].id == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_executor_fallback_keeps_order_and_isolates_a_crash(monkeypatch) -> None:
    # where there is no fork-based pool (not Linux), a ProcessPoolExecutor does the work
    import cleaner.runner as runner

    _crash_on_marker(monkeypatch)
    monkeypatch.setattr(runner, "_forks", lambda: False)
    tasks = list(_tasks(60))
    tasks[20] = ("record", {"id": 20, "text": "CRASH here"}, None)
    out = list(run_tasks(iter(tasks), Config(garble=False, timeout=0), {}, workers=2))
    _assert_only_crashed(out, 60, 20)


def test_trimming_waits_for_growth(monkeypatch) -> None:
    import cleaner.runner as runner

    calls: list[int] = []
    monkeypatch.setattr(runner, "_malloc_trim", lambda pad: calls.append(pad))
    monkeypatch.setattr(runner, "_trimmed_at", runner._resident())
    runner._release_memory(1 << 40)  # has not grown by a terabyte: no trim
    assert calls == []
    runner._release_memory()  # unconditional
    assert calls == [0]


def test_private_memory_is_a_plausible_size() -> None:
    from cleaner.runner import private_memory

    got = private_memory()
    if not os.path.exists("/proc/self/smaps_rollup"):
        assert got == 0
    else:
        assert 1_000_000 < got < 50_000_000_000


def test_batches_end_at_the_character_cap() -> None:
    from cleaner.runner import _batches

    big = [("record", {"id": i, "html": "x" * 100_000}, None) for i in range(10)]
    small = list(_tasks(40))
    sizes = [len(b) for b in _batches(iter(big + small), 16, chars=256_000)]
    assert sizes == [3, 3, 3, 16, 16, 9]  # 3 pages of 100,000 characters reach the cap; small ones fill 16
    docs = [("doc", i, b"y" * 200_000, None) for i in range(4)]
    assert [len(b) for b in _batches(iter(docs), 16, chars=256_000)] == [2, 2]
    assert [len(b) for b in _batches(iter(small), 16, chars=10**9)] == [16, 16, 8]


def test_pool_with_character_capped_batches_keeps_order(monkeypatch) -> None:
    import cleaner.runner as runner

    monkeypatch.setattr(runner, "BATCH_CHARS", 300)  # every batch ends after 3 documents
    out = list(run_tasks(_tasks(100), Config(garble=False), {}, workers=2))
    assert [r["id"] for r in out] == list(range(100))


class _Hang(Exception):
    pass


@pytest.fixture
def no_hang():
    """Fail (instead of hanging the suite) when the test takes more than 60 s."""

    def on_alarm(signum, frame):
        raise _Hang("timed out: the pool hung")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _children_in_state(state: str) -> list[int]:
    """This process's children in ``state`` ("Z": zombies)."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if _ppid(int(name)) == os.getpid() and _state(int(name)) == state:
                    out.append(int(name))
            except (OSError, IndexError):
                pass
    return out


@LINUX
def test_two_pools_at_once_do_not_hang(no_hang) -> None:
    # the second pool's loader is forked while the first pool is open: it must not keep the first
    # pool's pipes open (its workers would never see end of file, and the first pool's end would wait)
    cfg = Config(garble=False, timeout=0)
    a = run_tasks(_tasks(100), cfg, {}, workers=2)
    b = run_tasks(_tasks(300), cfg, {}, workers=2)
    pairs = list(zip(a, b, strict=False))  # a ends first, while b's pool is open
    rest = list(b)
    assert [x["id"] for x, _ in pairs] == list(range(100))
    assert [y["id"] for _, y in pairs] + [y["id"] for y in rest] == list(range(300))


@LINUX
def test_a_process_forked_during_a_run_does_not_hold_the_pool_open(no_hang) -> None:
    # an uploader forked by the caller mid-run (multiprocessing, os.fork) outlives the pool: the
    # pool's pipes are closed in it, so the run ends without waiting for it
    import time

    child = None
    try:
        for i, _rec in enumerate(run_tasks(_tasks(200), Config(garble=False, timeout=0), {}, workers=2)):
            if i == 50:
                child = os.fork()
                if child == 0:  # pragma: no cover - the forked child
                    time.sleep(120)
                    os._exit(0)
        assert _state(child) not in ("", "Z")  # the run ended while the child still runs
    finally:
        if child:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)


@LINUX
def test_a_generation_that_never_starts_blames_no_document(monkeypatch, no_hang) -> None:
    # the second generation's loader dies (OOM-killed, say) before forking: its workers never held a
    # document, so what was queued for them (one-document retries after a crash) is redone unchanged
    import cleaner.runner as runner

    _crash_on_marker(monkeypatch)
    state = {"die": False}
    real_preload, real_start = runner.preload, runner._start_generation
    starts: list = []

    def preload(config, html=False):
        if state["die"]:  # read in the loader, forked after it was set
            os._exit(9)
        real_preload(config, html=html)

    def start(*args, **kw):
        state["die"] = len(starts) == 1
        starts.append(1)
        return real_start(*args, **kw)

    monkeypatch.setattr(runner, "preload", preload)
    monkeypatch.setattr(runner, "_start_generation", start)
    tasks = list(_tasks(120))
    tasks[37] = ("record", {"id": 37, "text": "CRASH here"}, None)
    out = list(runner._run_forked(iter(tasks), Config(garble=False, timeout=0), {}, 2))
    assert [r["id"] for r in out] == list(range(120))
    assert [r["id"] for r in out if "error" in r] == [37]
    assert len(starts) >= 3


@LINUX
def test_workers_that_die_before_hello_are_reaped(monkeypatch, no_hang) -> None:
    import cleaner.runner as runner

    state = {"die": False}
    real_main, real_start = runner._worker_main, runner._start_generation
    starts: list = []

    def main(*args, **kw):
        if state["die"]:
            os._exit(3)
        real_main(*args, **kw)

    def start(*args, **kw):
        state["die"] = not starts  # the first generation's workers die before they say hello
        gen = real_start(*args, **kw)
        starts.append(gen)
        return gen

    monkeypatch.setattr(runner, "_worker_main", main)
    monkeypatch.setattr(runner, "_start_generation", start)
    run = runner._run_forked(_tasks(200), Config(garble=False, timeout=0), {}, 2, recycle_docs=0)
    out = [next(run) for _ in range(40)]
    # the dead first generation was reaped while the run goes on (only its pids are checked: this process
    # is a subreaper during the run, so orphans of earlier tests, Ray's for one, can die here as zombies)
    first = {w.pid for w in starts[0].workers}
    assert len(first) == 2 and None not in first and not first & set(_children_in_state("Z"))
    out += list(run)
    assert [r["id"] for r in out] == list(range(200)) and not any("error" in r for r in out)
    assert len(starts) == 2


@LINUX
def test_worker_exceptions_are_printed_and_raise_pool_error(monkeypatch, capfd, no_hang) -> None:
    import cleaner.runner as runner

    def broken(*args, **kw):
        raise ValueError("cannot read a model file (simulated)")

    gens: list = []
    real_start = runner._start_generation

    def start(*args, **kw):
        gens.append(real_start(*args, **kw))
        return gens[-1]

    monkeypatch.setattr(runner, "_worker_main", broken)
    monkeypatch.setattr(runner, "_start_generation", start)
    with pytest.raises(runner.PoolError, match="die before they start"):
        list(runner._run_forked(_tasks(100), Config(garble=False, timeout=0), {}, 2))
    err = capfd.readouterr().err
    assert "Traceback" in err and "ValueError: cannot read a model file (simulated)" in err
    ours = {w.pid for g in gens for w in g.workers}  # (see test_workers_that_die_before_hello_are_reaped)
    assert ours and None not in ours and not ours & set(_children_in_state("Z"))


@LINUX
def test_stop_kills_a_process_that_does_not_exit() -> None:
    import time

    from cleaner.runner import _stop

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked child
        time.sleep(120)
        os._exit(0)
    t = time.monotonic()
    _stop(pid, grace=0.2)
    assert time.monotonic() - t < 30
    assert _state(pid) == ""


def test_line_sizes_count_characters_not_escapes_or_utf8_bytes() -> None:
    import json

    from cleaner.runner import _task_chars

    text = "漢字かな交じり文" * 1000  # 8,000 characters
    escaped = json.dumps({"id": 1, "text": text}).encode()  # \uXXXX: 6 bytes a character
    raw = json.dumps({"id": 1, "text": text}, ensure_ascii=False).encode()  # UTF-8: 3 bytes a character
    plain = json.dumps({"id": 1, "text": "a" * 8000}).encode()
    for data in (escaped, raw, plain):
        assert 8000 <= _task_chars(("line", 1, data)) <= 8100
    assert _task_chars(("line", 1, b'{"text": "a\\\\u0041"}')) >= 10  # an escaped backslash, not an escape


@LINUX
def test_a_crashing_document_costs_one_new_generation(monkeypatch, no_hang) -> None:
    # the worker that dies on it is replaced by nothing: its batch is retried one document at a time
    # on the other worker, which the document kills too; only then does a new generation load
    import cleaner.runner as runner

    _crash_on_marker(monkeypatch)
    gens = _generations(monkeypatch)
    tasks = list(_tasks(200))
    tasks[37] = ("record", {"id": 37, "text": "CRASH here"}, None)
    out = list(runner._run_forked(iter(tasks), Config(garble=False, timeout=0), {}, 2, recycle_docs=0))
    assert [r["id"] for r in out] == list(range(200))
    assert [r["id"] for r in out if "error" in r] == [37]
    assert out[37]["error"]["type"] == "WorkerCrashed"
    assert len(gens) == 2


@LINUX
def test_a_worker_that_dies_reading_a_huge_frame_blames_that_document(monkeypatch, no_hang) -> None:
    # a worker dies (out of memory, say) while the parent is still writing a frame larger than the
    # pipe: the document must be blamed once, not redone unblamed on a new generation without end
    import cleaner.runner as runner

    real_read = runner._read_exact

    def read_exact(fd, n):
        if n > 2_000_000:  # in the worker (forked after the patch): as a MemoryError on a huge frame
            os._exit(1)
        return real_read(fd, n)

    monkeypatch.setattr(runner, "_read_exact", read_exact)
    tasks = list(_tasks(8))
    tasks[3] = ("record", {"id": 3, "text": "word " * 800_000}, None)
    out = list(runner._run_forked(iter(tasks), Config(garble=False, timeout=0), {}, 1))
    assert [r["id"] for r in out] == list(range(8))
    assert [(r["id"], r["error"]["type"]) for r in out if "error" in r] == [(3, "WorkerCrashed")]


def test_a_worker_lets_go_of_each_raw_line_before_cleaning_it(monkeypatch) -> None:
    """While a document is cleaned, neither its raw JSONL line nor an earlier one is held by the batch
    (a 1.5 MB page's line sat beside its parsed record through its extraction); the records are the
    ones :func:`process_task` makes of the raw lines."""
    import json
    import sys

    import cleaner.runner as runner

    cleaner = Cleaner(Config(garble=False))
    lines = [json.dumps({"id": i, "text": f"Story {i}. " + TEXT}).encode() for i in range(4)] + [b'{"id": 9']
    expected = [process_task(cleaner, ("line", n, line)) for n, line in enumerate(lines, 1)]
    base = [sys.getrefcount(lines[j]) for j in range(len(lines))]
    batch: list = [("line", n, line) for n, line in enumerate(lines, 1)]
    seen: list[list[int]] = []
    real = runner.process_task

    def spy(c, task):  # type: ignore[no-untyped-def]
        assert task[0] == "record"
        # the references each line has beyond the test's own: 1 while the batch holds its task
        seen.append([sys.getrefcount(lines[j]) - base[j] for j in range(len(lines))])
        assert all(t is None for t in batch[:len(seen)])
        return real(c, task)

    monkeypatch.setattr(runner, "_worker_cleaner", cleaner)
    monkeypatch.setattr(runner, "process_task", spy)
    out, _ = runner._run_batch_report(batch)
    assert out == expected and out[-1]["error"]["type"] == "InvalidLine"
    # cleaning document k: lines 0..k are gone from the batch, the later ones still in it
    assert seen == [[0] * (k + 1) + [1] * (len(lines) - k - 1) for k in range(len(lines))]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt(M_MMAP_THRESHOLD) is glibc's")
@pytest.mark.parametrize("fix", [True, False])
def test_fixed_mmap_threshold_gives_large_buffers_back_at_free(fix: bool) -> None:
    """With the threshold fixed (what the loader does before forking the workers) a 2 MB buffer freed after
    a 4 MB one goes back to the system at once; with glibc's rising default it stays in the heap."""

    code = (
        "import sys\n"
        "from cleaner import runner\n"
        f"assert runner._fix_mmap_threshold() if {fix} else True\n"
        "a = b'x' * (4 << 20)\n"
        "del a\n"  # glibc's own threshold rises past 4 MB here
        "before = runner._resident()\n"
        "b = b'y' * (2 << 20)\n"
        "del b\n"
        "print(runner._resident() - before)\n"
    )
    p = _python(code, timeout=60)
    grown = int(p.stdout)
    assert (grown < 500_000) if fix else (grown > 1_500_000)


@LINUX
@pytest.mark.parametrize("html", [False, True])
def test_mmap_threshold_and_large_document_trims_only_in_an_html_pool(monkeypatch, tmp_path, html: bool) -> None:
    """A plain-text pool keeps glibc's rising mmap threshold and trims on growth only (the fixed threshold
    mmapped and faulted in the language and boilerplate stages' 128 kB-4 MB buffers anew for every document:
    20x the page faults, 3% more instructions with 2 workers); an HTML stream gets both, in the loader (so the
    workers) and the parent."""
    import cleaner.runner as runner

    def fix(threshold: int = runner.MMAP_THRESHOLD) -> bool:  # runs in the loader and the parent
        (tmp_path / f"fixed-{os.getpid()}").touch()
        return True

    trims: list[int] = []
    real_release = runner._release_memory

    def release(growth: int = 0) -> None:  # runs in the workers: their answer carries what they did
        trims.append(growth)
        real_release(growth)

    real_run = runner._run_batch_report

    def report(batch, encoded=False):  # type: ignore[no-untyped-def]
        trims.clear()
        out, private = real_run(batch, encoded)
        for rec in out:
            rec["trims"] = list(trims)
        return out, private

    monkeypatch.setattr(runner, "_fix_mmap_threshold", fix)
    monkeypatch.setattr(runner, "_release_memory", release)
    monkeypatch.setattr(runner, "_run_batch_report", report)
    monkeypatch.setattr(runner, "TRIM_DOC_CHARS", 1_000)
    tasks = [("record", {"id": i, "text": TEXT * (20 if i == 5 else 1)}, None) for i in range(40)]
    out = list(runner._run_forked(iter(tasks), Config(garble=False, timeout=0), {}, 2, html=html))
    assert [r["id"] for r in out] == list(range(40))
    fixed = sorted(p.name for p in tmp_path.iterdir())
    assert len(fixed) == (2 if html else 0)  # the loader and the parent, or none
    large_batch = out[5]["trims"]
    assert large_batch == ([0] if html else [runner.TRIM_GROWTH_BYTES])
    assert all(r["trims"] == [runner.TRIM_GROWTH_BYTES] for r in out if r["id"] >= 16)


@LINUX
def test_parent_freezes_its_objects_for_the_pools_life_only() -> None:
    """The parent's objects are frozen while its pool runs (its full collections would otherwise write every
    object's header, copying the pages its workers share) and unfrozen after, unless the caller froze first."""
    import gc

    import cleaner.runner as runner

    gc.unfreeze()
    during = []
    for _rec in runner._run_forked(_tasks(40), Config(garble=False, timeout=0), {}, 2):
        during.append(gc.get_freeze_count())
    assert len(during) == 40 and min(during) > 0
    assert gc.get_freeze_count() == 0
    gc.freeze()  # the caller's own freeze stays
    try:
        frozen = gc.get_freeze_count()
        assert len(list(runner._run_forked(_tasks(40), Config(garble=False, timeout=0), {}, 2))) == 40
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
