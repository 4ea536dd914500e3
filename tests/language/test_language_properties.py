"""Property tests: any text gets an answer, in range, without raising."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import Config
from cleaner.language import detect_blocks, detect_language

LANGDETECT = Config(language_backend="langdetect")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_detect_language_total(text: str) -> None:
    got = detect_language(text)
    assert 0.0 <= got.score <= 1.0
    assert got.language == "und" or got.language.isalpha()
    assert detect_language(text) == got


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_langdetect_backend_total(text: str) -> None:
    got = detect_language(text, LANGDETECT)
    assert 0.0 <= got.score <= 1.0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=8))
def test_detect_blocks_offsets(lines: list[str]) -> None:
    text = "\n".join(lines)
    _doc, blocks, shares = detect_blocks(text)
    for b in blocks:  # runs of whole lines, in order, equal neighbours merged
        assert 0 <= b.start < b.end <= len(text)
        assert b.start == 0 or text[b.start - 1] == "\n"
        assert b.end == len(text) or text[b.end] in "\r\n"
    for a, b in itertools.pairwise(blocks):
        assert a.end < b.start and (a.language, a.script, a.score) != (b.language, b.script, b.score)
    if shares:
        assert abs(sum(shares.values()) - 1.0) < 1e-3


def test_lone_surrogates_and_controls() -> None:
    for text in ["abc \ud800 def ghi jkl mno", "\x00\x01 hello world this is text", "\ufeffBonjour à tous"]:
        assert 0.0 <= detect_language(text).score <= 1.0
        detect_blocks(text)
