"""The garble stage's shortcuts give what the plain paths they replace give (generated inputs)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.garble.features import _SENT_END, _sentence_cuts

# every character the sentence-end pattern looks at, plus letters, digits and other spaces
_SENT_ALPHABET = [
    "a", "B", "Dr", "Mr", "No", "Z", "3", " ", "  ", "\t", "\u00a0", "\u3000", "\x1c", "\r",
    ".", "!", "?", "。", "！", "？", '"', "'", "”", "’", ")", "]", "」", "』", "）", "“", "‘", "(", "[",
    "中", "x.", "e.g.", "...",
]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_SENT_ALPHABET), max_size=40).map("".join))
def test_sentence_cuts_equal_the_full_scan(seg: str) -> None:
    assert _sentence_cuts(seg) == [m.span() for m in _SENT_END.finditer(seg)]


def test_sentence_cuts_examples() -> None:
    for seg in [
        'He met Dr. Smith. Then he left! Mr. X said "go." And 3 more.',
        "你好。“好”？他说！」再见。]x",
        "Ends here.) (Next one.] [Third?\u00a0Fourth!  Fifth",
        "",
        ".",
        " . ",
        "a.b. C",
        "...  A",
        "!?! B",
    ]:
        assert _sentence_cuts(seg) == [m.span() for m in _SENT_END.finditer(seg)], seg
