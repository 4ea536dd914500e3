"""Run the cleaner over a stream of tasks, in order, on one or more processes.

Executors know nothing about text (as datatrove separates steps from
executors): a *task* is a small picklable tuple, a worker turns it into an
output record, and :func:`run_tasks` yields records in input order while
keeping at most a bounded window of tasks in flight, so memory stays flat on
inputs of any size.  A document that exceeds ``Config.timeout`` is reported as
an error and the worker goes on; a worker that dies (a crash in a C library,
say) costs only the document it was cleaning, reported as an error.

On Linux the workers are a pool of our own (:func:`_run_forked`): a short-lived
*loader* process loads the models, forks the workers and exits, so the parent,
which only moves bytes (raw JSONL lines in, encoded output lines out), holds no
models, and no process keeps a third copy of the model pages the workers copy.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
import pickle
import select
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from .config import Config
from .io import Line, dumps, parse_json_line
from .pipeline import Cleaner, _error_record, record_is_html, sniff_html

if TYPE_CHECKING:  # the executor fallback's modules (~8 ms of imports) load only where it runs: not on Linux
    from concurrent.futures import Future, ProcessPoolExecutor

# A task: ("line", number, bytes) for a raw JSONL line (parsed where it is cleaned), ("record",
# obj_or_None, error_or_None) for a parsed record or an unreadable line, or ("doc", id, bytes,
# is_html_or_None, extra) for a whole file or WARC response, where extra is None or
# {"encoding": charset hint, "url": target URI}.
Task = tuple[Any, ...]

# Tasks are shipped to workers in batches: large enough to amortise a round trip,
# small enough to keep the window (workers x WINDOW_PER_WORKER batches) light.
BATCH_DOCS = 16
BATCH_CHARS = 256_000
"""A batch also ends once its documents hold this many characters (bytes of a raw JSONL line).
Everything in the window lives in the parent until its turn comes, and what the parent allocates
is its private memory in the PSS sum.  With 16 HTML pages per batch (94 kB each on average, up to
1.5 MB) 3 of 5 runs over 1,000 dev pages with 2 workers spent long stretches at 400-457 MB (parent
private up to 110-125 MB, and a worker's heap trimmed only every 16 pages); with this cap (~3 HTML
pages per batch, still 16 plain-text documents of ~10 kB) 5 of 5 stayed at ~310 MB, max 367-378
(session 3, bench/results/speed.md), in the same wall time."""
WINDOW_PER_WORKER = 4

RECYCLE_DOCS = 10_000
"""Documents after which the workers are replaced by a fresh generation (a new loader; 0: never).

A forked worker's memory only grows: lxml/libxml2 and Python keep their heap high-water mark and
fragments, caches fill, and every model page a worker touches (a reference count is a write) is
copied out of the loader's pages.  A new generation costs a model load in a new loader (measured:
0.8 s of CPU for plain text, 2.0 s with the HTML extractor and the date parser), and it runs after
the old workers drained (loading beside them would add a fourth copy of the models to the peak),
so it is paid in wall time too: at 1,000 documents (the session-3 value, when a new pool was a
cheap fork of the preloaded parent) it cost ~8% of a plain-text run's CPU.  At 10,000 it is <1%;
growth between is bounded by :data:`WORKER_PRIVATE_MB`, which watches the memory itself."""
WORKER_PRIVATE_MB = 80
"""A worker reporting more private memory than this (after its batch, ``/proc/self/smaps_rollup``)
retires its generation at once: one huge document can ratchet a heap far beyond the usual.  Above
what a fresh HTML worker holds after its first pages (~40 MB after 20 pages, ~60 MB after 460),
so it fires on growth, not at start."""
SOLO_CHARS = 400_000
"""A batch holding a document this large (characters, or bytes of a raw line) is not sent to a worker
while another worker holds one: trafilatura's trees of a 1-1.5 MB page take a worker from ~65 to
~100 MB of private memory for seconds, and two at once made the tallest peaks of the HTML stream
(+70 MB over the plateau, bench/results/speed.md).  The later batches go to the other worker
meanwhile.  12 of the 459 dev pages are this large; plain-text documents almost never are."""
PRIVATE_CHECK_SECONDS = 1.0
"""A worker reads its private memory after a batch with a large document (:data:`TRIM_DOC_CHARS`)
and otherwise at most this often: reading ``smaps_rollup`` walks the page tables, 1.7 ms for a
worker with the HTML models, 2% of an 80 ms batch of plain text if done after every batch."""
TRIM_DOC_CHARS = 50_000
"""``malloc_trim`` runs after a batch that held a document at least this large (characters, or bytes
of a raw line), else only once the worker's resident memory has grown :data:`TRIM_GROWTH_BYTES`
since the last trim.  Trimming after every batch handed back pages that the next batch faulted in
again: 546,000 minor faults in two workers over 3,000 plain-text documents against 140,000 without
trimming, 4.5 G against 2.2 G kernel instructions (bench/results/speed.md).  Neither the heap's free
bytes (``mallinfo2``: ~25 MB of free chunks after a trim as before it) nor a small growth threshold
tell churn from growth (at 8 MB a plain-text worker still trimmed 37 times in 63 batches, each
time faulting the pages back).  What grows a heap for good is a large document: an HTML page's
lxml trees take tens of MB.  On the dev data 1.6% of the plain-text records and 58% of the HTML
ones are this large.  In a plain-text pool (no HTML at the start of the stream) large documents do not
trim: a plain-text record's buffers are a few MB at most, and the trims after its 1.6% large records
faulted ~70 k pages back in over 3,000 records (bench/results/scale_s7.md); growth still trims."""
TRIM_GROWTH_BYTES = 48 << 20
"""The safety net for growth that comes without a large document: above the ~35 MB a plain-text
worker's heap churns through between batches (measured: resident 116-129 MB trimmed every batch,
154 MB settled without trimming)."""


class PoolError(RuntimeError):
    """The worker processes cannot run (they die before they start, three generations in a row)."""


class DocumentTimeout(BaseException):
    """The document took longer than ``Config.timeout`` seconds.

    A ``BaseException`` (like ``KeyboardInterrupt``) on purpose: the pipeline turns a stage's
    ``Exception`` into an error and goes on to the next stage, which would swallow the timeout
    and leave the later stages running with no alarm set.
    """


log = logging.getLogger(__name__)

_worker_cleaner: Cleaner | None = None


class Summary(NamedTuple):
    """What the caller needs of a record besides its encoded line: progress, errors, rejects."""

    id: Any
    error: dict[str, Any] | None
    chars: int  # characters of the cleaned text plus the removed spans' texts
    removed: int
    flagged: bool


def summarize(record: dict[str, Any]) -> Summary:
    removed = record.get("removed") or ()
    chars = len(record.get("text") or "") + sum(len(r.get("text") or "") for r in removed)
    return Summary(record.get("id"), record.get("error") or None, chars, len(removed),
                   bool((record.get("mt_garble") or {}).get("flagged")))


def encode_record(record: dict[str, Any]) -> tuple[bytes, Summary]:
    """The record's JSONL line (UTF-8, newline included; :func:`cleaner.io.dumps`) and its summary."""
    return (dumps(record) + "\n").encode("utf-8"), summarize(record)


