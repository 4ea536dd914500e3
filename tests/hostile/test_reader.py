"""The record reader under hostile input: bombs, corrupt and truncated gzip, huge lines, odd JSON."""

from __future__ import annotations

import gzip
import io
import json

import pytest

from cleaner.io import Line, dumps, iter_lines, open_binary, parse_json_line

from ._gen import gzip_bomb


def test_gzip_bomb_stops_at_the_limit_without_reading_it_all(tmp_path) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.jsonl.gz", gib=8)
    assert bomb.stat().st_size < 16 << 20  # 8 GiB of zeros in a few MB
    with open_binary(bomb) as f:
        lines = list(iter_lines(f, 1_000_000))
        consumed = f.tell()  # decompressed bytes read so far
    assert len(lines) == 1
    assert lines[0].data == b"" and lines[0].error and "stopped reading" in lines[0].error
    assert consumed < 200 << 20, consumed  # gave up after ~65 MB, far from 8 GiB


def test_gzip_bomb_of_newlines_stops_too(tmp_path) -> None:
    bomb = gzip_bomb(tmp_path / "nl.jsonl.gz", gib=8, byte=b"\n")  # 8.6 billion blank lines
    with open_binary(bomb) as f:
        lines = list(iter_lines(f, 1_000_000, max_blank_run=100_000))
        consumed = f.tell()
    assert lines[-1].error and "blank lines in a row" in lines[-1].error
    assert len(lines) == 100_001 and consumed < 1 << 20  # 100,000 blank lines, then the error


def test_blank_lines_between_records_are_fine() -> None:
    data = b'{"a": 1}\n' + b"\n \r\n\t\n" * 1000 + b'{"b": 2}\n'
    lines = [ln for ln in iter_lines(io.BytesIO(data), 100, max_blank_run=5000) if ln.data.strip() or ln.error]
    assert [ln.data for ln in lines] == [b'{"a": 1}', b'{"b": 2}']


def test_gzip_bomb_through_the_cli(tmp_path) -> None:
    from cleaner.cli import main

    bomb = gzip_bomb(tmp_path / "bomb.jsonl.gz", gib=8)
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(bomb), "-o", str(out), "-q", "--max-bytes", "1000000", "--workers", "1"]) == 1
    [rec] = [json.loads(x) for x in out.read_text().splitlines()]
    assert rec["error"]["type"] == "InvalidLine" and "stopped reading" in rec["error"]["message"]


def test_oversized_line_is_skipped_and_the_next_one_read() -> None:
    data = b'{"a": 1}\n' + b"y" * 3_000_000 + b"\n" + b'{"b": 2}\n'
    lines = list(iter_lines(io.BytesIO(data), max_line_bytes=1000))
    assert [ln.number for ln in lines] == [1, 2, 3]
    assert lines[1].error and "over the limit" in lines[1].error
    assert lines[2].data == b'{"b": 2}'


def _records_gz(n: int) -> bytes:
    return gzip.compress(b"".join(b'{"id": %d, "text": "hello world"}\n' % i for i in range(n)))


def test_truncated_gzip_keeps_what_was_readable() -> None:
    payload = _records_gz(3000)
    lines = list(iter_lines(gzip.GzipFile(fileobj=io.BytesIO(payload[: len(payload) // 2])), 10_000))
    assert lines[-1].error and "corrupt or truncated" in lines[-1].error
    good = [json.loads(ln.data) for ln in lines[:-1]]
    assert good and [r["id"] for r in good] == list(range(len(good)))


@pytest.mark.parametrize("where", [0.02, 0.3, 0.7])
def test_corrupt_deflate_data_is_an_error_line_not_a_crash(where: float) -> None:
    payload = bytearray(_records_gz(3000))
    start = int(len(payload) * where) + 10
    for i in range(start, start + 64):  # zlib.error, which is not an OSError
        payload[i] ^= 0x5A
    lines = list(iter_lines(gzip.GzipFile(fileobj=io.BytesIO(bytes(payload))), 10_000))
    assert lines[-1].error and "corrupt or truncated" in lines[-1].error


def test_not_gzip_at_all() -> None:
    lines = list(iter_lines(gzip.GzipFile(fileobj=io.BytesIO(b'{"id": 1, "text": "plain"}\n')), 10_000))
    assert len(lines) == 1 and lines[0].error


def test_million_one_character_lines() -> None:
    lines = iter_lines(io.BytesIO(b"a\n" * 1_000_000), 100)
    n = sum(1 for ln in lines if ln.data == b"a" and ln.error is None)
    assert n == 1_000_000


@pytest.mark.parametrize(
    ("raw", "expect"),
    [
        (b"{not json", "is not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"id": ' + b"9" * 5000 + b"}", "cannot be read"),  # int max_str_digits: ValueError
        (b"\xff\xfe\x00{", "is not JSON"),
        (b"\x00\x00\x00", "is not JSON"),
    ],
)
def test_parse_json_line_reasons(raw: bytes, expect: str) -> None:
    obj, err = parse_json_line(Line(3, raw))
    assert obj is None and err is not None and expect in err


def test_parse_json_line_accepts_a_bom_and_lone_surrogates() -> None:
    assert parse_json_line(Line(1, b'\xef\xbb\xbf{"id": 1}')) == ({"id": 1}, None)
    obj, err = parse_json_line(Line(2, b'{"text": "a\\ud800b"}'))
    assert err is None and obj == {"text": "a\ud800b"}
    obj, err = parse_json_line(Line(2, b'{"text": "caf\xe9"}'))  # invalid UTF-8 inside a string
    assert err is None and obj["text"] == "caf\ufffd"


def test_dumps_is_always_strict_json() -> None:
    rec = {"id": 1, "score": float("inf"), "x": [float("nan"), 1.5], "t": "a\ud800b"}
    line = dumps(rec)
    back = json.loads(line, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert back == {"id": 1, "score": None, "x": [None, 1.5], "t": "a\ud800b"}
    line.encode("utf-8")
