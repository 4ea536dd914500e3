"""Run the cleaner over a stream of tasks, in order, on one or more processes.

Executors know nothing about text (as datatrove separates steps from
executors): a *task* is a small picklable tuple, a worker turns it into an
output record, and :func:`run_tasks` yields records in input order while
keeping at most a bounded window of tasks in flight, so memory stays flat on
inputs of any size.  A document that exceeds ``Config.timeout`` is reported as
an error and the worker goes on; a worker that dies (a crash in a C library,
say) costs only the documents it held, each reported as an error.
"""

from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .config import Config
from .pipeline import Cleaner, _error_record, record_is_html, sniff_html

# A task: ("record", obj_or_None, error_or_None) for a JSONL line, or
# ("doc", id, bytes, is_html_or_None, extra) for a whole file or WARC response, where
# extra is None or {"encoding": charset hint, "url": target URI}.
Task = tuple[Any, ...]

# Tasks are shipped to workers in batches: large enough to amortise pickling,
# small enough to keep the window (workers x WINDOW_PER_WORKER batches) light.
BATCH_DOCS = 16
BATCH_CHARS = 256_000
"""A batch also ends once its documents hold this many characters.  Everything in the window lives
in the parent (the input records, their pickles, then the output records until their turn comes),
and what the parent allocates after the fork is its private memory in the PSS sum.  With 16 HTML
pages per batch (94 kB each on average, up to 1.5 MB) 3 of 5 runs over 1,000 dev pages with 2
workers spent long stretches at 400-457 MB (parent private up to 110-125 MB, and a worker's heap
trimmed only every 16 pages); with this cap (~3 HTML pages per batch, still 16 plain-text
documents of ~10 kB) 5 of 5 stayed at ~310 MB, max 367-378 (bench/results/speed.md), in the same
wall time: pickling a batch costs nothing next to 30 ms per HTML page."""
WINDOW_PER_WORKER = 4

RECYCLE_DOCS = 1000
"""Documents after which the worker pool is replaced by fresh forks of the preloaded parent (0: never).

A forked worker's memory only grows: lxml/libxml2 and Python keep their heap high-water mark and
fragments, caches fill, and every model page a worker touches (a reference count is a write) is
copied out of the parent's shared pages.  ``ProcessPoolExecutor`` cannot recycle workers under
fork (``max_tasks_per_child`` needs spawn, which would load every model again per worker), so the
runner stops feeding the pool, drains it in order and forks a new one.  Measured on the dev
pages as HTML: a fresh worker holds ~40 MB of private memory after 20 pages and ~60 MB after 460,
~80-145 MB per worker over a 1,000-page run without recycling.  What recycling does not change
is the peak of short runs (0.1-0.3 GB of HTML: ~510-520 MB PSS for the tree with or without it in
session 3, bench/results/speed.md): a fresh worker copies the pages it touches again within its first
pages.  It bounds the slow growth of long runs, at a cost lost in the noise of the 1 vs 2 worker
timing (a fork, and at most one batch of idle time per worker while the old pool drains)."""
WORKER_PRIVATE_MB = 80
"""A worker reporting more private memory than this (after its batch, ``/proc/self/smaps_rollup``)
gets the pool recycled at once: one huge document can ratchet a heap far beyond the usual.  Twice
what a fresh HTML worker holds after its first pages (above), so it fires on growth, not at start."""


class DocumentTimeout(BaseException):
    """The document took longer than ``Config.timeout`` seconds.

    A ``BaseException`` (like ``KeyboardInterrupt``) on purpose: the pipeline turns a stage's
    ``Exception`` into an error and goes on to the next stage, which would swallow the timeout
    and leave the later stages running with no alarm set.
    """


log = logging.getLogger(__name__)

_worker_cleaner: Cleaner | None = None


def _init_worker(config: Config, options: dict[str, Any]) -> None:
    global _worker_cleaner
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _worker_cleaner = Cleaner(config, **options)


def _on_alarm(signum: int, frame: Any) -> None:
    raise DocumentTimeout


