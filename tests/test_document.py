from __future__ import annotations

from cleaner.document import split_lines


def test_split_lines_offsets_index_the_text() -> None:
    text = "first\r\n\nsecond line\nlast"
    lines = split_lines(text)
    assert [ln.text for ln in lines] == ["first", "", "second line", "last"]
    for ln in lines:
        assert text[ln.start : ln.end] == ln.text


def test_split_lines_empty_and_trailing_newline() -> None:
    assert split_lines("") == []
    assert [ln.text for ln in split_lines("a\n")] == ["a"]
