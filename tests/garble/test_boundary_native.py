"""The compiled boundary scans of the long-text sampler (garble s8b) give what ``score._BOUNDARY`` gives."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.garble import score as S
from cleaner.garble.nn import _native

pytestmark = pytest.mark.skipif(_native is None, reason="the compiled kernels are not built")

# every character the pattern looks at, white space of each kind, and code points of the three str kinds
_PIECES = ["a", "B", " ", "  ", "\t", "\n", "\r", "\x0b", "\x1c", "\x85", "\xa0", "\u2028", "\u3000", ".", "!", "?",
           '"', "'", "”", "’", ")", "]", "」", "』", "）", "。", "！", "？", "中", "x.y", "...", "é", "\U0001f600",
           "“", "(", "[", "\u200b"]  # fmt: skip


def _pieces_reference(text: str) -> list[tuple[int, int]]:
    """score._pieces as written before s8b: _BOUNDARY.finditer, then the non-blank spans between its ends."""
    ends = [m.end() for m in S._BOUNDARY.finditer(text)] + [len(text)]
    return [(a, b) for a, b in itertools.pairwise([0, *ends]) if b > a and not text[a:b].isspace()]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join), st.integers(-3, 45), st.integers(-3, 45))
def test_bnd_next_is_the_patterns_search(text: str, pos: int, endpos: int) -> None:
    m = S._BOUNDARY.search(text, pos, endpos)
    assert _native.bnd_next(text, pos, endpos) == (-1 if m is None else m.end())
    assert S._next_end(text, pos, endpos) == (-1 if m is None else m.end())


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_bnd_pieces_are_the_pieces(text: str) -> None:
    assert _native.bnd_pieces(text) == _pieces_reference(text)


def test_every_white_space_character_and_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    text = "".join(f"A.{s}b!{s}{s}c。{s}d?”{s}" for s in spaces) + "end"
    assert _native.bnd_pieces(text) == _pieces_reference(text)
    for k in range(len(text)):
        m = S._BOUNDARY.search(text, k, len(text))
        assert _native.bnd_next(text, k, len(text)) == (-1 if m is None else m.end())
    monkeypatch.setattr(S, "_native", None)
    assert S._pieces(text) == _pieces_reference(text)
    sample = ("First sentence here. " * 40 + "\n") * 12
    native = S.sample_spans(sample, "en")
    monkeypatch.setattr(S, "_native", _native)
    assert S.sample_spans(sample, "en") == native and S._pieces(sample) == _pieces_reference(sample)


def test_bnd_argument_errors() -> None:
    with pytest.raises(TypeError):
        _native.bnd_next(b"a. b", 0, 4)
    with pytest.raises(TypeError):
        _native.bnd_pieces(None)
    assert _native.bnd_next("a. b", 3, 1) == -1
    assert _native.bnd_pieces("") == []