def _init_worker(config: Config, options: dict[str, Any]) -> None:
    global _worker_cleaner
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _worker_cleaner = Cleaner(config, **options)


def _on_alarm(signum: int, frame: Any) -> None:
    raise DocumentTimeout


def process_task(cleaner: Cleaner, task: Task) -> dict[str, Any]:
    """Turn one task into its output record; never raises."""
    if task[0] == "line":
        task = ("record", *parse_json_line(Line(task[1], task[2])))
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
    obj = parse_json_line(Line(task[1], task[2]))[0] if task[0] == "line" else task[1]
    return obj.get(id_field) if isinstance(obj, dict) else None


def fill_window(pending: deque[tuple[list[Task], Any]], batches: Iterator[list[Task]],
                submit: Callable[[list[Task]], Any], window: int) -> None:
    """Submit batches until ``window`` are in flight or the input is exhausted.

    ``pending`` holds ``(batch, handle)`` in input order; the caller pops from its left,
    which keeps the output ordered and the memory bounded (the Ray engine and the
    executor fallback).
    """
    while len(pending) < window:
        batch = next(batches, None)
        if batch is None:
            return
        pending.append((batch, submit(batch)))


def _run_batch(batch: list[Task], encoded: bool = False) -> list[Any]:
    return _run_batch_report(batch, encoded)[0]


_checked_at = 0.0  # when this worker last read its private memory
_html_pool = False  # set in a forked pool's loader (so its workers) when the stream has HTML


def _run_batch_report(batch: list[Task], encoded: bool = False) -> tuple[list[Any], int]:
    """The batch's records, and this worker's private memory afterwards (bytes; 0: not measured
    this time, see :data:`PRIVATE_CHECK_SECONDS`)."""
    global _checked_at
    assert _worker_cleaner is not None
    cleaner = _worker_cleaner
    large = max(map(_task_chars, batch), default=0) >= TRIM_DOC_CHARS
    out: list[Any] = []
    for i in range(len(batch)):
        rec = process_task(cleaner, _take_task(batch, i))
        out.append(encode_record(rec) if encoded else rec)
    _release_memory(0 if large and _html_pool else TRIM_GROWTH_BYTES)
    now = time.monotonic()
    if not large and now - _checked_at < PRIVATE_CHECK_SECONDS:
        return out, 0
    _checked_at = now
    return out, private_memory()


def _take_task(batch: list[Task], i: int) -> Task:
    """Task ``i`` of ``batch``, taken out of it (its slot set to None), a raw line already parsed.

    A worker's batch would otherwise keep every raw JSONL line alive until its last document is
    cleaned: the line of a 1.5 MB page sat beside its parsed record through all of its extraction
    (the worker's peak), and the lines of the documents after it stayed too.  Parsing here is what
    :func:`process_task` does first; the record is the same."""
    task = batch[i]
    batch[i] = None  # type: ignore[call-overload]
    if task[0] == "line":
        task = ("record", *parse_json_line(Line(task[1], task[2])))
    return task


def private_memory() -> int:
    """Bytes of this process's memory that no other process shares (Linux; elsewhere 0).

    The sum of ``Private_Clean`` and ``Private_Dirty`` in ``/proc/self/smaps_rollup`` (~0.5 ms):
    what recycling the process gives back, unlike RSS, which also counts the model pages the
    workers share.
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
_trimmed_at = 0  # resident bytes after the last trim


def _resident() -> int:
    """Resident bytes of this process (``/proc/self/statm``; 0 where unknown)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _release_memory(growth: int = 0) -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``; elsewhere nothing).

    lxml/libxml2 and numpy free their per-document buffers into the C heap, which keeps them:
    without this a worker's memory ratchets up to its largest document's high-water mark and
    stays there.  With ``growth`` it trims only once the resident memory has grown that much
    since the last trim (:data:`TRIM_GROWTH_BYTES`).
    """
    global _malloc_trim, _trimmed_at
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
    if not _malloc_trim:
        return
    if growth and _resident() - _trimmed_at < growth:
        return
    _malloc_trim(0)
    _trimmed_at = _resident()


MMAP_THRESHOLD = 128 << 10
"""Pool processes (the loader, so the workers it forks) serve every allocation of this many bytes or
more with its own ``mmap``, given back to the system at ``free`` (glibc ``mallopt(M_MMAP_THRESHOLD)``).

