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


# ---- session 7: sig_heads_text (the str tokeniser with the bitmap), non-ASCII texts, _is_token ----

_ODD = ["é", "’", "'", "İ", "\u212a", "K", "ß", "😀", "\u0301", "?", "-", "_", "1", "²", " ", "\n", "\ud800", "ǅ"]


def _heads_both(text: str, phrases: dict[str, str]) -> tuple[bool, bool, bool]:
    """(sig_heads_text, sig_heads of the byte tokeniser on the ``?`` proxy, has_tortured_head's Python path)."""
    signals.has_tortured_head("", phrases)  # (builds the head tables)
    heads_b = signals._HEADS3[id(phrases)][3]
    two, three, bm = signals._head_tables(heads_b)
    proxy = signals.word_bytes(text.encode("ascii", "replace"), signals._LOWER_WORD_BYTES)
    with python_path(signals):
        want = signals.has_tortured_head(text, phrases)
    got_text = bool(signals._native.sig_heads_text(text, two, three, bm))
    return got_text, bool(signals._native.sig_heads(proxy, two, three)), want


@needs_native
@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_head_words()), st.sampled_from([*_ODD, "don't", "a", "the"])), max_size=40),
       st.lists(st.sampled_from([" ", "  ", "\n", ", ", "'", "’", "é", "?", "—", "😀"]), min_size=1, max_size=5))
def test_str_prefilter_is_the_byte_prefilter_and_never_misses(words: list[str], seps: list[str]) -> None:
    text = "".join(w + seps[i % len(seps)] for i, w in enumerate(words))
    phrases = load_model().tortured
    got_text, got_bytes, want = _heads_both(text, phrases)
    assert got_text == got_bytes  # the same words and hashes: the bitmap only skips searches
    assert got_text or not want or not text.isascii()  # "no" is exact on ASCII text
    assert signals.has_tortured_head(text, phrases) == want  # and the answer is exact on any text


@needs_native
def test_non_ascii_texts_answer_like_the_sets() -> None:
    phrases = load_model().tortured
    heads = sorted(p for p in phrases if " " in p)[::50]
    odd_heads = [p for p in phrases if not p.isascii()]
    for p in heads + odd_heads:
        for text in (f"Le {p} — “{p}”.", f"é{p}é", f"{p}’s", f"’{p}", f"\u212a{p}", f"İ {p}", f"x\u0301 {p.upper()}",
                     p.replace(" ", " é "), p.replace(" ", "’"), f"😀{p}😀", p.replace("k", "\u212a")):
            got = signals.has_tortured_head(text, phrases)
            with python_path(signals):
                want = signals.has_tortured_head(text, phrases)
            assert got == want, text


def test_only_two_code_points_lower_case_to_ascii() -> None:
    """signals._LOWERS_TO_ASCII is complete: every other non-ASCII character lower-cases to non-ASCII characters."""
    found = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000 and any(
        ch.isascii() for ch in chr(c).lower())]
    assert tuple(found) == signals._LOWERS_TO_ASCII


@needs_native
def test_sig_heads_text_checks_its_arguments() -> None:
    two, three, bm = signals._head_tables(frozenset({(b"red", b"fox")}))
    assert signals._native.sig_heads_text("the Red fox", two, three, bm)
    assert signals._native.sig_heads_text("RED'FOX red fox", two, three, bm)
    assert signals._native.sig_heads_text("red’fox", two, three, bm)  # (a non-ASCII character ends a word)
    assert signals._native.sig_heads_text("red1fox", two, three, bm)
    assert not signals._native.sig_heads_text("redfox fox red, red-x fox", two, three, bm)
    assert not signals._native.sig_heads_text("", two, three, bm)
    with pytest.raises(ValueError):
        signals._native.sig_heads_text("red fox", two, three, bm[:-1])
    with pytest.raises(ValueError):
        signals._native.sig_heads_text("red fox", two, three, bm + b"x")
    with pytest.raises(ValueError):
        signals._native.sig_heads_text("red fox", two.view(np.uint8)[:3], three, bm)
    with pytest.raises(TypeError):
        signals._native.sig_heads_text(b"red fox", two, three, bm)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", "'", "’", "1", "²", "_", " ", "é", "-", "\u0301", "İ", "A"]),
                max_size=16).map("".join),
       st.sampled_from(["a", "ab", "b", "a'b", "ab’a", "é", "²"]))