def process_task(cleaner: Cleaner, task: Task) -> dict[str, Any]:
    """Turn one task into its output record; never raises."""
    timeout = cleaner.config.timeout
    use_alarm = timeout > 0 and threading.current_thread() is threading.main_thread()
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        if task[0] == "record":
            _, obj, err = task
            if err is not None:
                return _error_record(None, "input", "InvalidLine", err)
            return cleaner.clean_record(obj)
        _, doc_id, data, is_html, *rest = task
        extra = (rest[0] if rest else None) or {}
        result = cleaner.clean(data, html=is_html, id=doc_id, encoding=extra.get("encoding"), url=extra.get("url"))
        return result.to_record(timings=cleaner.timings)
    except DocumentTimeout:
        return _error_record(task_id(task, cleaner.id_field), "pipeline", "DocumentTimeout",
                             f"document took longer than timeout={timeout} s; skipped")
    except Exception as e:  # last line of defence: one record, never the stream
        return _error_record(None, "pipeline", type(e).__name__, str(e)[:500])
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def task_id(task: Task, id_field: str) -> Any:
    """The id a task's record will carry (None for an unreadable line)."""
    if task[0] == "doc":
        return task[1]
    return task[1].get(id_field) if isinstance(task[1], dict) else None


def fill_window(pending: deque[tuple[list[Task], Any]], batches: Iterator[list[Task]],
                submit: Callable[[list[Task]], Any], window: int) -> None:
    """Submit batches until ``window`` are in flight or the input is exhausted.

    ``pending`` holds ``(batch, handle)`` in input order; the caller pops from its left,
    which keeps the output ordered and the memory bounded (shared by the local pool and
    the Ray engine).
    """
    while len(pending) < window:
        batch = next(batches, None)
        if batch is None:
            return
        pending.append((batch, submit(batch)))


def _run_batch(batch: list[Task]) -> list[dict[str, Any]]:
    assert _worker_cleaner is not None
    out = [process_task(_worker_cleaner, t) for t in batch]
    _release_memory()
    return out


def _run_batch_report(batch: list[Task]) -> tuple[list[dict[str, Any]], int]:
    """:func:`_run_batch`, and this worker's private memory afterwards (bytes; 0 where unknown)."""
    out = _run_batch(batch)
    return out, private_memory()


def private_memory() -> int:
    """Bytes of this process's memory that no other process shares (Linux; elsewhere 0).

    The sum of ``Private_Clean`` and ``Private_Dirty`` in ``/proc/self/smaps_rollup`` (~0.5 ms):
    what recycling the process gives back, unlike RSS, which also counts the model pages the
    workers share with the parent.
    """
    try:
        with open("/proc/self/smaps_rollup", "rb") as f:
            data = f.read()
    except OSError:
        return 0
    total = 0
    for line in data.split(b"\n"):
        if line.startswith(b"Private_"):
            total += int(line.split()[1]) * 1024
    return total


_malloc_trim: Any = None


def _release_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``; elsewhere nothing).

    lxml/libxml2 and numpy free their per-document buffers into the C heap, which keeps them:
    without this a worker's memory ratchets up to its largest document's high-water mark and
    stays there.  Costs about a millisecond per batch.
    """
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        try:
            import ctypes
            import ctypes.util

            name = ctypes.util.find_library("c")
            if name:
                _malloc_trim = getattr(ctypes.CDLL(name), "malloc_trim", False)
        except OSError:
            pass
    if _malloc_trim:
        _malloc_trim(0)


def _batches(tasks: Iterable[Task], size: int, chars: int | None = None) -> Iterator[list[Task]]:
    """``tasks`` in lists of at most ``size``, each ended early once it holds ``chars`` characters
    (default :data:`BATCH_CHARS`)."""
    chars = BATCH_CHARS if chars is None else chars
    batch: list[Task] = []
    held = 0
    for t in tasks:
        batch.append(t)
        held += _task_chars(t)
        if len(batch) >= size or held >= chars:
            yield batch
            batch = []
            held = 0
    if batch:
        yield batch


def _task_chars(task: Task) -> int:
    """Characters (bytes for raw documents) a task carries: its record's string fields, or its data."""
    if task[0] == "doc":
        data = task[2]
        return len(data) if isinstance(data, (str, bytes, bytearray)) else 0
    obj = task[1]
    if isinstance(obj, dict):
        return sum(len(v) for v in obj.values() if isinstance(v, str))
    return 0


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(
    tasks: Iterable[Task],
    config: Config,
    options: dict[str, Any],
    workers: int = 1,
    small: int = 2 * BATCH_DOCS,
) -> Iterator[dict[str, Any]]:
    """Yield one record per task, in order.

    With ``workers > 1`` a process pool is started only when the input holds
    more than ``small`` tasks: a handful of documents is faster in-process.
    """
    it = iter(tasks)
    head: list[Task] = []
    for t in it:
        head.append(t)
        if len(head) > small:
            break
    if workers <= 1 or len(head) <= small:
        cleaner = Cleaner(config, **options)
        for t in itertools.chain(head, it):
            yield process_task(cleaner, t)
        return
    html = any(_is_html_task(t, options.get("html_field", "html")) for t in head)
    yield from _run_pool(itertools.chain(head, it), config, options, workers, html=html)


