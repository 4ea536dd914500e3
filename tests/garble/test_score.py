"""cleaner.garble.score: the long-text splitting shortcuts give what the plain forms give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.garble import score as S


def reference_fast_split(text: str) -> list[tuple[int, int]]:
    """Every piece between boundaries, trimmed, the blank ones dropped (the form before the shortcut)."""
    spans = []
    pos = 0
    for m in S._BOUNDARY.finditer(text):
        a, b = S._trim(text, pos, m.end())
        if b > a:
            spans.append((a, b))
        pos = m.end()
    a, b = S._trim(text, pos, len(text))
    if b > a:
        spans.append((a, b))
    return spans


def reference_all_prose(text: str, lang: str, cap: int) -> list[tuple[int, int]]:
    spans = S._thin(reference_fast_split(text), 3 * cap)
    prose = [sp for sp in spans if S.is_prose(text[sp[0] : sp[1]], lang)]
    return S._thin(prose or spans, cap)


PIECES = ["a", "The cat sat on the mat", " ", ".", ". ", "!", "?", "\n", "\n\n", "\u3000", "\u2028", "\t", "。",
          "！", '"', "”", ")", "x.\n", "See www.example.org now.", "3.14", "..."]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=300), st.sampled_from([1, 2, 5, 32]))
def test_pieces_are_thinned_before_trimming_with_the_same_result(pieces: list[str], cap: int) -> None:
    text = "".join(pieces)
    assert S.fast_split(text) == reference_fast_split(text)
    for lang in ("en", "zh"):
        assert S._all_prose(text, lang, cap) == reference_all_prose(text, lang, cap)


def test_blank_pieces_are_dropped_and_kept_ones_trimmed() -> None:
    text = "  First one.   \n \u3000 \n Second!  \u2028 "
    assert [text[a:b] for a, b in S.fast_split(text)] == ["First one.", "Second!"]
    assert S.fast_split("") == [] and S.fast_split(" \n\t ") == []


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["The", "cat", "sat", "on", "the", "mat", "don't", "'", "’", "é", "café", "42", "?",
                                 "--", ".", "\n", "a", "I", "x_y", "'tis", "dogs'", "Zoë", "😀", "http://x.org", "a@b",
                                 "www.c", "@"]), max_size=60),
       st.sampled_from([" ", "  ", ". ", ".\n"]))
def test_prose_flags_are_is_prose_per_sentence(words: list[str], sep: str) -> None:
    text = sep.join(words)
    spans = S.split_sentences(text) + S.fast_split(text) + [(0, 0), (len(text), len(text))]
    for lang in ("en", "zh"):
        for url_free in (True, False):
            want = [S.is_prose(text[a:b], lang, url_free=url_free) for a, b in spans]
            assert S._prose_flags(text, spans, lang, url_free) == want
