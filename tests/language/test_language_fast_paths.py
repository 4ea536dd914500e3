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