def test_is_token_is_membership_in_the_word_set(text: str, word: str) -> None:
    from cleaner.garble.features import FAST_WORDS_RE

    assert signals._is_token(text, word) == (word in set(FAST_WORDS_RE.findall(text)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["geosus", "gesterodes", "zzzqx", "council", "café", "cafégeosus", "geosusé", "é",
                                 "’", "'", "geosus's", "geosus’s", "zzzqx'", "'zzzqx", "😀", "İ", "ǅ", "Geosus", "1",
                                 "-", "\u0301", "flibbertigib"]), max_size=30),
       st.sampled_from([" ", "", "\n", "’", "'", "é"]))
def test_nonword_candidates_of_non_ascii_text_match_the_python_path(words: list[str], sep: str) -> None:
    lex = load_model().lexicon
    text = sep.join(words)
    got = signals.nonword_candidates(text, lex)
    with python_path(signals):
        want = signals.nonword_candidates(text, lex)
    assert got == want


_SWAP = ["AI", "artificial intelligence", "Amnesty International", "ARTIFICIAL INTELLIGENCE", "amneſty international",
         "\u0130ntellectual property", "intellectual property", "air conditioning", "alternating current", "\u212aing",
         "artificial intelligences", "xartificial intelligence", "é", "x", " ", ", ", "-", "\n", "’", "1"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SWAP), max_size=14).map("".join))
def test_expansion_matches_are_the_full_alternations_matches(text: str) -> None:
    import regex

    acronyms = load_model().acronyms
    order = signals._expansion_table(acronyms)[2]
    full = signals._alternation(order, regex.IGNORECASE)
    got = signals._expansion_matches(order, text)
    assert [(m.span(), m.group()) for m in got] == [(m.span(), m.group()) for m in full.finditer(text)]


def test_head_hashes_vectorised_equal_the_python_loop() -> None:
    """_head_hashes (numpy, s9) gives the arrays of the per-word Python loop it replaced, on the shipped heads
    and on small odd ones (an empty word, a lone pair, a lone triple, no head at all)."""
    shipped = load_model().tortured
    signals.has_tortured_head("warm the cache", shipped)
    cases = [signals._HEADS3[id(shipped)][3], frozenset({(b"a", b"", b"b")}), frozenset({(b"red", b"fox")}),
             frozenset({(b"big", b"red", b"dog")}), frozenset(), frozenset({(b"x" * 70, b"y", b"")})]
    for heads in cases:
        got, want = signals._head_hashes_np(heads), _head_hashes_py(heads)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype == np.uint64 and g.shape == w.shape and np.array_equal(g, w)


_M64 = (1 << 64) - 1
_FNV_P = 0x100000001B3


def _word_hash(w: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in w:
        h = ((h ^ b) * _FNV_P) & _M64
    return _mix64(h)


def _mix64(h: int) -> int:
    """``vec._mix`` of one Python int (modulo 2**64)."""
    h ^= h >> 29
    h = (h * 0x9E3779B97F4A7C15) & _M64
    return h ^ (h >> 32)


def _head_hashes_py(heads: frozenset[tuple[bytes, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """The reference of :func:`_head_hashes`: one Python loop per word (what it was before s9; the tests compare)."""
    two, three = [], []
    for head in heads:
        hs = [_word_hash(w) for w in head]
        pair = _mix64((hs[0] * _FNV_P + hs[1]) & _M64)
        if len(hs) == 2:
            two.append(pair)
        else:
            three.append(_mix64((pair * _FNV_P + hs[2]) & _M64))
    return np.array(sorted(two), dtype=np.uint64), np.array(sorted(three), dtype=np.uint64)