def _is_html_task(task: Task, html_field: str) -> bool:
    """Whether ``task`` will be cleaned as HTML (for preloading the HTML extractor)."""
    if task[0] == "record":
        return isinstance(task[1], dict) and record_is_html(task[1], html_field)
    is_html, data = task[3], task[2]
    if is_html is None and isinstance(data, (bytes, bytearray)):
        return sniff_html(data)
    return bool(is_html)


# Documents that make the pipeline load every model a plain-text page needs: an English page
# (fastText, the boilerplate and garble models, ftfy) and a short line (the py3langid second opinion).
_WARM_UP = (
    "Warm-up\nThe council approved the new budget on Monday after a long debate about the schools.\n",
    "Guten Tag",
)
_WARM_UP_HTML = (
    "<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1><p>The council approved the "
    "new budget on Monday after a long debate about the schools and the roads.</p></article></body></html>"
)


def preload(config: Config, *, html: bool = False) -> None:
    """Load, in this process, the models the pipeline will use under ``config``.

    Called before the worker pool forks: the models' arrays (py3langid's 31 MB, fastText,
    the boilerplate and garble models) then sit in pages the workers share copy-on-write
    instead of each worker loading its own copy.  HTML extraction (trafilatura, lxml) is
    preloaded only when ``html`` says the input has HTML (a text-only stream never imports it).
    """
    cleaner = Cleaner(config)
    for text in _WARM_UP:
        cleaner.clean(text, html=False)
    if html:
        cleaner.clean(_WARM_UP_HTML, html=True)
        _warm_date_parser()


_WARM_UP_DATES = ("qqq 12 zzz 2021 kkk", "Mar 01, 04:59PM PST", "Jul. 06, 2004", "July 16-20, 2007",
                  "Thu Dec 14 15:21:17 2006", "3 days ago")
"""Date strings that make dateparser (behind trafilatura's htmldate) build what it builds lazily: the
first, which no locale parses, compiles every locale's regexes; the others are shapes seen on the dev
pages (abbreviated months, a time zone, a range, a ctime, a relative date)."""


def _warm_date_parser() -> None:
    """Build htmldate's dateparser and its per-locale regexes here, before the workers fork.

    On pages whose date needs the external parser (a third of the dev pages within the first 40)
    dateparser loads all its locales and compiles their regexes: ~30 MB and ~2.5 s, paid by every
    worker again (and by every recycled one) unless the parent pays once and the workers share
    it.  Nothing changes in the output: the parser is deterministic and only its caches fill.
    Skipped quietly when htmldate's internals differ from the ones this was written against.
    """
    try:
        from htmldate.extractors import get_external_parser, month_words

        month_words()
        parser = get_external_parser()
        for text in _WARM_UP_DATES:
            parser.get_date_data(text)
    except Exception as e:  # an optimisation only: never fail a run over it
        log.debug("date parser warm-up skipped: %s", e)


