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


def _count_pools(monkeypatch) -> list[int]:
    import cleaner.runner as runner

    pools: list[int] = []
    real_pool = runner._pool

    def counting_pool(*args, **kw):
        pools.append(1)
        return real_pool(*args, **kw)

    monkeypatch.setattr(runner, "_pool", counting_pool)
    return pools


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_recycled_pools_keep_order_count_and_error_records(monkeypatch) -> None:
    # a pool retires once it has been given 40 documents; it is handed a window of 8 batches of 16
    # at once, so 300 documents go through 3 pools (128 + 128 + 44)
    from cleaner.runner import _run_pool

    pools = _count_pools(monkeypatch)
    tasks = list(_tasks(300))
    tasks[150] = ("record", None, "line 151 is not JSON")
    out = list(_run_pool(iter(tasks), Config(garble=False, timeout=0), {}, 2, recycle_docs=40))
    assert len(pools) == 3
    assert len(out) == 300
    assert [r["id"] for i, r in enumerate(out) if i != 150] == [i for i in range(300) if i != 150]
    assert out[150]["error"]["type"] == "InvalidLine"
    assert sum(1 for r in out if "error" in r) == 1
    assert out == list(run_tasks(iter(tasks), Config(garble=False, timeout=0), {}, workers=1))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_memory_limit_recycles_without_losing_documents(monkeypatch) -> None:
    # a limit every worker exceeds: each pool is drained and replaced after its first batch returns
    import cleaner.runner as runner

    pools = _count_pools(monkeypatch)
    out = list(runner._run_pool(_tasks(300), Config(garble=False, timeout=0), {}, 2, worker_private_mb=0.001))
    assert [r["id"] for r in out] == list(range(300))
    assert len(pools) == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_worker_crash_after_recycling(monkeypatch) -> None:
    from cleaner.runner import _run_pool

    _crash_on_marker(monkeypatch)
    pools = _count_pools(monkeypatch)
    tasks = list(_tasks(280))
    tasks[200] = ("record", {"id": 200, "text": "CRASH here"}, None)  # in the second pool
    out = list(_run_pool(iter(tasks), Config(garble=False, timeout=0), {}, 2, recycle_docs=32))
    assert [r["id"] for r in out] == list(range(280))
    assert out[200]["error"]["type"] == "WorkerCrashed"
    assert sum(1 for r in out if "error" in r) == 1
    assert len(pools) >= 3  # the first, the recycled one, and at least one after the crash


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