glibc's default starts at 128 kB but *rises* to the size of each mmapped block freed (up to 32 MB):
after the first large page a worker serves the 1-6 MB strings, bytes and parser buffers of every later
large page from its heap, where they leave holes and stay resident until the next ``malloc_trim``, and
pile up on top of trafilatura's trees while a 1-1.5 M-character page is cleaned (the peak of the
stream).  Fixing the threshold at its default starting value stops that rise.  Measured on the 0.3 GB
HTML stream with 2 workers (bench/results/html_mem_s6b.md, with items of the same commit): PSS peak
310-311 -> 302-304 MB, samples above 300 MB 5.7-6.9% -> 3.1-3.4%.  The ``mmap``/``munmap`` and page
faults of large buffers: +0.45 G kernel instructions over 600 HTML records (+27% page faults), +0.2% of
the command's instructions.

Only for a stream with HTML (the loader's and the parent's ``html``): on plain text the language and
boilerplate stages allocate and free 128 kB-4 MB buffers for every document, which the fixed threshold
mmapped and faulted in anew each time (3,000 dev texts, ``--workers 2``: 748 k page faults and 4.1 G kernel
instructions, against 30 k / 0.34 G with one worker: 3% more instructions than one worker, the pool's
whole overhead; with glibc's rising threshold 68 k / 1.1 G), while the text stream's memory is far under
its limit (bench/results/scale_s7.md)."""


def _fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """``mallopt(M_MMAP_THRESHOLD, threshold)`` where the C library is glibc (True), else nothing."""
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        if not name:
            return False
        libc = ctypes.CDLL(name)
        if not hasattr(libc, "gnu_get_libc_version"):  # glibc's own; musl and others: leave their malloc
            return False
        return bool(libc.mallopt(-3, int(threshold)))  # M_MMAP_THRESHOLD (malloc.h)
    except (OSError, AttributeError):
        return False


def _sized_batches(
    tasks: Iterable[Task], size: int, chars: int | None = None
) -> Iterator[tuple[list[Task], list[int]]]:
    """``tasks`` in lists of at most ``size``, each ended early once it holds ``chars`` characters
    (default :data:`BATCH_CHARS`), with each task's :func:`_task_chars` (measured once per line)."""
    chars = BATCH_CHARS if chars is None else chars
    batch: list[Task] = []
    sizes: list[int] = []
    for t in tasks:
        batch.append(t)
        sizes.append(_task_chars(t))
        if len(batch) >= size or sum(sizes) >= chars:
            yield batch, sizes
            batch, sizes = [], []
    if batch:
        yield batch, sizes


def _batches(tasks: Iterable[Task], size: int, chars: int | None = None) -> Iterator[list[Task]]:
    """:func:`_sized_batches` without the sizes."""
    return (batch for batch, _ in _sized_batches(tasks, size, chars))


_NOT_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b < 0xC0)


