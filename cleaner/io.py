"""Reading and writing the formats data pipelines use, streaming and bounded.

- JSONL, plain, ``.gz`` or ``.zst`` (zstandard is an optional extra).
- Lines are read with a hard length bound: a single line larger than the
  limit (a 100 MB line, a decompression bomb with no newline) becomes an
  error record and the reader skips to the next line without holding it.
- Outputs are written to a ``.partial`` file next to the target and renamed
  into place only when complete, so an interrupted run never leaves a
  half-written output; ``--resume`` continues a ``.partial`` file.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

READ_CHUNK = 1 << 20


class InputError(Exception):
    """An input file cannot be read at all (missing, wrong format, bad compression)."""


def open_binary(path: str | Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing ``.gz`` / ``.zst`` by suffix."""
    p = str(path)
    try:
        if p.endswith(".gz"):
            return gzip.open(p, "rb")  # type: ignore[return-value]
        if p.endswith(".zst"):
            try:
                import zstandard
            except ImportError as e:
                raise InputError(
                    f"{p}: reading .zst needs the 'zstandard' package: pip install 'cleaner[zstd]'"
                ) from e
            # the zstd reader has no readline(): buffer it
            return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(p, "rb")))
        return open(p, "rb")
    except OSError as e:
        raise InputError(f"cannot open {p}: {e.strerror or e}") from e


@dataclass(frozen=True, slots=True)
class Line:
    """A raw input line (without its newline), or the reason it could not be read."""

    number: int
    data: bytes
    error: str | None = None


# Errors a decompressing stream raises on corrupt input: gzip raises OSError/EOFError or a bare
# zlib.error (not an OSError!); zstandard raises its own ZstdError (a plain Exception subclass,
# matched by module name so the optional package is not imported here).
_STREAM_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, ValueError)


def _is_stream_error(e: BaseException) -> bool:
    return isinstance(e, _STREAM_ERRORS) or type(e).__module__.startswith("zstd")


# How far past an over-long line the reader looks for its end: SKIP_FACTOR times the line limit,
# at least SKIP_FLOOR.  A line that long is no document (50 MB documents give 100 MB lines at the
# default limit, so the reader gives up after ~500 MB): it is a decompression bomb or a file with
# no newlines, and reading it to the end could mean many GB, so the rest of that stream is not read.
SKIP_FACTOR = 4
SKIP_FLOOR = 64 << 20
# The other shape of decompression bomb: gigabytes of newlines, i.e. billions of blank lines,
# each costing a Python loop turn (minutes per GB).  No JSONL file has a million blank lines in
# a row, so after that many the reader stops with an error line.
MAX_BLANK_RUN = 1_000_000


def iter_lines(stream: IO[bytes], max_line_bytes: int, *, max_skip_bytes: int | None = None,
               max_blank_run: int = MAX_BLANK_RUN) -> Iterator[Line]:
    """Yield lines of at most ``max_line_bytes``; longer ones yield an error, never the data.

    The rest of an over-long line is skipped in bounded chunks, for at most
    ``max_skip_bytes`` (default ``max(SKIP_FACTOR * max_line_bytes, SKIP_FLOOR)``); a line still
    going then ends the stream with an error line (a gzip bomb stops there).
    More than ``max_blank_run`` blank lines in a row also end the stream with an error line.
    A truncated or corrupt compressed stream ends with one error line.
    """
    blank_run = 0
    skip_limit = max(SKIP_FACTOR * max_line_bytes, SKIP_FLOOR) if max_skip_bytes is None else max_skip_bytes
    number = 0
    while True:
        try:
            chunk = stream.readline(max_line_bytes + 1)
        except Exception as e:  # truncated .gz, corrupt deflate data, corrupt .zst
            if not _is_stream_error(e):
                raise
            yield Line(number + 1, b"", f"input stream is corrupt or truncated: {type(e).__name__}: {e}")
            return
        if not chunk:
            return
        number += 1
        if len(chunk) > max_line_bytes and not chunk.endswith(b"\n"):
            size = len(chunk)
            try:
                while True:  # skip the rest of the oversized line without keeping it
                    if size - len(chunk) >= skip_limit:
                        yield Line(number, b"", f"line is over the limit of {max_line_bytes} bytes and has no end "
                                   f"within {size} bytes; stopped reading this input (decompression bomb?)")
                        return
                    rest = stream.readline(min(READ_CHUNK, skip_limit))
                    size += len(rest)
                    if not rest or rest.endswith(b"\n"):
                        break
            except Exception as e:
                if not _is_stream_error(e):
                    raise
                yield Line(number, b"", f"line over {max_line_bytes} bytes, then stream error: {type(e).__name__}: {e}")
                return
            yield Line(number, b"", f"line is over the limit of {max_line_bytes} bytes ({size}+ bytes)")
            blank_run = 0
            continue
        data = chunk.rstrip(b"\r\n")
        if data.strip():
            blank_run = 0
        else:
            blank_run += 1
            if blank_run > max_blank_run:
                yield Line(number, b"", f"over {max_blank_run} blank lines in a row; stopped reading this input "
                           "(decompression bomb?)")
                return
        yield Line(number, data)


