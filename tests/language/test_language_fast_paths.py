"""The vectorised shortcuts of cleaner.language.detect_blocks give what the plain per-line path gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.document import split_lines
from cleaner.language import _line_spans


def _spans(text: str) -> list[tuple[int, int]]:
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts, ends = _line_spans(cps)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _reference(text: str) -> list[tuple[int, int]]:
    return [(ln.start, ln.end) for ln in split_lines(text) if ln.end - ln.start >= 2]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "é", "中", " ", "\n", "\r", "\r\n", "\u2028"]), max_size=60).map("".join))
def test_line_spans_match_split_lines(text: str) -> None:
    assert _spans(text) == _reference(text)


def test_line_spans_edge_cases() -> None:
    for text in ["", "\n", "\r\n", "ab", "ab\r", "ab\r\n", "\nab\n\ncd\r\nef\r", "a\rb\n\rcd", "\r\r\nxy"]:
        assert _spans(text) == _reference(text), text


_EN = (
    "The council approved the new budget on Monday after a long debate about the schools "
    "and the roads that were damaged during the winter storms."
)


def _line_languages(lines: list[str]) -> dict[str, str]:
    from cleaner.language import detect_blocks

    text = "\n".join(lines)
    doc, blocks, _ = detect_blocks(text)
    assert doc.language == "en"
    return {text[b.start : b.end]: b.language for b in blocks}


def test_unconfirmed_lines_without_cues_inherit_the_document_language() -> None:
    # a headline of names has no English function words, and no cue of another language:
    # it is not sent to a detector (which calls such lines German or Italian)
    headline = "Gary Shilling: Bonds Are Great, Stocks Will Plunge Soon"
    got = _line_languages([_EN, headline, _EN])
    assert got[headline] == "en"


def test_lines_with_cues_of_another_language_are_detected() -> None:
    accented = "Tu fais bien d’aller à Paris c’est une ville magnifique !"  # à: not an English letter
    function_words = "Deze site gebruikt cookies van Google om te kunnen werken"  # Dutch function words
    got = _line_languages([_EN, accented, _EN, function_words, _EN])
    assert got[accented] == "fr"
    assert got[function_words] == "nl"


def test_may_differ_cues() -> None:
    from cleaner.language import _may_differ

    assert not _may_differ("Gary Shilling Bonds Are Great Stocks Will Plunge", "en", 0, 8)
    assert _may_differ("Müller Schmidt Schneider Fischer Weber Meyer", "en", 0, 6)  # ü
    assert _may_differ("die Katze und der Hund", "en", 0, 5)  # German function words
    assert _may_differ(" ".join(["word"] * 12), "en", 0, 12)  # long enough to be prose
    assert _may_differ("anything at all", "xx", 0, 3)  # no lists for the language: always detect
