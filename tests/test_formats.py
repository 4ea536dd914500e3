from __future__ import annotations

import io
import json

import pytest

from cleaner.cli import main

ARTICLE = (
    "The regional water authority said on Tuesday that reservoir levels had recovered after the wet winter.\n"
    "Officials expect no restrictions on household use this summer, although farmers were asked to keep "
    "records of how much they draw from rivers.\n"
)


def test_parquet_in_and_out(tmp_path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"doc": ["a", "b"], "body": [ARTICLE, "Short."], "src": ["x", "y"]})
    inp = tmp_path / "in.parquet"
    pq.write_table(table, inp)
    out = tmp_path / "out.parquet"
    assert main(["clean", str(inp), "-o", str(out), "--id-field", "doc", "--text-field", "body", "-q"]) == 0
    rows = pq.read_table(out).to_pylist()
    assert [r["id"] for r in rows] == ["a", "b"] and rows[0]["src"] == "x"
    assert "reservoir" in rows[0]["text"]
    assert isinstance(json.loads(rows[0]["metadata"]), dict)
    jsonl = tmp_path / "out.jsonl"
    assert main(["clean", str(inp), "-o", str(jsonl), "--id-field", "doc", "--text-field", "body", "-q"]) == 0
    assert len(jsonl.read_text().splitlines()) == 2


def _warc(path, responses) -> None:
    warcio = pytest.importorskip("warcio")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        for url, ctype, body in responses:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    assert warcio


def test_warc_responses_with_charset_hint_and_url(tmp_path) -> None:
    html = ("<html><head><title>Brücke</title></head><body><article><p>" + ARTICLE.replace("water", "Wasser")
            + " Die Brücke über den Fluss wurde repariert.</p></article></body></html>")
    warc = tmp_path / "crawl.warc.gz"
    _warc(warc, [
        ("https://example.org/a", "text/html; charset=windows-1252", html.encode("cp1252")),
        ("https://example.org/logo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(100)),
    ])
    out = tmp_path / "out.jsonl"
    assert main(["clean", str(warc), "-o", str(out), "-q"]) == 0
    [rec] = [json.loads(x) for x in out.read_text().splitlines()]
    assert rec["metadata"]["url"] == "https://example.org/a"
    assert "Brücke" in rec["text"]


def test_zst_input(tmp_path) -> None:
    zstd = pytest.importorskip("zstandard")
    data = json.dumps({"id": 1, "text": ARTICLE}).encode() + b"\n"
    inp = tmp_path / "in.jsonl.zst"
    inp.write_bytes(zstd.ZstdCompressor().compress(data))
    out = tmp_path / "out.jsonl.zst"
    assert main(["clean", str(inp), "-o", str(out), "-q"]) == 0
    rec = json.loads(zstd.ZstdDecompressor().decompress(out.read_bytes(), max_output_size=10**7))
    assert "reservoir" in rec["text"]