def parse_json_line(line: Line) -> tuple[Any, str | None]:
    """``(object, None)`` or ``(None, reason)`` for a JSONL line."""
    if line.error:
        return None, line.error
    try:
        text = line.data.decode("utf-8")
    except UnicodeDecodeError:
        text = line.data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):  # a UTF-8 BOM (files saved by Windows editors): not part of the JSON
        text = text[1:]
    try:
        return json.loads(text), None
    except json.JSONDecodeError as e:
        return None, f"line {line.number} is not JSON: {e.msg} at column {e.colno}"
    except RecursionError:
        return None, f"line {line.number} is JSON nested too deeply"
    except ValueError as e:  # an integer of more than 4300 digits (int max_str_digits)
        return None, f"line {line.number} is JSON that cannot be read: {str(e)[:200]}"


def dumps(record: dict[str, Any]) -> str:
    """One JSONL line of strict JSON.

    Falls back to ASCII escapes if a string cannot be UTF-8 encoded (lone surrogates), and
    writes non-finite floats (``1e999`` or ``NaN`` read from an input line) as null, since
    ``Infinity``/``NaN`` are not JSON and break strict readers downstream.
    """
    try:
        line: str = json.dumps(record, ensure_ascii=False, allow_nan=False)
    except ValueError:
        line = json.dumps(_finite(record), ensure_ascii=False, allow_nan=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(_finite(record), ensure_ascii=True, allow_nan=False)
    return line


def _finite(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (recursively)."""
    if isinstance(obj, float):
        return obj if obj - obj == 0.0 else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


class AtomicWriter:
    """Write ``target`` through ``target.partial``; :meth:`commit` renames it into place.

    The partial file is always plain text (even for a ``.gz`` target) so that a
    resumed run can count its complete lines after a ``kill -9``; compression
    happens in :meth:`commit`.
    """

    def __init__(self, target: str | Path, *, resume: bool = False) -> None:
        self.target = Path(target)
        self.partial = self.target.with_name(self.target.name + ".partial")
        self.done_lines = 0
        if resume and self.partial.exists():
            self.done_lines = _truncate_to_complete_lines(self.partial)
            self._f: IO[bytes] = open(self.partial, "ab")
        else:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.partial, "wb")
        self._since_sync = 0

    def write_line(self, line: str) -> None:
        self.write_encoded((line + "\n").encode("utf-8"))

    def write_encoded(self, line: bytes) -> None:
        """Write one line already encoded as UTF-8, its newline included (as the workers send them)."""
        self._f.write(line)
        self._since_sync += 1
        if self._since_sync >= 64:
            self._f.flush()
            self._since_sync = 0

    def write_record(self, record: dict[str, Any]) -> None:
        self.write_line(dumps(record))

    def flush(self) -> None:
        """Hand buffered lines to the OS, so a killed process leaves them on disk."""
        self._f.flush()
        self._since_sync = 0

    def commit(self) -> None:
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        name = self.target.name
        if not name.endswith((".gz", ".zst")):
            os.replace(self.partial, self.target)
            return
        tmp = self.target.with_name(name + ".tmp")
        with open(self.partial, "rb") as src, open(tmp, "wb") as raw:
            if name.endswith(".gz"):
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as dst:
                    while chunk := src.read(READ_CHUNK):
                        dst.write(chunk)
            else:
                import zstandard

                zstandard.ZstdCompressor().copy_stream(src, raw)
        os.replace(tmp, self.target)
        self.partial.unlink()

    def abort(self) -> None:
        """Close without committing; the ``.partial`` file stays for ``--resume``."""
        if not self._f.closed:
            self._f.flush()
            self._f.close()


def _truncate_to_complete_lines(path: Path) -> int:
    """Drop a trailing incomplete line (a write cut by a kill) and count the complete ones."""
    count = 0
    last_newline_end = 0
    with open(path, "rb") as f:
        pos = 0
        while chunk := f.read(READ_CHUNK):
            n = chunk.count(b"\n")
            if n:
                count += n
                last_newline_end = pos + chunk.rfind(b"\n") + 1
            pos += len(chunk)
    if last_newline_end != pos:
        with open(path, "r+b") as f:
            f.truncate(last_newline_end)
    return count


def write_text_atomic(target: Path, text: str) -> None:
    """Write a whole text file atomically (temp file in the same folder, then rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)


def stdin_binary() -> IO[bytes]:
    import sys

    return sys.stdin.buffer if hasattr(sys.stdin, "buffer") else io.BytesIO(sys.stdin.read().encode())
