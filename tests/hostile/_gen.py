"""Generators for hostile inputs, shared by the tests and bench/hostile.py.

Everything is built on the fly (nothing large is stored in the repository) and
streamed to disk where it is big.
"""

from __future__ import annotations

import json
import signal
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ARTICLE = (
    "The regional water authority said on Tuesday that reservoir levels had recovered after the wet winter.\n"
    "Officials expect no restrictions on household use this summer, although farmers were asked to keep "
    "records of how much they draw from rivers.\n"
)
HTML_ARTICLE = "<html><head><title>Water</title></head><body><article><p>" + ARTICLE + "</p></article></body></html>"

RANDOM = bytes((i * 7919 + 13) % 256 for i in range(20000))  # binary with no known signature
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 40
PDF = (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Length 5000 /Filter /FlateDecode >>\nstream\n" + zlib.compress(RANDOM[:4000])
       + b"\nendstream\n")
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + bytes(range(256)) * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(reversed(range(256))) * 30
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 10

BINARIES = {"png": PNG, "pdf": PDF, "elf": ELF, "jpeg": JPEG, "zip": ZIP, "random": RANDOM}


class Hang(BaseException):
    """Raised by :func:`deadline`; a BaseException so that no stage's ``except Exception`` eats it."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Turn a hang into a test failure (SIGALRM interrupts regex and Python code alike)."""

    def expire(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def gzip_bomb(path: Path, gib: int = 8, chunk_mib: int = 16, byte: bytes = b"\x00") -> Path:
    """A single gzip member that inflates to ``gib`` GiB of ``byte`` (zeros: no newline at all).

    Built in milliseconds: after a full flush deflate restarts from a clean state, so
    every further chunk of zeros compresses to the very same bytes, which are repeated.
    The trailer is left off on purpose: a reader that read to the end would report a
    truncated stream, not the line limit, so the test can tell the two apart.
    """
    chunk = byte * (chunk_mib << 20)
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    first = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    piece = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    with open(path, "wb") as f:
        f.write(first)
        for _ in range((gib << 10) // chunk_mib - 1):
            f.write(piece)
    return path


def write_jsonl(path: Path, lines: list[object]) -> Path:
    """Records (dicts, lists, ...) as JSON, str and bytes written verbatim, one per line."""
    with open(path, "wb") as f:
        for r in lines:
            if isinstance(r, bytes):
                f.write(r + b"\n")
            elif isinstance(r, str):
                f.write(r.encode("utf-8", "surrogatepass") + b"\n")
            else:
                f.write(json.dumps(r).encode() + b"\n")
    return path


def mixed_corpus() -> list[object]:
    """Good and bad JSONL lines; every one must give exactly one output record."""
    good = [{"id": f"g{i}", "text": f"Story {i}. " + ARTICLE, "source": "feed"} for i in range(6)]
    return [
        good[0],
        b"{this is not json",
        good[1],
        "[1, 2, 3]",
        '"just a string"',
        "42",
        "null",
        {"id": "notext"},
        {"id": "numtext", "text": 12345},
        {"id": "listtext", "text": ["a", "b"]},
        {"id": "nulltext", "text": None},
        {"id": "htmlnum", "html": 7},
        good[2],
        {"id": "html", "html": HTML_ARTICLE},
        {"id": "empty", "text": ""},
        {"id": "ws", "text": " \t \n \r\n  "},
        '{"id": "surrogate", "text": "lone \\ud800 high and \\udfff low ' + ARTICLE.replace("\n", " ") + '"}',
        b'{"id": "badutf8", "text": "caf\xe9 \xff\xfe ' + ARTICLE.replace("\n", " ").encode() + b'"}',
        '{"id": "nul", "text": "nul\\u0000byte ' + ARTICLE.replace("\n", " ") + '"}',
        '{"id": "zeros", "text": "' + "\\u0000" * 200 + '"}',
        '{"id": ' + "7" * 5000 + ', "text": "an id of 5000 digits"}',
        "[" * 50000 + "]" * 50000,
        '{"id": "inf", "score": 1e999, "text": "' + ARTICLE.replace("\n", " ") + '"}',
        b"\xef\xbb\xbf" + json.dumps({"id": "bom", "text": ARTICLE}).encode(),
        {"id": "rtl", "text": "مرحبا بالعالم، هذا نص عربي عن الطقس.\n\u202eevil\u202c שלום עולם זה טקסט בעברית.\n"},
        {"id": "combining", "text": "Z" + "\u0301\u0308\u0323" * 3000 + " zalgo " + ARTICLE},
        {"id": "longword", "text": "x" * 100_000 + " " + ARTICLE},
        {"id": "deep", "html": "<html><body>" + "<div>" * 20000 + "deep text" + "</div>" * 20000 + "</body></html>"},
        good[3],
        {"id": "binary-in-json", "text": PNG.decode("latin-1")},
        good[4],
        good[5],
    ]
