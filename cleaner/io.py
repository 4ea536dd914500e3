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


def iter_lines(stream: IO[bytes], max_line_bytes: int) -> Iterator[Line]:
    """Yield lines of at most ``max_line_bytes``; longer ones yield an error, never the data.

    A truncated or corrupt compressed stream ends with one error line.
    """
    number = 0
    while True:
        try:
            chunk = stream.readline(max_line_bytes + 1)
        except (OSError, EOFError, gzip.BadGzipFile) as e:  # truncated .gz, corrupt .zst
            yield Line(number + 1, b"", f"input stream is corrupt or truncated: {e}")
            return
        if not chunk:
            return
        number += 1
        if len(chunk) > max_line_bytes and not chunk.endswith(b"\n"):
            size = len(chunk)
            try:
                while True:  # skip the rest of the oversized line without keeping it
                    rest = stream.readline(READ_CHUNK)
                    size += len(rest)
                    if not rest or rest.endswith(b"\n"):
                        break
            except (OSError, EOFError) as e:
                yield Line(number, b"", f"line over {max_line_bytes} bytes, then stream error: {e}")
                return
            yield Line(number, b"", f"line is over the limit of {max_line_bytes} bytes ({size}+ bytes)")
            continue
        yield Line(number, chunk.rstrip(b"\r\n"))


def parse_json_line(line: Line) -> tuple[Any, str | None]:
    """``(object, None)`` or ``(None, reason)`` for a JSONL line."""
    if line.error:
        return None, line.error
    try:
        text = line.data.decode("utf-8")
    except UnicodeDecodeError:
        text = line.data.decode("utf-8", errors="replace")
    try:
        return json.loads(text), None
    except json.JSONDecodeError as e:
        return None, f"line {line.number} is not JSON: {e.msg} at column {e.colno}"
    except RecursionError:
        return None, f"line {line.number} is JSON nested too deeply"




def dumps(record: dict[str, Any]) -> str:
    """One JSONL line; falls back to ASCII escapes if a string cannot be UTF-8 encoded."""
    line: str = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(record, ensure_ascii=True)
    return line


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
            self._f: IO[str] = open(self.partial, "a", encoding="utf-8", newline="\n")
        else:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.partial, "w", encoding="utf-8", newline="\n")
        self._since_sync = 0

    def write_line(self, line: str) -> None:
        self._f.write(line + "\n")
        self._since_sync += 1
        if self._since_sync >= 64:
            self._f.flush()
            self._since_sync = 0

    def flush(self) -> None:
        """Hand buffered lines to the OS, so a killed process leaves them on disk."""
        self._f.flush()
        self._since_sync = 0

    def commit(self) -> None:
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        if self.target.name.endswith(".gz"):
            tmp = self.target.with_name(self.target.name + ".tmp")
            with open(self.partial, "rb") as src, gzip.open(tmp, "wb", compresslevel=6) as dst:
                while chunk := src.read(READ_CHUNK):
                    dst.write(chunk)
            os.replace(tmp, self.target)
            self.partial.unlink()
        elif self.target.name.endswith(".zst"):
            import zstandard

            tmp = self.target.with_name(self.target.name + ".tmp")
            with open(self.partial, "rb") as src, open(tmp, "wb") as raw:
                zstandard.ZstdCompressor().copy_stream(src, raw)
            os.replace(tmp, self.target)
            self.partial.unlink()
        else:
            os.replace(self.partial, self.target)

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
