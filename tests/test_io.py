from __future__ import annotations

import gzip
import io
import json

from cleaner.io import AtomicWriter, Line, dumps, iter_lines, open_binary, parse_json_line


def test_iter_lines_bounds_line_length_and_skips_the_rest() -> None:
    data = b'{"a": 1}\n' + b"x" * 5000 + b"\n" + b'{"b": 2}\n'
    lines = list(iter_lines(io.BytesIO(data), max_line_bytes=100))
    assert [ln.number for ln in lines] == [1, 2, 3]
    assert lines[1].error and "over the limit" in lines[1].error and lines[1].data == b""
    assert lines[2].data == b'{"b": 2}'


def test_truncated_gzip_ends_with_an_error_line(tmp_path) -> None:
    path = tmp_path / "t.jsonl.gz"
    payload = gzip.compress(b"".join(b'{"id": %d, "text": "hello"}\n' % i for i in range(2000)))
    path.write_bytes(payload[: len(payload) // 2])
    with open_binary(path) as f:
        lines = list(iter_lines(f, 10_000))
    assert lines[-1].error and "corrupt or truncated" in lines[-1].error
    assert len(lines) > 1


def test_parse_json_line_reports_reason() -> None:
    assert parse_json_line(Line(1, b'{"x": 1}')) == ({"x": 1}, None)
    obj, err = parse_json_line(Line(7, b"{not json"))
    assert obj is None and err is not None and "line 7 is not JSON" in err


def test_dumps_survives_lone_surrogates() -> None:
    line = dumps({"text": "a\ud800b"})
    line.encode("utf-8")
    assert json.loads(line)["text"] == "a\ud800b"


def test_atomic_writer_commit_and_resume(tmp_path) -> None:
    target = tmp_path / "out.jsonl"
    w = AtomicWriter(target)
    w.write_line("one")
    w.write_line("two")
    w.abort()
    assert not target.exists()
    with open(w.partial, "a") as f:
        f.write("thr")  # a line cut by a kill
    w2 = AtomicWriter(target, resume=True)
    assert w2.done_lines == 2
    w2.write_line("three")
    w2.commit()
    assert target.read_text() == "one\ntwo\nthree\n" and not w2.partial.exists()


def test_atomic_writer_gz(tmp_path) -> None:
    target = tmp_path / "out.jsonl.gz"
    w = AtomicWriter(target)
    w.write_line("x")
    w.commit()
    assert gzip.decompress(target.read_bytes()) == b"x\n"
