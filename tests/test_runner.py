from __future__ import annotations

import os
import signal

import pytest

from cleaner.config import Config
from cleaner.pipeline import Cleaner
from cleaner.runner import process_task, run_tasks

TEXT = "The harbour authority said on Monday that ferry services would resume after the storm.\n"


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
    assert [r["id"] for r in out] == list(range(60))
    assert out[37]["error"]["type"] == "WorkerCrashed"
    assert sum(1 for r in out if "error" in r) == 1


def test_html_tasks_are_recognised_for_preloading() -> None:
    from cleaner.runner import _is_html_task

    assert _is_html_task(("record", {"id": 1, "html": "<p>x</p>"}, None), "html")
    assert not _is_html_task(("record", {"id": 1, "text": "x", "html": "  "}, None), "html")
    assert not _is_html_task(("record", None, "bad line"), "html")
    assert _is_html_task(("doc", "a", b"<!doctype html><html><body>x</body></html>", None), "html")
    assert not _is_html_task(("doc", "a", b"plain words", None), "html")
    assert _is_html_task(("doc", "a", b"anything", True, None), "html")


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
    assert [r["id"] for r in out] == list(range(280))
    assert out[200]["error"]["type"] == "WorkerCrashed"
    assert sum(1 for r in out if "error" in r) == 1
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
        assert _state(loader) in ("", "Z")  # exited (a zombie until the next turn reaps it)
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
    with pytest.raises(RuntimeError, match="die before they start"):
        list(runner._run_forked(_tasks(100), Config(garble=False, timeout=0), {}, 2))


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
    assert [r["id"] for r in out] == list(range(60))
    assert out[20]["error"]["type"] == "WorkerCrashed"
    assert sum(1 for r in out if "error" in r) == 1


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
