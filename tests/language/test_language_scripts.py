"""Script counting (vectorised lookup table)."""

from __future__ import annotations

from cleaner.language.scripts import script_counts, script_ids


def test_counts_per_script() -> None:
    assert script_counts("Global EditionASIA 中文双语Français") == {"Latn": 25, "Hani": 4}
    assert script_counts("これは日本語です") == {"Kana": 5, "Hani": 3}
    assert script_counts("한국어 문장") == {"Hang": 5}
    assert script_counts("हिन्दी") == {"Deva": 6}  # vowel signs (marks) count with their script
    assert script_counts("123 !?") == {}


def test_ids_align_with_characters() -> None:
    text = "aя中😀"
    assert len(script_ids(text)) == len(text)
    assert script_counts(text) == {"Latn": 1, "Cyrl": 1, "Hani": 1}


def test_script_table_letters_are_the_regex_letters() -> None:
    """The table's letter mask (one ``regex.sub``) equals a per-character ``[\\p{L}\\p{M}]`` test."""
    import numpy as np
    import regex

    from cleaner.language.scripts import _TABLE_SIZE, script_table

    chars = "".join(map(chr, range(_TABLE_SIZE))).replace("\ud800", " ")
    want = np.zeros(_TABLE_SIZE, dtype=bool)
    for m in regex.finditer(r"[\p{L}\p{M}]", chars):
        want[m.start()] = True
    assert ((script_table() != 0) == want).all()