def _forks() -> bool:
    """Whether workers are forked (Linux): elsewhere fork is unsafe or missing and the platform's
    default start method is used, each worker loading its own models."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _pool(workers: int, config: Config, options: dict[str, Any]) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, forked from this (preloaded) one on Linux."""
    ctx = multiprocessing.get_context("fork") if _forks() else None
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(config, options))


def _submitter(pool: ProcessPoolExecutor) -> Callable[[list[Task]], Future[tuple[list[dict[str, Any]], int]]]:
    """``submit`` bound to this pool (the pool is replaced after a worker crash and when recycled)."""
    return lambda batch: pool.submit(_run_batch_report, batch)


def _run_pool(tasks: Iterator[Task], config: Config, options: dict[str, Any],
              workers: int, *, html: bool = False, recycle_docs: int = RECYCLE_DOCS,
              worker_private_mb: float = WORKER_PRIVATE_MB) -> Iterator[dict[str, Any]]:
    """Records of ``tasks`` from a pool of ``workers`` processes, in input order.

    Recycling (:data:`RECYCLE_DOCS`, :data:`WORKER_PRIVATE_MB`): once the pool has been given
    ``recycle_docs`` documents, or a worker reports more private memory than the limit, no new
    batch goes to it; its batches in flight are yielded in order as they finish, then it is shut
    down and a new pool is forked from this (preloaded) process (none when the input has ended).
    The count is checked as batches are handed out, so a pool may be given up to a window's worth
    of batches more.  Every task still yields exactly one record, in order.  Only where workers
    are forked: elsewhere a new pool would load every model again.
    """
    window = workers * WINDOW_PER_WORKER
    fork = _forks()
    if fork:
        preload(config, html=html)
        # Objects that exist now are left alone by the garbage collector (until the run ends):
        # the workers' collectors then do not write to, and so copy, every shared page they visit.
        gc.collect()
        gc.freeze()
        _release_memory()  # loading leaves freed buffers in the heap: the workers would inherit them
    recycle = fork and recycle_docs > 0
    limit = worker_private_mb * 1e6
    pool = _pool(workers, config, options)
    given = 0  # documents handed to this pool
    retiring = False  # the pool gets no new batches and is replaced once drained
    pending: deque[tuple[list[Task], Future[tuple[list[dict[str, Any]], int]]]] = deque()
    batches = _batches(tasks, BATCH_DOCS)
    try:
        while True:
            if not retiring:
                before = len(pending)
                fill_window(pending, batches, _submitter(pool), window)
                given += sum(len(b) for b, _ in itertools.islice(pending, before, None))
                retiring = recycle and given >= recycle_docs
            if not pending:
                if not retiring:
                    return
                pool.shutdown(wait=True)
                following = next(batches, None)
                if following is None:
                    return  # (no new pool for an input that has ended)
                batches = itertools.chain([following], batches)
                log.debug("worker pool recycled after %d documents", given)
                pool = _pool(workers, config, options)
                given, retiring = 0, False
                continue
            batch, fut = pending.popleft()
            try:
                records, private = fut.result()
            except BrokenProcessPool:
                # A worker died: redo the in-flight batches one document at a time in a fresh
                # pool, so only the document that kills its worker is lost (as an error record).
                pool.shutdown(wait=False, cancel_futures=True)
                redo = [batch] + [b for b, _ in pending]
                pending.clear()
                for b in redo:
                    yield from _isolate(b, config, options)
                pool = _pool(workers, config, options)
                given, retiring = 0, False
                continue
            if recycle and private > limit and not retiring:
                log.debug("worker at %.0f MB private memory: recycling the pool", private / 1e6)
                retiring = True
            yield from records
            if fork:
                _release_memory()  # the parent's heap too: input lines and records come and go
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if fork:
            gc.unfreeze()


def _isolate(batch: list[Task], config: Config, options: dict[str, Any]) -> Iterator[dict[str, Any]]:
    pool = _pool(1, config, options)
    try:
        for t in batch:
            try:
                yield pool.submit(_run_batch, [t]).result()[0]
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                yield _error_record(task_id(t, options.get("id_field", "id")), "pipeline", "WorkerCrashed",
                                    "the worker process died while cleaning this document")
                pool = _pool(1, config, options)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