def _task_chars(task: Task) -> int:
    """Characters a task carries: its record's string fields, its raw JSONL line's (estimated), or its
    data (bytes of a raw document).

    The size limits (:data:`BATCH_CHARS`, :data:`SOLO_CHARS`, :data:`TRIM_DOC_CHARS`) were calibrated in
    characters, and a line's bytes are up to 6 a character: ``\\uXXXX`` escapes (``json.dumps``'s
    default for anything not ASCII) count 1 instead of 6, UTF-8 continuation bytes (non-ASCII lines
    only) count 0.  Both are single C passes (~1 GB/s: 8 us for a 10 kB line, once per line in the
    parent); exact decoding would cost as much and still count escapes.  An escaped backslash before
    a ``u`` is miscounted by 5, which a size limit does not notice.
    """
    if task[0] == "line":
        data = task[2]
        if not isinstance(data, (bytes, bytearray)):
            return len(data) if isinstance(data, str) else 0
        n = len(data) - 5 * data.count(b"\\u")
        return n if data.isascii() else n - len(data.translate(None, _NOT_CONTINUATION))
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
    *,
    encoded: bool = False,
) -> Iterator[Any]:
    """Yield one record per task, in order.

    With ``encoded`` each record comes as ``(line, summary)``: its JSONL line as UTF-8 bytes
    (:func:`encode_record`, made where the document was cleaned, so the parent only moves bytes)
    and its :class:`Summary`.  With ``workers > 1`` a process pool is started only when the input
    holds more than ``small`` tasks: a handful of documents is faster in-process.
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
            rec = process_task(cleaner, t)
            yield encode_record(rec) if encoded else rec
        return
    if not _forks():
        yield from _run_executor(itertools.chain(head, it), config, options, workers, encoded=encoded)
        return
    html = any(_is_html_task(t, options.get("html_field", "html")) for t in head)
    yield from _run_forked(itertools.chain(head, it), config, options, workers, html=html, encoded=encoded)


def _is_html_task(task: Task, html_field: str) -> bool:
    """Whether ``task`` will be cleaned as HTML (for preloading the HTML extractor)."""
    if task[0] == "line":
        task = ("record", *parse_json_line(Line(task[1], task[2])))
    if task[0] == "record":
        return isinstance(task[1], dict) and record_is_html(task[1], html_field)
    is_html, data = task[3], task[2]
    if is_html is None and isinstance(data, (bytes, bytearray)):
        return sniff_html(data)
    return bool(is_html)


# Documents that make the pipeline load every model a plain-text page needs: an English page
# (fastText, the boilerplate and garble models, ftfy), a short line (the py3langid second opinion) and a
# Chinese one (the language stage's simplified/traditional character tables: 1.5 MB of Python sets that
# every worker otherwise built for itself on its first Chinese page, ~60 ms each).
_WARM_UP = (
    "Warm-up\nThe council approved the new budget on Monday after a long debate about the schools.\n",
    "Guten Tag",
    "市议会周一通过了新的预算案，此前议员们就学校和道路问题进行了长时间的辩论。\n",
)
_WARM_UP_HTML = (
    "<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1><p>The council approved the "
    "new budget on Monday after a long debate about the schools and the roads.</p></article></body></html>"
)


def preload(config: Config, *, html: bool = False) -> None:
    """Load, in this process, the models the pipeline will use under ``config``.

    Called in the loader before it forks the workers: the models' arrays (py3langid's 31 MB,
    fastText, the boilerplate and garble models) then sit in pages the workers share
    copy-on-write instead of each worker loading its own copy.  HTML extraction (trafilatura,
    lxml) is preloaded only when ``html`` says the input has HTML (a text-only stream never
    imports it).
    """
    cleaner = Cleaner(config)
    for text in _WARM_UP:
        cleaner.clean(text, html=False)
    if config.boilerplate:
        from .boilerplate.rules import build_line_filter

        build_line_filter()
    if html:
        cleaner.clean(_WARM_UP_HTML, html=True)
        _warm_date_parser()
        _warm_url_parser()
    _warm_lazy_modules()


def _warm_lazy_modules() -> None:
    """Import here what the pipeline imports lazily on its first pages, so the workers share it.

    Found by comparing ``sys.modules`` before and after 300 dev pages (HTML and text) in a process
    that ran :func:`preload`: ``numpy.ma`` (imported by ``numpy.unique``'s first call in the garble
    stage, on HTML and plain text alike: +2.1 MB resident) and ``_strptime`` with its locale's regex
    cache (htmldate's ``datetime.strptime``: +0.7 MB).  Each worker built its own private copy."""
    try:
        import datetime

        import numpy.ma  # noqa: F401

        datetime.datetime.strptime("2021-03-04", "%Y-%m-%d")
    except Exception as e:  # an optimisation only
        log.debug("lazy module warm-up skipped: %s", e)


_WARM_UP_DATES = ("qqq 12 zzz 2021 kkk", "Mar 01, 04:59PM PST", "Jul. 06, 2004", "July 16-20, 2007",
                  "Thu Dec 14 15:21:17 2006", "3 days ago")
"""Date strings that make dateparser (behind trafilatura's htmldate) build what it builds lazily: the
first, which no locale parses, compiles every locale's regexes; the others are shapes seen on the dev
pages (abbreviated months, a time zone, a range, a ctime, a relative date)."""


def _warm_date_parser() -> None:
    """Build htmldate's dateparser and its per-locale regexes here, before the workers fork.

    On pages whose date needs the external parser (a third of the dev pages within the first 40)
    dateparser loads all its locales and compiles their regexes: ~30 MB and ~2.5 s, paid by every
    worker again unless the loader pays once and the workers share it.  Nothing changes in the
    output: the parser is deterministic and only its caches fill.  Skipped quietly when
    htmldate's internals differ from the ones this was written against.
    """
    try:
        from htmldate.extractors import get_external_parser, month_words

        month_words()
        parser = get_external_parser()
        for text in _WARM_UP_DATES:
            parser.get_date_data(text)
    except Exception as e:  # an optimisation only: never fail a run over it
        log.debug("date parser warm-up skipped: %s", e)


def _warm_url_parser() -> None:
    """Load the public-suffix trie behind trafilatura's URL handling (courlan -> ``tld``): 1.6 MB of
    Python objects that every worker built for itself on its first page whose URL courlan's regex
    misses.  Skipped quietly when courlan's internals differ."""
    try:
        from courlan.urlutils import get_tldinfo

        get_tldinfo("https://www.example.co.uk/warm-up")
    except Exception as e:  # an optimisation only
        log.debug("tld warm-up skipped: %s", e)


def _forks() -> bool:
    """Whether workers are forked (Linux): elsewhere fork is unsafe or missing and the executor
    fallback uses the platform's default start method, each worker loading its own models."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


# --------------------------------------------------------------------------- the forked pool

_HEADER = 8  # a frame: its length as 8 little-endian bytes, then a pickle
_PIPE_BYTES = 1 << 20
"""Pipe buffers are raised to 1 MB where the system allows (Linux ``F_SETPIPE_SZ``; the default
64 kB cut a batch of HTML into dozens of writes, each a wake-up of the other side)."""


def _write_frame(fd: int, payload: bytes) -> None:
    """Write one frame to a blocking ``fd`` (a worker's side)."""
    for part in (len(payload).to_bytes(_HEADER, "little"), payload):
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytearray | None:
    """``n`` bytes from a blocking ``fd``, or None at end of file."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            return None
        got += k
    return buf


def _worker_main(rfd: int, wfd: int, config: Config, options: dict[str, Any], encoded: bool) -> None:
    """A worker: say hello (its pid), then clean batches until the parent says stop.

    Each answer is ``(records, private memory in bytes)``; the worker exits on an empty frame
    (:data:`_STOP`) or at end of file on its input, i.e. when the parent is gone (killed included).
    """
    _init_worker(config, options)
    _write_frame(wfd, pickle.dumps(("hello", os.getpid())))
    while True:
        head = _read_exact(rfd, _HEADER)
        size = 0 if head is None else int.from_bytes(head, "little")
        body = _read_exact(rfd, size) if size else None  # an empty frame: the parent says stop
        if body is None:
            return
        batch = pickle.loads(body)
        del body
        answer = _run_batch_report(batch, encoded)
        del batch
        _write_frame(wfd, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


def _grow_pipe(fd: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (OSError, ImportError):
        pass  # the default size works, with more wake-ups


def _set_subreaper(on: bool) -> bool:
    """Make this process the one orphaned descendants are re-parented to (Linux ``prctl``), so that
    the workers, whose parent (the loader) exits, are reaped here and their CPU times counted in
    ``RUSAGE_CHILDREN``; returns the previous setting.  Elsewhere a no-op (init reaps them)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        old = ctypes.c_int(0)
        libc.prctl(37, ctypes.byref(old), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
        libc.prctl(36, int(on), 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        return bool(old.value)
    except (OSError, AttributeError):
        return False


_last_exit = ""  # how the last pool process that ended badly ended ("exit status 9", "signal 9")


def _reap(pid: int | None, block: bool = True) -> bool:
    """Collect the exit status of ``pid``; True once it is gone (or not ours to wait for)."""
    global _last_exit
    if pid is None:
        return True
    try:
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return True
    if done and status:
        code = os.waitstatus_to_exitcode(status)
        _last_exit = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
    return done != 0


STOP_GRACE_SECONDS = 2.0
"""How long a process told to stop (an idle worker sent :data:`_STOP`, a dead one, a loader that
has forked its workers) may take to exit before it is killed: it has nothing left to do but exit
(milliseconds), so this only bounds the wait on one that is stuck."""


def _stop(pid: int | None, grace: float = STOP_GRACE_SECONDS) -> None:
    """Reap ``pid`` once it exits, waiting at most ``grace`` seconds, then kill it (never blocks
    for ever on a process that does not exit, as one whose input some other process holds open)."""
    if pid is None:
        return
    deadline = time.monotonic() + grace
    delay = 0.0005
    while not _reap(pid, block=False):
        if time.monotonic() >= deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            _reap(pid)
            return
        time.sleep(delay)
        delay = min(2 * delay, 0.05)


_STOP = bytes(_HEADER)  # an empty frame: the worker exits
_POOL_FDS: set[int] = set()
"""This process's ends of the pipes of every open pool, closed in every child forked from it
(:func:`os.register_at_fork`): a child forked while a pool is open (another pool's loader, a
``multiprocessing`` process, a plain ``os.fork``) would otherwise hold a worker's input open, and
that worker would never read end of file when the parent is killed.  In the loader it holds the
workers' ends, so each worker closes its siblings'."""


def _close_pool_fds() -> None:
    for fd in _POOL_FDS:
        try:
            os.close(fd)
        except OSError:
            pass
    _POOL_FDS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_pool_fds)


def _close_fd(fd: int) -> None:
    _POOL_FDS.discard(fd)
    try:
        os.close(fd)
    except OSError:
        pass


class _Slot:
    """One batch in input order: its tasks and, as they come back, its records."""

    __slots__ = ("batch", "missing", "out", "sizes")

    def __init__(self, batch: list[Task], sizes: list[int]) -> None:
        self.batch = batch
        self.sizes = sizes
        self.out: list[Any] = [None] * len(batch)
        self.missing = len(batch)


class _Unit(NamedTuple):
    """Tasks ``start:stop`` of a slot, sent to one worker; ``alone``: a retry of one document;
    ``big``: it holds a document of :data:`SOLO_CHARS` or more."""

    slot: _Slot
    start: int
    stop: int
    alone: bool
    big: bool


def _unit(slot: _Slot, start: int, stop: int, alone: bool) -> _Unit:
    big = max(slot.sizes[start:stop]) >= SOLO_CHARS
    return _Unit(slot, start, stop, alone, big)


class _Inbox:
    """The frames a worker sends, read into one buffer kept between reads.

    ``os.read(fd, 1 MB)`` allocated a fresh 1 MB bytes object for every read (above glibc's mmap
    threshold: new zero pages each time), and each frame was copied twice more (appended to a buffer,
    sliced out of it): 26 k of the parent's 30 k page faults over 3,000 texts with 2 workers
    (bench/results/scale_s8.md).  Here a read fills the buffer where it left off and each frame is
    unpickled from a view of it.  The buffer is :data:`_PIPE_BYTES` (what one read of a full pipe
    returns), grown to hold a larger frame whole and shrunk back once that frame is answered.
    """

    __slots__ = ("buf", "filled")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.filled = 0  # bytes read and not yet taken as frames

    def read(self, fd: int) -> int:
        """Read what ``fd`` holds, up to the free room; the bytes read (0: end of file).  Raises what
        ``os.readv`` raises (``BlockingIOError`` when a non-blocking ``fd`` holds nothing)."""
        buf = self.buf
        if len(buf) < _PIPE_BYTES:
            buf.extend(bytes(_PIPE_BYTES - len(buf)))
        with memoryview(buf) as view, view[self.filled:] as room:
            got = os.readv(fd, [room])
        self.filled += got
        return got

    def frames(self) -> Iterator[memoryview]:
        """The payload of every whole frame read, in order: each a view valid until the next is taken."""
        buf = self.buf
        start = 0
        while self.filled - start >= _HEADER:
            end = start + _HEADER + int.from_bytes(buf[start:start + _HEADER], "little")
            if end > self.filled:
                break
            with memoryview(buf) as view, view[start + _HEADER:end] as msg:
                yield msg
            start = end
        rest = self.filled - start
        if start and rest:
            buf[:rest] = buf[start:self.filled]
        self.filled = rest
        if rest >= _HEADER:  # a frame larger than the buffer: room for all of it
            need = _HEADER + int.from_bytes(buf[:_HEADER], "little")
            if need > len(buf):
                buf.extend(bytes(need - len(buf)))
        elif len(buf) > _PIPE_BYTES:  # back to the usual size after a large frame
            del buf[_PIPE_BYTES:]


class _Worker:
    __slots__ = ("alive", "answered", "from_fd", "gen", "inbox", "outbox", "pid", "sent", "started", "to_fd",
                 "units")

    def __init__(self, gen: _Generation, to_fd: int, from_fd: int) -> None:
        self.gen = gen
        self.to_fd, self.from_fd = to_fd, from_fd
        self.pid: int | None = None  # known from the loader's report or the worker's hello
        self.started = False  # said hello: its models are loaded, it reads batches
        self.units: deque[_Unit] = deque()  # sent or queued, answered in this order
        self.outbox: deque[memoryview] = deque()  # two views per unit: header, payload
        self.sent = 0  # views written whole (so frames: sent // 2)
        self.answered = 0
        self.inbox = _Inbox()
        self.alive = True

    def holds_first(self) -> bool:
        """Whether the worker had begun reading its first unit: the frame's header written whole.

        From the header on, the worker allocates and reads the payload, so a death while the rest
        of a large frame is still being written may be that document's doing (out of memory); a
        unit counted only once its payload was whole would be redone unblamed on every new
        generation, without end."""
        return self.started and self.sent > 2 * self.answered

    def close(self, stop: bool = False) -> None:
        """Close the pipes; with ``stop`` an idle worker is told to exit first."""
        if self.alive:
            self.alive = False
            if stop and not self.outbox:
                try:
                    os.write(self.to_fd, _STOP)
                except OSError:  # a full pipe (never for an idle worker) or a dead worker
                    pass
            _close_fd(self.to_fd)
            _close_fd(self.from_fd)
            self.outbox.clear()


class _Generation:
    """Workers forked by one loader (which exits once they are forked)."""

    __slots__ = ("degraded", "given", "loader", "pid_fd", "retiring", "workers")

    def __init__(self, loader: int, pid_fd: int) -> None:
        self.loader: int | None = loader
        self.pid_fd: int | None = pid_fd  # the loader writes each worker's pid here (8 bytes) as it forks it
        self.workers: list[_Worker] = []
        self.given = 0  # documents handed to this generation
        self.retiring = False  # gets no new work; replaced once its workers are drained
        self.degraded = False  # lost a worker: retires once the one-document retries are answered

    def reap_loader(self, block: bool = False) -> bool:
        """Reap the loader if it has exited (or wait for it: it has forked, or is forking, the workers);
        then read which pids its workers got.  True once the loader is gone."""
        if self.loader is not None:
            if block:
                _stop(self.loader, grace=30.0)  # forking the rest of the workers takes milliseconds
            elif not _reap(self.loader, block=False):
                return False
            self.loader = None
        if self.pid_fd is not None:
            data = b""
            try:
                while chunk := os.read(self.pid_fd, 4096):
                    data += chunk
            except OSError:  # BlockingIOError: nothing more
                pass
            _close_fd(self.pid_fd)
            self.pid_fd = None
            for w, i in zip(self.workers, range(0, len(data) - 7, 8), strict=False):  # fewer: it died forking
                if w.pid is None:
                    w.pid = int.from_bytes(data[i:i + 8], "little")
        return True

    def reap_worker(self, w: _Worker) -> None:
        """Reap a closed worker (its pid asked of the loader if it never said hello)."""
        if w.pid is None:
            self.reap_loader(block=True)
        _stop(w.pid)


def _start_generation(n: int, config: Config, options: dict[str, Any], *, html: bool, encoded: bool) -> _Generation:
    """Fork a loader that preloads the models and forks ``n`` workers, then exits.

    Every pool pipe end this process holds (:data:`_POOL_FDS`, older generations' and other pools'
    included) is closed in the loader and so in the workers, so a worker sees end of file as soon
    as the parent is gone.  An exception in the loader or a worker is printed (to stderr) before
    the process exits.
    """
    pipes = []
    for _ in range(n):
        to_r, to_w = os.pipe()  # parent -> worker
        from_r, from_w = os.pipe()  # worker -> parent
        _grow_pipe(to_w)
        _grow_pipe(from_w)
        pipes.append((to_r, to_w, from_r, from_w))
    pid_r, pid_w = os.pipe()  # loader -> parent: the workers' pids
    _POOL_FDS.update([p[1] for p in pipes] + [p[2] for p in pipes] + [pid_r])
    try:
        loader = os.fork()  # the parent's ends are closed in the loader (_close_pool_fds)
    except OSError:
        for fd in [*itertools.chain.from_iterable(pipes), pid_r, pid_w]:
            _close_fd(fd)
        raise
    if loader == 0:  # pragma: no cover - runs in the forked loader (coverage does not follow)
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            global _html_pool
            _html_pool = html  # the workers inherit it
            if html:
                _fix_mmap_threshold()  # the workers inherit it
            # each worker closes the other workers' ends and the pid pipe when it is forked
            _POOL_FDS.update([p[0] for p in pipes] + [p[3] for p in pipes] + [pid_w])
            # (The collector stays on while loading: off, it saved ~6 ms, but the HTML pool's warm-ups leave
            # garbage whose heap the workers then copied: +60 MB of PSS in bench/speed.py's HTML stream.)
            try:
                preload(config, html=html)
            except Exception as e:  # an optimisation: the workers load lazily what is missing
                log.warning("preloading the models failed: %s", e)
            # Objects that exist now are left alone by the workers' garbage collectors, which then
            # do not write to, and so copy, every shared page they visit.
            gc.collect()
            gc.freeze()
            _release_memory()  # loading leaves freed buffers in the heap: the workers would inherit them
            for to_r, _, _, from_w in pipes:
                _POOL_FDS.difference_update((to_r, from_w))
                pid = os.fork()
                if pid == 0:
                    wcode = 1
                    try:
                        _worker_main(to_r, from_w, config, options, encoded)
                        wcode = 0
                    except BrokenPipeError:  # the parent is gone: nobody to tell
                        pass
                    except BaseException:
                        _print_exc()
                    finally:
                        os._exit(wcode)
                os.close(to_r)
                os.close(from_w)
                os.write(pid_w, pid.to_bytes(8, "little"))
            code = 0
        except BaseException:
            _print_exc()
        finally:
            os._exit(code)
    for to_r, _, _, from_w in pipes:
        os.close(to_r)
        os.close(from_w)
    os.close(pid_w)
    os.set_blocking(pid_r, False)  # reap_loader reads what is there; a stray holder of pid_w must not stall it
    gen = _Generation(loader, pid_r)
    for _, to_w, from_r, _ in pipes:
        os.set_blocking(to_w, False)
        os.set_blocking(from_r, False)
        gen.workers.append(_Worker(gen, to_w, from_r))
    return gen


def _print_exc() -> None:  # pragma: no cover - runs in a forked child
    """Print the exception being handled to stderr (a forked child's is lost otherwise: it leaves by
    ``os._exit``, which runs no handlers and flushes nothing)."""
    try:
        traceback.print_exc()
        sys.stderr.flush()
    except BaseException:
        pass


def _run_forked(tasks: Iterator[Task], config: Config, options: dict[str, Any], workers: int, *,
                html: bool = False, encoded: bool = False, recycle_docs: int = RECYCLE_DOCS,
                worker_private_mb: float = WORKER_PRIVATE_MB,
                start: Callable[..., _Generation] | None = None) -> Iterator[Any]:
    """Records of ``tasks`` from ``workers`` forked processes, in input order.

    The parent reads batches into a window of at most ``workers * WINDOW_PER_WORKER`` slots,
    sends them to the least busy worker (non-blocking writes, so a full pipe never stalls the
    reading of answers; a batch with a document of :data:`SOLO_CHARS` or more only while no other
    worker holds one) and yields each slot's records once every slot before it has been yielded.
    Workers come in *generations*, each forked by a loader that preloaded the models and exited.

    Recycling (:data:`RECYCLE_DOCS`, :data:`WORKER_PRIVATE_MB`): once a generation has been given
    ``recycle_docs`` documents, or one of its workers reports more private memory than the limit,
    it gets no new work; when its workers have answered everything they hold they are closed and a
    new generation is started (none when the input has ended).

    A worker that dies (end of file on its pipe) retires its generation too, once the surviving
    workers have cleaned the batch it was cleaning one document at a time (so a crashing document
    costs one new generation, not two); the batches queued behind it are redone as they were.  A
    document that kills its worker when it is cleaned alone gets a ``WorkerCrashed`` record.
    A worker that dies before it had a whole batch (before its hello, say) blames no document:
    its batches are redone as they were.  Three generations in a row whose workers all die before
    they start raise :class:`PoolError` (their tracebacks are on stderr).  Every task yields exactly
    one record, in order.

    Stopping: an idle worker is sent an empty frame and reaped (killed if it has not exited within
    :data:`STOP_GRACE_SECONDS`); a worker's pid comes from its loader (over a pipe), so one that
    dies before its hello is reaped too.
    """
    start = start or _start_generation
    window = workers * WINDOW_PER_WORKER
    limit = worker_private_mb * 1e6
    id_field = options.get("id_field", "id")
    batches = _sized_batches(tasks, BATCH_DOCS)
    order: deque[_Slot] = deque()
    todo: deque[_Unit] = deque()
    gens: list[_Generation] = []
    exhausted = False
    failed_starts = 0
    retries = 0  # one-document retries of a dead worker's batch not answered yet
    finished = False
    old_reaper = _set_subreaper(True)
    # The objects this process holds now (its modules: ~10 MB) are shared with the loaders and workers it forks;
    # its own garbage collector would write the header of every one of them at each full collection, making the
    # pages private to this process while the workers keep the originals.  Measured 30 s into the 0.3 GB HTML
    # stream: the parent's private memory 17 -> 12 MB (its anonymous pages 11 -> 5 MB; bench/results/scale_s7.md).
    froze = not gc.get_freeze_count()
    gc.freeze()
    # here too: a large line, its pickle and its encoded record come and go in the parent (its heap is
    # its private memory in the PSS sum); the threshold stays fixed after the run, at glibc's starting value
    if html:
        _fix_mmap_threshold()
    global _last_exit
    _last_exit = ""

    def crashed(unit: _Unit) -> None:
        t = unit.slot.batch[unit.start]
        rec = _error_record(task_id(t, id_field), "pipeline", "WorkerCrashed",
                            "the worker process died while cleaning this document")
        unit.slot.out[unit.start] = encode_record(rec) if encoded else rec
        unit.slot.missing -= 1

    def died(w: _Worker) -> None:
        nonlocal failed_starts, retries
        units = list(w.units)
        w.units.clear()
        had_first = w.holds_first()
        w.close()
        gen = w.gen
        gen.reap_worker(w)
        if not any(x.started or x.alive for x in gen.workers):  # none said hello, all dead
            failed_starts += 1
            if failed_starts >= 3:
                raise PoolError(f"worker processes die before they start (the last: {_last_exit or 'unknown'}); "
                                "see the messages above")
        redo: list[_Unit] = []
        if units and had_first:  # what it was cleaning: its documents one at a time, or the culprit
            first = units.pop(0)
            if first.alone:
                crashed(first)
                retries -= 1
            else:
                redo += [_unit(first.slot, i, i + 1, True) for i in range(first.start, first.stop)]
                retries += first.stop - first.start
        redo += units  # never sent whole, or queued behind: as they were
        # The retries go to the survivors of this generation (a new one costs a model load, and the
        # document that killed this worker will likely kill one more): it retires once they are
        # answered, or at once when no worker is left or no retry is due.
        if not gen.retiring and retries > 0 and w.started and any(x.alive for x in gen.workers):
            gen.degraded = True
        else:
            gen.retiring = True
        log.debug("worker %s died holding %d batches", w.pid, len(units) + 1)
        todo.extendleft(reversed(redo))

    def answer(w: _Worker, msg: bytes | bytearray | memoryview) -> None:
        nonlocal failed_starts, retries
        obj = pickle.loads(msg)
        if not w.started:
            w.pid = obj[1]  # ("hello", pid)
            w.started = True
            failed_starts = 0
            return
        out, private = obj
        unit = w.units.popleft()
        w.answered += 1
        retries -= unit.alone
        unit.slot.out[unit.start:unit.stop] = out
        unit.slot.missing -= len(out)
        if recycle_docs > 0 and private > limit and not w.gen.retiring:
            log.debug("worker at %.0f MB private memory: retiring its generation", private / 1e6)
            w.gen.retiring = True

    def read(w: _Worker) -> None:
        try:
            got = w.inbox.read(w.from_fd)
        except BlockingIOError:
            return
        except OSError:
            got = 0
        if not got:
            died(w)
            return
        for msg in w.inbox.frames():
            answer(w, msg)

    def write(w: _Worker) -> None:
        while w.outbox:
            view = w.outbox[0]
            try:
                n = os.write(w.to_fd, view)
            except BlockingIOError:
                return
            except OSError:  # EPIPE: the worker is gone; its end of file is read next
                w.outbox.clear()
                return
            if n == len(view):
                w.outbox.popleft()
                w.sent += 1
            else:
                w.outbox[0] = view[n:]

    try:
        while True:
            while order and order[0].missing == 0:
                done = order.popleft()
                yield from done.out
                if html and max(done.sizes) >= TRIM_DOC_CHARS:
                    # the parent's heap too: a large line, its pickle and its record come and go, and
                    # glibc serves the next ones from the heap it keeps (its mmap threshold rises)
                    _release_memory()
            while not exhausted and len(order) < window:
                sized = next(batches, None)
                if sized is None:
                    exhausted = True
                    break
                batch = sized[0]
                slot = _Slot(*sized)
                order.append(slot)
                todo.append(_unit(slot, 0, len(batch), False))
            if not order and exhausted:
                finished = True
                return
            # retire: close drained workers, forget generations whose workers are all gone
            for gen in gens:
                if gen.degraded and not retries:
                    gen.retiring = True
                if gen.retiring:
                    for w in gen.workers:
                        if w.alive and not w.units:
                            w.close(stop=True)
                            gen.reap_worker(w)
                gen.reap_loader()
            gens = [g for g in gens if g.loader is not None or any(w.alive for w in g.workers)]
            current = gens[-1] if gens and not gens[-1].retiring else None
            if current is None and todo and not gens:
                current = start(workers, config, options, html=html, encoded=encoded)
                gens.append(current)
            if current is not None:
                big_out = any(u.big for x in current.workers for u in x.units)
                i = 0
                while i < len(todo):
                    idle = min((x for x in current.workers if x.alive), key=lambda x: len(x.units), default=None)
                    if idle is None or len(idle.units) >= WINDOW_PER_WORKER:
                        break
                    w = idle
                    unit = todo[i]
                    if unit.big and big_out:
                        i += 1  # waits for the other large document; the batches after it go on
                        continue
                    del todo[i]
                    big_out = big_out or unit.big
                    payload = pickle.dumps(unit.slot.batch[unit.start:unit.stop], protocol=pickle.HIGHEST_PROTOCOL)
                    w.units.append(unit)
                    w.outbox.append(memoryview(len(payload).to_bytes(_HEADER, "little")))
                    w.outbox.append(memoryview(payload))
                    current.given += unit.stop - unit.start
                    if recycle_docs > 0 and current.given >= recycle_docs:
                        current.retiring = True
                        log.debug("retiring a generation after %d documents", current.given)
                        break
            poller = select.poll()
            watched: dict[int, _Worker] = {}
            for gen in gens:
                for w in gen.workers:
                    if w.alive:
                        watched[w.from_fd] = w
                        poller.register(w.from_fd, select.POLLIN)
                        if w.outbox:
                            watched[w.to_fd] = w
                            poller.register(w.to_fd, select.POLLOUT)
            if not watched:  # every worker closed: wait for a loader still forking, then start anew
                for gen in gens:
                    gen.reap_loader(block=True)
                continue
            for fd, _event in poller.poll(1000 if any(g.loader is not None for g in gens) else None):
                w = watched[fd]
                if not w.alive:
                    continue
                if fd == w.from_fd:
                    read(w)
                else:
                    write(w)
    finally:
        # At the end the workers are idle and are told to stop; after an error or Ctrl-C they may
        # be busy, and are killed.
        for gen in gens:
            if gen.loader is not None:
                try:
                    os.kill(gen.loader, signal.SIGKILL)
                except OSError:
                    pass
            gen.reap_loader(block=True)
            for w in gen.workers:  # the closed ones were reaped when they were closed
                if not w.alive:
                    continue
                if not finished and w.pid is not None:
                    try:
                        os.kill(w.pid, signal.SIGKILL)
                    except OSError:
                        pass
                w.close(stop=finished)
                gen.reap_worker(w)
        _set_subreaper(old_reaper)
        if froze:  # a caller's own frozen objects (a freeze count before ours) stay frozen
            gc.unfreeze()


# --------------------------------------------------------------------------- elsewhere: an executor


def _executor(workers: int, config: Config, options: dict[str, Any]) -> ProcessPoolExecutor:
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(config, options))


def _run_executor(tasks: Iterator[Task], config: Config, options: dict[str, Any], workers: int, *,
                  encoded: bool = False) -> Iterator[Any]:
    """Records of ``tasks`` from a ``ProcessPoolExecutor``, in input order (where there is no fork:
    each worker loads its own models, and is not recycled).  A worker crash breaks the pool: the
    batches in flight are redone one document at a time, so only the document that kills its
    worker is lost (as an error record)."""
    from concurrent.futures.process import BrokenProcessPool

    window = workers * WINDOW_PER_WORKER
    pool = _executor(workers, config, options)
    pending: deque[tuple[list[Task], Future[list[Any]]]] = deque()
    batches = _batches(tasks, BATCH_DOCS)

    def submit(batch: list[Task]) -> Future[list[Any]]:
        return pool.submit(_run_batch, batch, encoded)  # the pool of the moment (replaced after a crash)

    try:
        while True:
            fill_window(pending, batches, submit, window)
            if not pending:
                return
            batch, fut = pending.popleft()
            try:
                records = fut.result()
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                redo = [batch] + [b for b, _ in pending]
                pending.clear()
                for b in redo:
                    yield from _isolate(b, config, options, encoded)
                pool = _executor(workers, config, options)
                continue
            yield from records
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _isolate(batch: list[Task], config: Config, options: dict[str, Any], encoded: bool) -> Iterator[Any]:
    from concurrent.futures.process import BrokenProcessPool

    pool = _executor(1, config, options)
    try:
        for t in batch:
            try:
                yield pool.submit(_run_batch, [t], encoded).result()[0]
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                rec = _error_record(task_id(t, options.get("id_field", "id")), "pipeline", "WorkerCrashed",
                                    "the worker process died while cleaning this document")
                yield encode_record(rec) if encoded else rec
                pool = _executor(1, config, options)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
