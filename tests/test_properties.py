"""Property-based tests (hypothesis), bounded to seconds.

- ``clean`` never raises on any str or bytes, as text, HTML or sniffed;
- the cleaned text's lines come from the repaired input (``result.doc.text``), in order:
  nothing is invented;
- removed spans index the repaired input, do not overlap, and together with the kept text
  account for all of it (every non-whitespace character is either kept or in a removed span);
- garble evidence indexes the cleaned text;
- ``to_record()`` always serialises to strict JSON, and to UTF-8 through ``cleaner.io.dumps``.
"""

from __future__ import annotations

import json

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleaner
from cleaner.io import dumps

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Any code point, surrogates included (JSON strings can carry them).
ANY_CHAR = st.characters(codec=None, categories=None)
WORDS = st.sampled_from([
    "the", "council", "approved", "budget", "on", "Monday", "Share", "Tweet", "Related:", "©", "2024",
    "All rights reserved.", "By", "Jane Doe", "Photo:", "Getty", "Images", "Advertisement", "Subscribe",
    "天气", "新闻", "相关", "مرحبا", "שלום", "é", "\u0301", "\u202e", "\x00", "\ufffd", "\t", "…",
    "Amnesty International",
])
LINE = st.lists(WORDS, min_size=0, max_size=14).map(" ".join)
DOCUMENT = st.lists(LINE, min_size=0, max_size=30).map("\n".join)
TEXT = st.one_of(st.text(ANY_CHAR, max_size=400), DOCUMENT)
TAGS = st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<br>", "<script>", "</script>", "<style>", "<!--", "-->",
                        "<html>", "<body>", "<article>", "</article>", "<title>", "</title>", "<a href='x'>", "</a>",
                        "<![CDATA[", "]]>", "<!DOCTYPE html>", "&amp;", "&#0;", "&#xD800;", "&nbsp;", "<", ">"])
HTML = st.lists(st.one_of(TAGS, LINE), max_size=40).map("".join)

_WS = regex.compile(r"\s+")


def _bare(s: str) -> str:
    """Without whitespace: the boilerplate stage may rejoin lines, never drop or add a letter."""
    return _WS.sub("", s)


def _check(result: cleaner.pipeline.Result) -> None:
    doc = result.doc
    src, out = doc.text, result.text
    rec = result.to_record()
    json.dumps(rec, allow_nan=False)
    dumps(rec).encode("utf-8")
    assert isinstance(out, str)
    # Nothing invented: each output line is a piece of the repaired input, in order.
    pos = 0
    for line in out.split("\n"):
        piece = line.strip()
        if not piece:
            continue
        found = src.find(piece, pos)
        assert found >= 0, f"output line not in the repaired input: {piece[:80]!r}"
        pos = found + len(piece)
    # Removed spans index the repaired input and, with the kept text, account for all of it.
    spans = sorted((r.start, r.end, r.text) for r in doc.removed)
    last = 0
    kept: list[str] = []
    for start, end, text in spans:
        assert 0 <= start <= end <= len(src) and src[start:end] == text
        assert start >= last, "removed spans overlap"
        kept.append(src[last:start])
        last = end
    kept.append(src[last:])
    assert _bare("".join(kept)) == _bare(out), "text lost without a removed span, or kept and removed"
    # Garble evidence indexes the cleaned text.
    if doc.garble is not None:
        for e in doc.garble.evidence:
            assert out[e.start:e.end] == e.text


@SETTINGS
@given(TEXT, st.sampled_from([False, None]))
def test_clean_text_never_raises_and_invents_nothing(text: str, html: bool | None) -> None:
    _check(cleaner.clean(text, html=html))


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from([False, True, None]))
def test_clean_bytes_never_raises(data: bytes, html: bool | None) -> None:
    r = cleaner.clean(data, html=html)
    _check(r)


@SETTINGS
@given(DOCUMENT, st.sampled_from(["utf-8", "utf-16", "cp1252", "gb18030", "latin-1"]))
def test_encoded_documents_never_raise(text: str, encoding: str) -> None:
    _check(cleaner.clean(text.encode(encoding, errors="replace")))


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(HTML)
def test_clean_html_never_raises(html: str) -> None:
    r = cleaner.clean(html, html=True)
    rec = r.to_record()
    json.dumps(rec, allow_nan=False)
    assert "<script>" not in r.text


@SETTINGS
@given(st.dictionaries(st.sampled_from(["id", "text", "html", "url", "x"]),
                       st.one_of(st.none(), st.integers(), st.floats(), st.text(ANY_CHAR, max_size=50), DOCUMENT,
                                 st.lists(st.integers(), max_size=3)), max_size=5))
def test_clean_record_always_gives_one_json_record(record: dict) -> None:
    out = list(cleaner.Cleaner().clean_records([record]))
    assert len(out) == 1
    dumps(out[0]).encode("utf-8")
    assert json.loads(dumps(out[0]))["id"] == json.loads(dumps({"id": record.get("id")}))["id"]
