"""The compiled prefilter of signals.has_tortured_head (``sig_heads`` in cleaner/_native.c) against the Python sets."""

from __future__ import annotations

import numpy as np
import pytest
from _native_paths import python_path
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.garble import signals
from cleaner.garble.model import load_model

needs_native = pytest.mark.skipif(signals._native is None, reason="cleaner._native not built (Python path only)")


def _both(text: str, phrases: dict[str, str]) -> tuple[bool, bool]:
    got = signals.has_tortured_head(text, phrases)
    with python_path(signals):
        want = signals.has_tortured_head(text, phrases)
    return got, want


def _head_words() -> list[str]:
    heads = sorted(p for p in load_model().tortured if " " in p and p.isascii())
    return sorted({w for p in heads[::40] for w in p.split(" ")[:3]})[:200]


@needs_native
def test_every_shipped_head_is_found_in_context() -> None:
    phrases = load_model().tortured
    for p in sorted(phrases)[::3]:
        if not p.isascii():
            continue
        for text in (f"We saw the {p} here.", f"{p.upper()}!", f"x,{p.replace(' ', '  ')};y", p):
            got, want = _both(text, phrases)
            assert got == want, text


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_head_words()), st.sampled_from(["a", "the", "x", "'", "don't", "1"])),
                max_size=40),
       st.lists(st.sampled_from([" ", "  ", "\n", ", ", "\t", "-", "'", ". "]), min_size=1, max_size=5))
def test_prefilter_answers_like_the_sets(words: list[str], seps: list[str]) -> None:
    text = "".join(w + seps[i % len(seps)] for i, w in enumerate(words))
    got, want = _both(text, load_model().tortured)
    assert got == want


@needs_native
def test_prefilter_on_a_small_lexicon_and_odd_bytes() -> None:
    phrases = {"red fox": "x", "big red dog": "y", "a  b": "z", "solo": "w"}  # ("a  b": the head a, "", b)
    for text in ("the red fox", "big red dog", "big red cat", "red\x0bfox", "red\x1cfox", "", "  ", "Big-Red,dog",
                 "a b", "solo", "fox red", "big red", "red fox" * 1000, "é red fox"):
        got, want = _both(text, phrases)
        assert got == want, text
    two, three = signals._head_hashes(signals._HEADS3[id(phrases)][3])
    assert len(two) == 1 and len(three) == 2 and np.all(np.diff(two.astype(np.float64)) >= 0)
    with pytest.raises(TypeError):
        signals._native.sig_heads("not bytes", two, three)
    with pytest.raises(ValueError):
        signals._native.sig_heads(b"a b", two.view(np.uint8)[:3], three)


def _senses_both(text: str, acronyms: dict[str, list[str]]) -> tuple[bool, bool]:
    got = signals._maybe_two_senses(text, acronyms)
    with python_path(signals):
        want = signals._maybe_two_senses(text, acronyms)
    return got, want


@needs_native
def test_needles_are_substring_tests() -> None:
    needles = ("abc", "bcd", "aaaa", "xyz", "the end")
    bm = bytearray(8192)
    for e in needles:
        h = ((ord(e[0]) * 131 + ord(e[1])) * 131 + ord(e[2])) & 0xFFFF
        bm[h >> 3] |= 1 << (h & 7)
    for text in ("", "ab", "abcd", "aaa", "aaaaa", "xyzxy", "the end", "the en", "é€😀abc", "😀the end😀", "ab\u0100cd",
                 "zzzzz" * 1000 + "bcd", "xy"):
        flags = signals._native.sig_needles(text, needles, bytes(bm))
        assert list(flags) == [int(e in text) for e in needles], text
    with pytest.raises(ValueError):
        signals._native.sig_needles("abc", ("ab",), bytes(bm))
    with pytest.raises(ValueError):
        signals._native.sig_needles("abc", ("abé",), bytes(bm))
    with pytest.raises(ValueError):
        signals._native.sig_needles("abc", needles, bytes(100))
    with pytest.raises(TypeError):
        signals._native.sig_needles("abc", list(needles), bytes(bm))


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["AI", "artificial intelligence", "Amnesty International", "air conditioning",
                                 "alternating current", "intelligence", "California", "the", "CA", "Amnesty",
                                 "chartered accountant", "’", "é", "😀", "press", "Associated Press"]), max_size=30),
       st.sampled_from([" ", ", ", "\n", "-"]))
def test_two_senses_answers_like_the_scans(words: list[str], sep: str) -> None:
    got, want = _senses_both(sep.join(words), load_model().acronyms)
    assert got == want
